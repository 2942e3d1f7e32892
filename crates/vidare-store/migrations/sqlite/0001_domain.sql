-- Vidare schema, SQLite. Every row belongs to a tenant; child tables reference their
-- parents by (tenant_id, id) so a row can never point into another tenant's data.
-- Dates are ISO-8601 text, timestamps RFC 3339 text in UTC, money integer öre.

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    municipality_code TEXT,
    synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    org_number TEXT NOT NULL,
    name TEXT NOT NULL,
    legal_form TEXT NOT NULL,
    idea_driven INTEGER NOT NULL CHECK (idea_driven IN (0, 1)),
    in_idea_driven_register INTEGER NOT NULL DEFAULT 0 CHECK (in_idea_driven_register IN (0, 1)),
    headcount_total INTEGER CHECK (headcount_total > 0),
    headcount_target_groups INTEGER CHECK (headcount_target_groups >= 0 AND headcount_target_groups <= headcount_total),
    annual_turnover_ore INTEGER CHECK (annual_turnover_ore >= 0),
    email TEXT,
    synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, org_number),
    CHECK ((headcount_total IS NULL) = (headcount_target_groups IS NULL))
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id INTEGER,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, email),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id),
    CHECK ((role = 'supplier_user') = (organisation_id IS NOT NULL))
);

CREATE TABLE placement_types (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    code TEXT NOT NULL,
    name_sv TEXT NOT NULL,
    name_en TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, code)
);

CREATE TABLE procurement_rounds (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    title TEXT NOT NULL,
    reference TEXT,
    legal_basis TEXT NOT NULL,
    contract_kind TEXT NOT NULL,
    cpv_codes TEXT NOT NULL,
    estimated_value_ore INTEGER NOT NULL CHECK (estimated_value_ore >= 0),
    contract_start TEXT NOT NULL,
    initial_months INTEGER NOT NULL CHECK (initial_months > 0),
    option_months INTEGER NOT NULL CHECK (option_months >= 0),
    tender_deadline_local TEXT,
    status TEXT NOT NULL,
    synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE lots (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    number INTEGER NOT NULL CHECK (number > 0),
    placement_type_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    places INTEGER NOT NULL CHECK (places > 0),
    max_price_per_month_ore INTEGER NOT NULL CHECK (max_price_per_month_ore > 0),
    reserved INTEGER NOT NULL CHECK (reserved IN (0, 1)),
    UNIQUE (tenant_id, id),
    UNIQUE (round_id, number),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id),
    FOREIGN KEY (tenant_id, placement_type_id) REFERENCES placement_types (tenant_id, id)
);

CREATE TABLE bids (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    submitted_at TEXT,
    purpose_statement TEXT,
    headcount_total INTEGER CHECK (headcount_total > 0),
    headcount_target_groups INTEGER CHECK (headcount_target_groups >= 0 AND headcount_target_groups <= headcount_total),
    UNIQUE (tenant_id, id),
    UNIQUE (round_id, organisation_id),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id)
);

CREATE TABLE bid_lots (
    tenant_id INTEGER NOT NULL,
    bid_id INTEGER NOT NULL,
    lot_id INTEGER NOT NULL,
    price_per_month_ore INTEGER NOT NULL CHECK (price_per_month_ore > 0),
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    quality_answer TEXT,
    PRIMARY KEY (bid_id, lot_id),
    FOREIGN KEY (tenant_id, bid_id) REFERENCES bids (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
);

CREATE TABLE award_criteria (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    weight_percent INTEGER NOT NULL CHECK (weight_percent BETWEEN 0 AND 100),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id)
);

CREATE TABLE qualifications (
    tenant_id INTEGER NOT NULL,
    bid_id INTEGER PRIMARY KEY,
    purpose_test TEXT NOT NULL,
    share_test TEXT NOT NULL,
    notes TEXT,
    FOREIGN KEY (tenant_id, bid_id) REFERENCES bids (tenant_id, id)
);

CREATE TABLE scores (
    tenant_id INTEGER NOT NULL,
    bid_id INTEGER NOT NULL,
    lot_id INTEGER NOT NULL,
    criterion_id INTEGER NOT NULL,
    score INTEGER NOT NULL CHECK (score >= 0),
    PRIMARY KEY (bid_id, lot_id, criterion_id),
    FOREIGN KEY (tenant_id, bid_id) REFERENCES bids (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id),
    FOREIGN KEY (tenant_id, criterion_id) REFERENCES award_criteria (tenant_id, id)
);

CREATE TABLE award_decisions (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL UNIQUE,
    decided_on TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    delivery TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id),
    CHECK (sent_on >= decided_on)
);

CREATE TABLE framework_agreements (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER,
    lot_id INTEGER,
    organisation_id INTEGER NOT NULL,
    placement_type_id INTEGER NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    price_per_month_ore INTEGER NOT NULL CHECK (price_per_month_ore > 0),
    start_date TEXT NOT NULL,
    end_date TEXT,
    rank INTEGER CHECK (rank > 0),
    absence_rule TEXT NOT NULL,
    signed_on TEXT,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id),
    FOREIGN KEY (tenant_id, placement_type_id) REFERENCES placement_types (tenant_id, id),
    CHECK (end_date IS NULL OR end_date >= start_date)
);

