-- The web platform: passwords, sessions, login throttling, API tokens, and the audit
-- and access logs. Timestamps RFC 3339 text in UTC, as in 0001.

ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN lang TEXT CHECK (lang IN ('sv', 'en'));

-- The municipality's logo, shown in the page header (PNG or SVG, at most 256 KiB).
ALTER TABLE tenants ADD COLUMN logo_mime TEXT CHECK (logo_mime IN ('image/png', 'image/svg+xml'));
ALTER TABLE tenants ADD COLUMN logo BLOB;

-- A session is known by the SHA-256 of its cookie value; the value itself is never stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed sign-ins, for throttling by account and by address across server instances.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (tenant_id, email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

-- Tokens for system integrations, scoped to a tenant and a role. Stored as SHA-256.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    organisation_id INTEGER,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id),
    CHECK ((role = 'supplier_user') = (organisation_id IS NOT NULL))
);

-- The audit log: append-only, one hash chain per tenant. Each entry's hash covers the
-- previous entry's hash and every field of the entry, so editing or deleting any entry
-- breaks the chain (`vidare audit verify`). The head row holds the last sequence number
-- and hash, so deleting the newest entries is caught too; updating it also serialises
-- concurrent appends.
CREATE TABLE audit_heads (
    tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_log (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor_user_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Every read of a participant's personal data: who, when, which record, why.
CREATE TABLE access_log (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    at TEXT NOT NULL,
    user_id INTEGER,
    actor TEXT NOT NULL,
    participant_id INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    route TEXT
);
CREATE INDEX access_log_participant ON access_log (tenant_id, participant_id, at);
CREATE INDEX access_log_at ON access_log (tenant_id, at);
