-- Source health: when each source last worked and since when it has been failing, so that a source
-- failing for good is announced (source_failing) and its return too (source_recovered).
-- failing_since: the first failed check of the current run of failures; failures: failed checks in a
-- row; failing_alerted: source_failing was sent for this run.
ALTER TABLE sources ADD COLUMN last_success_at TEXT;
ALTER TABLE sources ADD COLUMN failing_since TEXT;
ALTER TABLE sources ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN failing_alerted INTEGER NOT NULL DEFAULT 0;

UPDATE sources SET last_success_at =
    (SELECT MAX(c.started_at) FROM checks c WHERE c.source_id = sources.id AND c.outcome != 'failed');
UPDATE sources SET
    failures = (SELECT COUNT(*) FROM checks c WHERE c.source_id = sources.id AND c.outcome = 'failed'
                AND c.id > COALESCE((SELECT MAX(k.id) FROM checks k WHERE k.source_id = sources.id
                                     AND k.outcome != 'failed'), 0)),
    failing_since = (SELECT MIN(c.started_at) FROM checks c WHERE c.source_id = sources.id AND c.outcome = 'failed'
                     AND c.id > COALESCE((SELECT MAX(k.id) FROM checks k WHERE k.source_id = sources.id
                                          AND k.outcome != 'failed'), 0));

-- Health events belong to a check, not to a snapshot: events.snapshot_id becomes optional. SQLite
-- cannot drop a NOT NULL in place, so the table is rebuilt (foreign keys are off during migrations
-- and checked before the commit; see Store.migrate). snapshot_id is NULL for source_failing and
-- source_recovered.
CREATE TABLE events_new (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    snapshot_id INTEGER REFERENCES snapshots(id),
    type TEXT NOT NULL,
    key TEXT NOT NULL,
    title TEXT,
    text TEXT,
    field TEXT,
    before TEXT,
    after TEXT,
    kind TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    alert INTEGER NOT NULL DEFAULT 0,
    detected_at TEXT NOT NULL
);
INSERT INTO events_new (id, source_id, snapshot_id, type, key, title, text, field, before, after, kind, data, alert,
                        detected_at)
    SELECT id, source_id, snapshot_id, type, key, title, text, field, before, after, kind, data, alert, detected_at
    FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX IF NOT EXISTS events_source ON events(source_id, snapshot_id);
CREATE INDEX IF NOT EXISTS events_time ON events(detected_at);

-- Items the page lost in bulk (a suspect page confirmed): never announced as new when they return.
ALTER TABLE items ADD COLUMN lost_in_bulk INTEGER NOT NULL DEFAULT 0;
