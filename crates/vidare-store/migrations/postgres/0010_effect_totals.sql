-- Totals the effect measurement reads instead of aggregating every attendance month and
-- invoice line on each run (11.6 million of each at national scale: two thirds of the
-- time `vidare effects` took). Kept exact by triggers on the tables they sum, whatever
-- path writes them (pages, API, import, bulk COPY); statement-level triggers with
-- transition tables, so a COPY of millions of rows costs one aggregation, not a
-- trigger call per row.
--
-- placement_totals: per placement, the number of attendance months reported, the minutes
-- attended, and what was invoiced for it on invoices past draft (credit notes negative).
-- supplier_month_payments: the same invoiced amounts per supplier, agreement and invoice
-- month; `line_count` counts the lines behind a row: a row with none left is what a
-- GROUP BY over the lines would not give, and readers skip it.

CREATE TABLE placement_totals (
    tenant_id BIGINT NOT NULL,
    placement_id BIGINT NOT NULL PRIMARY KEY,
    attendance_months BIGINT NOT NULL DEFAULT 0,
    attended_minutes BIGINT NOT NULL DEFAULT 0,
    paid_ore BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (tenant_id, placement_id) REFERENCES placements (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE supplier_month_payments (
    tenant_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL,
    agreement_id BIGINT NOT NULL,
    month TEXT NOT NULL,
    amount_ore BIGINT NOT NULL,
    line_count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, organisation_id, agreement_id, month)
);

-- What one invoice line counts for: its amount on an invoice past draft, negative on a
-- credit note; nothing on a draft.
CREATE FUNCTION vidare_paid_factor(status TEXT, kind TEXT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN status = 'draft' THEN 0 WHEN kind = 'credit_note' THEN -1 ELSE 1 END
$$;

-- Attendance: months and minutes per placement.
CREATE FUNCTION vidare_totals_attendance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO placement_totals AS t (tenant_id, placement_id, attendance_months, attended_minutes)
        SELECT tenant_id, placement_id, COUNT(*), SUM(attended_minutes)
        FROM new_rows GROUP BY tenant_id, placement_id
        ON CONFLICT (placement_id) DO UPDATE SET
            attendance_months = t.attendance_months + EXCLUDED.attendance_months,
            attended_minutes = t.attended_minutes + EXCLUDED.attended_minutes;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO placement_totals AS t (tenant_id, placement_id, attendance_months, attended_minutes)
        SELECT tenant_id, placement_id, SUM(months), SUM(minutes) FROM (
            SELECT tenant_id, placement_id, 1 AS months, attended_minutes AS minutes FROM new_rows
            UNION ALL
            SELECT tenant_id, placement_id, -1, -attended_minutes FROM old_rows
        ) d GROUP BY tenant_id, placement_id
        ON CONFLICT (placement_id) DO UPDATE SET
            attendance_months = t.attendance_months + EXCLUDED.attendance_months,
            attended_minutes = t.attended_minutes + EXCLUDED.attended_minutes;
    ELSE
        UPDATE placement_totals t SET
            attendance_months = t.attendance_months - d.months,
            attended_minutes = t.attended_minutes - d.minutes
        FROM (SELECT placement_id, COUNT(*) AS months, SUM(attended_minutes) AS minutes
              FROM old_rows GROUP BY placement_id) d
        WHERE t.placement_id = d.placement_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER attendance_totals_insert AFTER INSERT ON attendance_months
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vidare_totals_attendance();
CREATE TRIGGER attendance_totals_update AFTER UPDATE ON attendance_months
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vidare_totals_attendance();
CREATE TRIGGER attendance_totals_delete AFTER DELETE ON attendance_months
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vidare_totals_attendance();

-- Invoice lines: what their invoice, as it stands, makes them count for. (The
-- transition tables are visible only in the trigger function itself, so each branch
-- spells out its delta and the same two upserts.)
CREATE FUNCTION vidare_totals_invoice_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH d AS MATERIALIZED (
            SELECT l.tenant_id, l.placement_id,
                   l.amount_ore * vidare_paid_factor(i.status, i.kind) AS paid,
                   i.organisation_id, l.agreement_id, i.month, 1::BIGINT AS lines
            FROM new_rows l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
            WHERE i.status <> 'draft'
        ),
        p AS (
            INSERT INTO placement_totals AS t (tenant_id, placement_id, paid_ore)
            SELECT tenant_id, placement_id, SUM(paid) FROM d GROUP BY tenant_id, placement_id
            ON CONFLICT (placement_id) DO UPDATE SET paid_ore = t.paid_ore + EXCLUDED.paid_ore
        )
        INSERT INTO supplier_month_payments AS s
            (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
        SELECT tenant_id, organisation_id, agreement_id, month, SUM(paid), SUM(lines)
        FROM d WHERE lines <> 0 GROUP BY tenant_id, organisation_id, agreement_id, month
        ON CONFLICT (tenant_id, organisation_id, agreement_id, month) DO UPDATE SET
            amount_ore = s.amount_ore + EXCLUDED.amount_ore,
            line_count = s.line_count + EXCLUDED.line_count;
    ELSIF TG_OP = 'UPDATE' THEN
        WITH d AS MATERIALIZED (
            SELECT l.tenant_id, l.placement_id,
                   l.amount_ore * vidare_paid_factor(i.status, i.kind) AS paid,
                   i.organisation_id, l.agreement_id, i.month, 1::BIGINT AS lines
            FROM new_rows l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
            WHERE i.status <> 'draft'
            UNION ALL
            SELECT l.tenant_id, l.placement_id,
                   -l.amount_ore * vidare_paid_factor(i.status, i.kind) AS paid,
                   i.organisation_id, l.agreement_id, i.month, -1::BIGINT AS lines
            FROM old_rows l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
            WHERE i.status <> 'draft'
        ),
        p AS (
            INSERT INTO placement_totals AS t (tenant_id, placement_id, paid_ore)
            SELECT tenant_id, placement_id, SUM(paid) FROM d GROUP BY tenant_id, placement_id
            ON CONFLICT (placement_id) DO UPDATE SET paid_ore = t.paid_ore + EXCLUDED.paid_ore
        )
        INSERT INTO supplier_month_payments AS s
            (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
        SELECT tenant_id, organisation_id, agreement_id, month, SUM(paid), SUM(lines)
        FROM d WHERE lines <> 0 GROUP BY tenant_id, organisation_id, agreement_id, month
        ON CONFLICT (tenant_id, organisation_id, agreement_id, month) DO UPDATE SET
            amount_ore = s.amount_ore + EXCLUDED.amount_ore,
            line_count = s.line_count + EXCLUDED.line_count;
    ELSE
        WITH d AS MATERIALIZED (
            SELECT l.tenant_id, l.placement_id,
                   -l.amount_ore * vidare_paid_factor(i.status, i.kind) AS paid,
                   i.organisation_id, l.agreement_id, i.month, -1::BIGINT AS lines
            FROM old_rows l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
            WHERE i.status <> 'draft'
        ),
        p AS (
            INSERT INTO placement_totals AS t (tenant_id, placement_id, paid_ore)
            SELECT tenant_id, placement_id, SUM(paid) FROM d GROUP BY tenant_id, placement_id
            ON CONFLICT (placement_id) DO UPDATE SET paid_ore = t.paid_ore + EXCLUDED.paid_ore
        )
        INSERT INTO supplier_month_payments AS s
            (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
        SELECT tenant_id, organisation_id, agreement_id, month, SUM(paid), SUM(lines)
        FROM d WHERE lines <> 0 GROUP BY tenant_id, organisation_id, agreement_id, month
        ON CONFLICT (tenant_id, organisation_id, agreement_id, month) DO UPDATE SET
            amount_ore = s.amount_ore + EXCLUDED.amount_ore,
            line_count = s.line_count + EXCLUDED.line_count;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER invoice_lines_totals_insert AFTER INSERT ON invoice_lines
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vidare_totals_invoice_lines();
CREATE TRIGGER invoice_lines_totals_update AFTER UPDATE ON invoice_lines
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vidare_totals_invoice_lines();
CREATE TRIGGER invoice_lines_totals_delete AFTER DELETE ON invoice_lines
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vidare_totals_invoice_lines();

-- Invoices: a change of status, kind, supplier or month moves their lines' amounts.
CREATE FUNCTION vidare_totals_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
        WITH changed AS (
            SELECT n.tenant_id, n.id, o.status AS old_status, o.kind AS old_kind,
                   o.organisation_id AS old_org, o.month AS old_month, n.status AS new_status,
                   n.kind AS new_kind, n.organisation_id AS new_org, n.month AS new_month
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE vidare_paid_factor(o.status, o.kind) <> vidare_paid_factor(n.status, n.kind)
               OR (o.status = 'draft') <> (n.status = 'draft')
               OR ((o.status <> 'draft' OR n.status <> 'draft')
                   AND (o.organisation_id <> n.organisation_id OR o.month <> n.month))
        ),
        d AS MATERIALIZED (
            SELECT l.tenant_id, l.placement_id,
                   l.amount_ore * (vidare_paid_factor(c.new_status, c.new_kind)) AS paid,
                   c.new_org AS organisation_id, l.agreement_id, c.new_month AS month,
                   (CASE WHEN c.new_status <> 'draft' THEN 1 ELSE 0 END)::BIGINT AS lines
            FROM changed c JOIN invoice_lines l ON l.tenant_id = c.tenant_id AND l.invoice_id = c.id
            UNION ALL
            SELECT l.tenant_id, l.placement_id,
                   -l.amount_ore * (vidare_paid_factor(c.old_status, c.old_kind)),
                   c.old_org, l.agreement_id, c.old_month,
                   (CASE WHEN c.old_status <> 'draft' THEN -1 ELSE 0 END)::BIGINT
            FROM changed c JOIN invoice_lines l ON l.tenant_id = c.tenant_id AND l.invoice_id = c.id
        ),
        p AS (
            INSERT INTO placement_totals AS t (tenant_id, placement_id, paid_ore)
            SELECT tenant_id, placement_id, SUM(paid) FROM d GROUP BY tenant_id, placement_id
            ON CONFLICT (placement_id) DO UPDATE SET paid_ore = t.paid_ore + EXCLUDED.paid_ore
        )
        INSERT INTO supplier_month_payments AS s
            (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
        SELECT tenant_id, organisation_id, agreement_id, month, SUM(paid), SUM(lines)
        FROM d WHERE lines <> 0 GROUP BY tenant_id, organisation_id, agreement_id, month
        ON CONFLICT (tenant_id, organisation_id, agreement_id, month) DO UPDATE SET
            amount_ore = s.amount_ore + EXCLUDED.amount_ore,
            line_count = s.line_count + EXCLUDED.line_count;
    RETURN NULL;
END $$;

CREATE TRIGGER invoices_totals_update AFTER UPDATE ON invoices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vidare_totals_invoices();

-- Derived data must follow whatever writes the rows, including a bulk load that runs
-- with `session_replication_role = replica` to skip foreign-key checks (which would
-- otherwise skip these triggers too).
ALTER TABLE attendance_months ENABLE ALWAYS TRIGGER attendance_totals_insert;
ALTER TABLE attendance_months ENABLE ALWAYS TRIGGER attendance_totals_update;
ALTER TABLE attendance_months ENABLE ALWAYS TRIGGER attendance_totals_delete;
ALTER TABLE invoice_lines ENABLE ALWAYS TRIGGER invoice_lines_totals_insert;
ALTER TABLE invoice_lines ENABLE ALWAYS TRIGGER invoice_lines_totals_update;
ALTER TABLE invoice_lines ENABLE ALWAYS TRIGGER invoice_lines_totals_delete;
ALTER TABLE invoices ENABLE ALWAYS TRIGGER invoices_totals_update;

-- What is already there.
INSERT INTO placement_totals (tenant_id, placement_id, attendance_months, attended_minutes)
SELECT tenant_id, placement_id, COUNT(*), SUM(attended_minutes)
FROM attendance_months GROUP BY tenant_id, placement_id;

INSERT INTO placement_totals AS t (tenant_id, placement_id, paid_ore)
SELECT l.tenant_id, l.placement_id, SUM(l.amount_ore * vidare_paid_factor(i.status, i.kind))
FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
WHERE i.status <> 'draft' GROUP BY l.tenant_id, l.placement_id
ON CONFLICT (placement_id) DO UPDATE SET paid_ore = EXCLUDED.paid_ore;

INSERT INTO supplier_month_payments
    (tenant_id, organisation_id, agreement_id, month, amount_ore, line_count)
SELECT l.tenant_id, i.organisation_id, l.agreement_id, i.month,
       SUM(l.amount_ore * vidare_paid_factor(i.status, i.kind)), COUNT(*)
FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
WHERE i.status <> 'draft' GROUP BY l.tenant_id, i.organisation_id, l.agreement_id, i.month;
