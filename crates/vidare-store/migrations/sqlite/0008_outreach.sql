-- Suppliers register themselves for information meetings in their portal. A
-- registration the procurement officer records by name has no organisation; one a
-- supplier makes carries its organisation, the attendees' names, a contact address and
-- the user who made it. One registration per organisation and meeting (NULLs, the
-- officer's records, are distinct).
ALTER TABLE meeting_registrations ADD COLUMN organisation_id INTEGER;
ALTER TABLE meeting_registrations ADD COLUMN attendee_names TEXT;
ALTER TABLE meeting_registrations ADD COLUMN email TEXT;
ALTER TABLE meeting_registrations ADD COLUMN registered_by INTEGER;

CREATE UNIQUE INDEX meeting_registrations_organisation
    ON meeting_registrations (tenant_id, meeting_id, organisation_id);
