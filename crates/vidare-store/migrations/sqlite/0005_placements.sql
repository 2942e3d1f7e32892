-- Case work and the suppliers' portal: the tenant's settings for them (the secret behind
-- participants' pseudonyms, the monthly attendance deadline), progress notes and
-- three-party meetings of a placement, when attendance was submitted and approved, the
-- supplier's note on a referral, and anonymisation after the retention period.
-- Dates are ISO-8601 text, timestamps RFC 3339 text in UTC, as in 0001.

CREATE TABLE casework_settings (
    tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id),
    -- 32 random bytes, hex: the HMAC key of the pseudonyms suppliers see (D-7F3K2Q).
    pseudonym_key TEXT NOT NULL,
    -- Attendance for a month is due on this day of the following month (Stockholm time).
    attendance_deadline_day INTEGER NOT NULL DEFAULT 5 CHECK (attendance_deadline_day BETWEEN 1 AND 28)
);

-- A progress note ('progress') or a three-party meeting ('meeting': participant, supplier
-- and case worker, with who attended) in a placement.
CREATE TABLE placement_notes (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    placement_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('progress', 'meeting')),
    noted_on TEXT NOT NULL,
    attendees TEXT,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, placement_id) REFERENCES placements (tenant_id, id),
    CHECK ((kind = 'meeting') = (attendees IS NOT NULL))
);

ALTER TABLE attendance_months ADD COLUMN submitted_at TEXT;
ALTER TABLE attendance_months ADD COLUMN approved_at TEXT;
ALTER TABLE attendance_months ADD COLUMN approved_by TEXT;

-- The supplier's note when answering a referral (why it was declined).
ALTER TABLE referrals ADD COLUMN decision_note TEXT;

-- Anonymised after the retention period: name and identity number replaced by
-- placeholders; the birth year is kept for the statistics' age bands.
ALTER TABLE participants ADD COLUMN anonymised_on TEXT;
ALTER TABLE participants ADD COLUMN birth_year INTEGER;

CREATE INDEX placement_notes_placement ON placement_notes (tenant_id, placement_id, noted_on);
CREATE INDEX exits_tenant_date ON exits (tenant_id, exit_date);
CREATE INDEX placement_pauses_placement ON placement_pauses (tenant_id, placement_id);
CREATE INDEX placements_org_period ON placements (tenant_id, organisation_id, start_date);
