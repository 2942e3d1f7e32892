-- Who read a participant's data, indexed by minute instead of by view: one key per
-- participant and minute in which any view showed them. The views themselves are that
-- minute's access_events, found by (tenant_id, at) and filtered on their participant
-- lists. A page shown again within the minute then writes its event row and no keys;
-- with one key per person and view, a list page wrote fifty keys on as many leaf pages
-- with every view, and that was half its cost under load. `minute_start` and
-- `minute_end` are in access_events.at's format, so the range compares as text.
CREATE TABLE access_subject_minutes (
    tenant_id INTEGER NOT NULL,
    participant_id INTEGER NOT NULL,
    minute_start TEXT NOT NULL,
    minute_end TEXT NOT NULL,
    PRIMARY KEY (tenant_id, participant_id, minute_start)
) WITHOUT ROWID;

INSERT INTO access_subject_minutes (tenant_id, participant_id, minute_start, minute_end)
SELECT DISTINCT s.tenant_id, s.participant_id,
       strftime('%Y-%m-%dT%H:%M:00+00:00', e.at),
       strftime('%Y-%m-%dT%H:%M:00+00:00', e.at, '+1 minute')
FROM access_subjects s JOIN access_events e ON e.id = s.event_id;
DROP TABLE access_subjects;
