-- The newest sequence number of a tenant's audit chain that records a change of its
-- data, as opposed to account bookkeeping (sign-ins, passwords, roles, API tokens:
-- entities `users` and `api_tokens`). Figures derived from the data (the dashboards'
-- effect figures, the overview's counts) are kept under this position, so a sign-in
-- does not make them stale.
ALTER TABLE audit_heads ADD COLUMN data_seq BIGINT NOT NULL DEFAULT 0;
UPDATE audit_heads SET data_seq = COALESCE(
    (SELECT MAX(seq) FROM audit_log l
     WHERE l.tenant_id = audit_heads.tenant_id AND l.entity NOT IN ('users', 'api_tokens')),
    0);