CREATE TABLE participants (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    personal_number TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    gender TEXT NOT NULL,
    born_abroad INTEGER NOT NULL CHECK (born_abroad IN (0, 1)),
    education TEXT NOT NULL,
    months_on_income_support INTEGER NOT NULL CHECK (months_on_income_support >= 0),
    health_limitation INTEGER NOT NULL CHECK (health_limitation IN (0, 1)),
    swedish_level TEXT NOT NULL,
    prior_work_experience INTEGER NOT NULL CHECK (prior_work_experience IN (0, 1)),
    synthetic INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, personal_number)
);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    participant_id INTEGER NOT NULL,
    agreement_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    placement_type_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    referred_on TEXT NOT NULL,
    decided_on TEXT,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, participant_id) REFERENCES participants (tenant_id, id),
    FOREIGN KEY (tenant_id, agreement_id) REFERENCES framework_agreements (tenant_id, id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id),
    FOREIGN KEY (tenant_id, placement_type_id) REFERENCES placement_types (tenant_id, id)
);

CREATE TABLE placements (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    referral_id INTEGER,
    participant_id INTEGER NOT NULL,
    agreement_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    planned_end TEXT NOT NULL,
    weekly_minutes INTEGER NOT NULL CHECK (weekly_minutes BETWEEN 60 AND 3600),
    goals TEXT,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referrals (tenant_id, id),
    FOREIGN KEY (tenant_id, participant_id) REFERENCES participants (tenant_id, id),
    FOREIGN KEY (tenant_id, agreement_id) REFERENCES framework_agreements (tenant_id, id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id),
    CHECK (end_date IS NULL OR end_date >= start_date),
    CHECK (planned_end >= start_date)
);

CREATE TABLE placement_pauses (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    placement_id INTEGER NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    reason TEXT,
    FOREIGN KEY (tenant_id, placement_id) REFERENCES placements (tenant_id, id),
    CHECK (end_date IS NULL OR end_date >= start_date)
);

CREATE TABLE attendance_months (
    tenant_id INTEGER NOT NULL,
    placement_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    attended_minutes INTEGER NOT NULL CHECK (attended_minutes >= 0),
    sick_days INTEGER NOT NULL CHECK (sick_days >= 0),
    leave_days INTEGER NOT NULL CHECK (leave_days >= 0),
    unexcused_days INTEGER NOT NULL CHECK (unexcused_days >= 0),
    status TEXT NOT NULL,
    PRIMARY KEY (placement_id, month),
    FOREIGN KEY (tenant_id, placement_id) REFERENCES placements (tenant_id, id)
);

CREATE TABLE exits (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    placement_id INTEGER NOT NULL UNIQUE,
    exit_date TEXT NOT NULL,
    outcome TEXT NOT NULL,
    evidence TEXT,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, placement_id) REFERENCES placements (tenant_id, id)
);

CREATE TABLE follow_ups (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    exit_id INTEGER NOT NULL,
    point TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    status TEXT NOT NULL,
    UNIQUE (exit_id, point),
    FOREIGN KEY (tenant_id, exit_id) REFERENCES exits (tenant_id, id)
);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    number TEXT NOT NULL,
    kind TEXT NOT NULL,
    corrects INTEGER,
    status TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    total_ore INTEGER NOT NULL,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, organisation_id, number),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id),
    FOREIGN KEY (tenant_id, corrects) REFERENCES invoices (tenant_id, id),
    CHECK ((kind = 'credit_note') = (corrects IS NOT NULL))
);

CREATE TABLE invoice_lines (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    invoice_id INTEGER NOT NULL,
    placement_id INTEGER NOT NULL,
    agreement_id INTEGER NOT NULL,
    description TEXT NOT NULL,
    paid_days INTEGER NOT NULL CHECK (paid_days >= 0),
    month_days INTEGER NOT NULL CHECK (month_days BETWEEN 28 AND 31),
    price_per_month_ore INTEGER NOT NULL,
    amount_ore INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
    FOREIGN KEY (tenant_id, placement_id) REFERENCES placements (tenant_id, id),
    FOREIGN KEY (tenant_id, agreement_id) REFERENCES framework_agreements (tenant_id, id)
);

CREATE INDEX organisations_tenant ON organisations (tenant_id, name);
CREATE INDEX participants_tenant_name ON participants (tenant_id, last_name, first_name);
CREATE INDEX lots_round ON lots (tenant_id, round_id);
CREATE INDEX bids_round ON bids (tenant_id, round_id);
CREATE INDEX agreements_org ON framework_agreements (tenant_id, organisation_id);
CREATE INDEX agreements_type ON framework_agreements (tenant_id, placement_type_id);
CREATE INDEX referrals_participant ON referrals (tenant_id, participant_id);
CREATE INDEX referrals_org ON referrals (tenant_id, organisation_id, status);
CREATE INDEX placements_participant ON placements (tenant_id, participant_id);
CREATE INDEX placements_agreement ON placements (tenant_id, agreement_id);
CREATE INDEX placements_org ON placements (tenant_id, organisation_id);
CREATE INDEX attendance_tenant_month ON attendance_months (tenant_id, month);
CREATE INDEX invoices_org_month ON invoices (tenant_id, organisation_id, month);
CREATE INDEX invoice_lines_invoice ON invoice_lines (tenant_id, invoice_id);
