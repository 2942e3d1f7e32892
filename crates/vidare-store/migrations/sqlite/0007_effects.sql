-- Effect measurement (issue 7): versioned, cited parameter sets for the socio-economic
-- and SROI calculations, and precomputed figures for the dashboards.
-- Dates are ISO-8601 text, timestamps RFC 3339 text in UTC, as in 0001.

-- A parameter set is never changed: editing one saves a new version (version + 1 within
-- the same name). `parameters` is a JSON object {key: number}; `sources` a JSON object
-- {key: citation} — every key of `parameters` has a source. The built-in default (the
-- values and citations in vidare_effects::socioeconomic::SPECS) is version 0 and is not
-- stored; a tenant's current set is its newest stored version, else the default.
CREATE TABLE parameter_sets (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    parameters TEXT NOT NULL,
    sources TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, name, version)
);

-- Figures computed for a dashboard, one row per tenant and scope ('all' or 'round:ID'):
-- the JSON of vidare_effects::summary::Summary, when it was computed and the audit-log
-- position of the tenant's data at that moment (a later change makes it stale).
CREATE TABLE effects_cache (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    scope TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    data_stamp INTEGER NOT NULL,
    figures TEXT NOT NULL,
    PRIMARY KEY (tenant_id, scope)
);

CREATE INDEX parameter_sets_tenant ON parameter_sets (tenant_id, created_at);
