-- The access log as one event per view (who, when, why, where) and one narrow row per
-- participant whose personal data the view showed. A list page shows fifty people: it
-- used to write fifty wide rows, each into the table and two indexes, on the single
-- writer; now it writes one event and fifty (tenant, participant, event) keys into one
-- clustered index. `participants` repeats the event's participant ids (comma-separated,
-- in the order shown) so the log can be read newest first without a second index.
CREATE TABLE access_events (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    at TEXT NOT NULL,
    user_id INTEGER,
    actor TEXT NOT NULL,
    purpose TEXT NOT NULL,
    route TEXT,
    participants TEXT NOT NULL,
    subject_count INTEGER NOT NULL CHECK (subject_count > 0)
);
CREATE INDEX access_events_at ON access_events (tenant_id, at);

-- Who read this participant's data: one row per participant and event. Written only
-- with its event, in the same transaction (no foreign key: the check would cost a
-- lookup per row on the log's hot path, and nothing ever deletes an event).
CREATE TABLE access_subjects (
    tenant_id INTEGER NOT NULL,
    participant_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, participant_id, event_id)
) WITHOUT ROWID;

INSERT INTO access_events (id, tenant_id, at, user_id, actor, purpose, route, participants, subject_count)
SELECT id, tenant_id, at, user_id, actor, purpose, route, CAST(participant_id AS TEXT), 1
FROM access_log;
INSERT INTO access_subjects (tenant_id, participant_id, event_id)
SELECT tenant_id, participant_id, id FROM access_log;
DROP TABLE access_log;
