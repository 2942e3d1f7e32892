-- What synthetic municipalities (and, later, register extracts) need beyond 0001:
-- the date a participant entered the labour-market unit's register, the register's
-- record of when each registered person began work or studies (for the placed and the
-- never-placed comparison pool alike), and the outreach of a round being prepared
-- (invitations, information meetings and their registrations).
-- Dates are ISO-8601 text, timestamps RFC 3339 text in UTC, as in 0001.

-- NULL for participants registered before this column existed or imported without it.
ALTER TABLE participants ADD COLUMN registered_on TEXT;

-- One row per registered participant: the first start of work or studies (as the
-- national indicator counts them) seen in the register up to observed_until, if any.
CREATE TABLE register_outcomes (
    tenant_id INTEGER NOT NULL,
    participant_id INTEGER PRIMARY KEY,
    began_on TEXT,
    activity TEXT,
    observed_until TEXT NOT NULL,
    FOREIGN KEY (tenant_id, participant_id) REFERENCES participants (tenant_id, id),
    CHECK ((began_on IS NULL) = (activity IS NULL)),
    CHECK (began_on IS NULL OR began_on <= observed_until)
);

-- Letters inviting potential suppliers to a round's information meeting. A recipient
-- need not be a registered organisation yet.
CREATE TABLE round_invitations (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    organisation_id INTEGER,
    recipient_name TEXT NOT NULL,
    email TEXT,
    sent_on TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id)
);

CREATE TABLE information_meetings (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    -- Europe/Stockholm local time, ISO 8601 without offset (as tender deadlines).
    starts_at_local TEXT NOT NULL,
    place TEXT NOT NULL,
    capacity INTEGER CHECK (capacity > 0),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, round_id) REFERENCES procurement_rounds (tenant_id, id)
);

CREATE TABLE meeting_registrations (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    meeting_id INTEGER NOT NULL,
    invitation_id INTEGER,
    organisation_name TEXT NOT NULL,
    attendees INTEGER NOT NULL CHECK (attendees > 0),
    registered_on TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, meeting_id) REFERENCES information_meetings (tenant_id, id),
    FOREIGN KEY (tenant_id, invitation_id) REFERENCES round_invitations (tenant_id, id)
);

CREATE INDEX register_outcomes_tenant ON register_outcomes (tenant_id, began_on);
CREATE INDEX participants_registered ON participants (tenant_id, registered_on);
CREATE INDEX round_invitations_round ON round_invitations (tenant_id, round_id);
CREATE INDEX meeting_registrations_meeting ON meeting_registrations (tenant_id, meeting_id);
