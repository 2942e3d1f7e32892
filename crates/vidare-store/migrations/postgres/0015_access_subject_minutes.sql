-- Who read a participant's data, indexed by minute instead of by view: one key per
-- participant and minute in which any view showed them. The views themselves are that
-- minute's access_events, found by (tenant_id, at) and filtered on their participant
-- lists. A page shown again within the minute then writes its event row and no keys;
-- with one key per person and view, a list page wrote fifty keys with every view, and
-- that was half its cost under load.
CREATE TABLE access_subject_minutes (
    tenant_id BIGINT NOT NULL,
    participant_id BIGINT NOT NULL,
    minute_start TIMESTAMPTZ NOT NULL,
    minute_end TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, participant_id, minute_start)
);

INSERT INTO access_subject_minutes (tenant_id, participant_id, minute_start, minute_end)
SELECT DISTINCT s.tenant_id, s.participant_id,
       date_trunc('minute', e.at),
       date_trunc('minute', e.at) + INTERVAL '1 minute'
FROM access_subjects s JOIN access_events e ON e.id = s.event_id;
DROP TABLE access_subjects;
