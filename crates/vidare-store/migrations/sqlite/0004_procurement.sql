-- The reserved-procurement workflow beyond 0001 and 0003: the round's procurement
-- documents, questions and answers during the tender period, the documents a tender's
-- eligibility declaration carries, the award decision's result per lot, and the
-- suppliers' periodic eligibility declarations during the contract.
-- Dates are ISO-8601 text, timestamps RFC 3339 text in UTC, money integer öre, as in 0001.

-- When an invitation letter was e-mailed (NULL: printed, or not sent by e-mail).
ALTER TABLE round_invitations ADD COLUMN emailed_at TEXT;

-- Procurement documents, published with the notice.
CREATE TABLE round_documents (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    filename TEXT NOT NULL,
    mime TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id),
    CHECK (length(content) > 0)
);

-- A supplier's question during the tender period. Who asked is never published.
CREATE TABLE round_questions (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    question TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    answer TEXT,
    answered_at TEXT,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id),
    CHECK ((answer IS NULL) = (answered_at IS NULL))
);

-- The evidence attached to a tender's eligibility declaration. Sealed with the tender.
CREATE TABLE bid_documents (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    bid_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    mime TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    UNIQUE (bid_id, kind),
    FOREIGN KEY (tenant_id, bid_id) REFERENCES bids (tenant_id, id),
    CHECK (length(content) > 0)
);

-- The award decision per lot and tender: the rank, the weighted total (hundredths of a
-- point) and whether a place in the framework was awarded.
CREATE TABLE award_results (
    tenant_id INTEGER NOT NULL,
    decision_id INTEGER NOT NULL,
    lot_id INTEGER NOT NULL,
    bid_id INTEGER NOT NULL,
    rank INTEGER CHECK (rank > 0),
    total_centi INTEGER CHECK (total_centi BETWEEN 0 AND 10000),
    awarded INTEGER NOT NULL CHECK (awarded IN (0, 1)),
    reason TEXT NOT NULL,
    PRIMARY KEY (decision_id, lot_id, bid_id),
    FOREIGN KEY (tenant_id, decision_id) REFERENCES award_decisions (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id),
    FOREIGN KEY (tenant_id, bid_id) REFERENCES bids (tenant_id, id),
    CHECK (awarded = 0 OR rank IS NOT NULL)
);

-- A supplier's periodic declaration during the contract (the two tests hold for the
-- whole contract).
CREATE TABLE eligibility_declarations (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    organisation_id INTEGER NOT NULL,
    declared_on TEXT NOT NULL,
    purpose_statement TEXT NOT NULL,
    headcount_total INTEGER NOT NULL CHECK (headcount_total > 0),
    headcount_target_groups INTEGER NOT NULL CHECK (headcount_target_groups >= 0 AND headcount_target_groups <= headcount_total),
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id)
);

CREATE INDEX round_documents_round ON round_documents (tenant_id, round_id);
CREATE INDEX round_questions_round ON round_questions (tenant_id, round_id);
CREATE INDEX bid_documents_bid ON bid_documents (tenant_id, bid_id);
CREATE INDEX award_results_decision ON award_results (tenant_id, decision_id);
CREATE INDEX eligibility_declarations_org ON eligibility_declarations (tenant_id, organisation_id, declared_on);
