-- The audit log keeps its proof when personal data leaves it.
--
-- From version 2 an entry's hash covers a digest of its payload (the record before and
-- after) instead of the payload itself: SHA-256 over a random salt and the payload. When
-- a participant is anonymised, the payloads of the entries about them are removed (and
-- their salt with them, so the digest cannot be matched against guesses) while the
-- digest stays, and the chain still verifies; the redaction is itself an entry (action
-- `redact`, entity `audit_log`) listing the entries it emptied, which `redacted_by`
-- points to. Entries written before this migration are version 1 (their hash covers the
-- payload); `vidare migrate` converts each tenant's intact version-1 chain to version 2
-- right after this migration and records the conversion in the chain.
--
-- `participant_id`: the participant an entry is about (found from the record it
-- names), covered by the version-2 hash; the redaction and the access log of audit-log
-- reads use it.
ALTER TABLE audit_log ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 1 CHECK (hash_version IN (1, 2));
ALTER TABLE audit_log ADD COLUMN participant_id INTEGER;
ALTER TABLE audit_log ADD COLUMN payload_salt TEXT;
ALTER TABLE audit_log ADD COLUMN payload_digest TEXT;
ALTER TABLE audit_log ADD COLUMN redacted_by INTEGER;
CREATE INDEX audit_log_participant ON audit_log (tenant_id, participant_id) WHERE participant_id IS NOT NULL;
-- Entries still at hash version 1, which every `migrate` looks for (and finds none of
-- once converted): without this, each start would read the whole log to learn that.
CREATE INDEX audit_log_version_1 ON audit_log (tenant_id) WHERE hash_version = 1;

-- Still append-only, with two exceptions: a redaction (the payload and its salt
-- removed, `redacted_by` set, nothing else touched) and the one-time upgrade of
-- version-1 entries (whose place, time, actor, action and record stay). `vidare audit verify`
-- finds a redaction without its record, and any other change, as before.
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (
    NEW.tenant_id = OLD.tenant_id AND NEW.seq = OLD.seq AND NEW.at = OLD.at
    AND NEW.actor_user_id IS OLD.actor_user_id AND NEW.actor = OLD.actor
    AND NEW.action = OLD.action AND NEW.entity = OLD.entity AND NEW.entity_id IS OLD.entity_id
    AND (
        (OLD.redacted_by IS NULL AND NEW.redacted_by IS NOT NULL AND NEW.redacted_by > OLD.seq
         AND NEW.before_json IS NULL AND NEW.after_json IS NULL AND NEW.payload_salt IS NULL
         AND NEW.payload_digest IS OLD.payload_digest AND NEW.participant_id IS OLD.participant_id
         AND NEW.hash_version = OLD.hash_version AND NEW.prev_hash = OLD.prev_hash
         AND NEW.hash = OLD.hash)
        OR (OLD.hash_version = 1 AND OLD.redacted_by IS NULL AND NEW.redacted_by IS NULL)
    )
)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- How long a participant's personal data is kept after their last activity (the end of
-- their last placement, or their registration if never placed), in whole years; then
-- `vidare participants anonymise` anonymises them. Five years by default, after the
-- weeding rule for social services records: socialtjänstlagen (2001:453) 12 kap. 1 §,
-- "uppgifter i en personakt ska gallras fem år efter det att sista anteckningen gjordes
-- i akten".
ALTER TABLE tenants ADD COLUMN retention_years INTEGER NOT NULL DEFAULT 5 CHECK (retention_years BETWEEN 1 AND 50);
