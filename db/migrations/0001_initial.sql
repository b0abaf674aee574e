-- The first schema: sources, every check attempt, snapshots when content changed, items, events.
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    last_check_at TEXT,
    last_outcome TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    started_at TEXT NOT NULL,
    duration REAL NOT NULL,
    status INTEGER,
    bytes INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    outcome TEXT NOT NULL,          -- new | changed | unchanged | not_modified | suspect | confirmed | failed
    error TEXT,
    snapshot_id INTEGER REFERENCES snapshots(id),
    events INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS checks_source ON checks(source_id, id);

CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    taken_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    content_type TEXT,
    state TEXT NOT NULL,            -- accepted | suspect
    suspect_reason TEXT,
    page TEXT NOT NULL,             -- the extracted Page as JSON
    body BLOB NOT NULL              -- the raw body, zlib-compressed
);
CREATE INDEX IF NOT EXISTS snapshots_source ON snapshots(source_id, id);

CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    kind TEXT NOT NULL,             -- paper | news | announcement
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    present INTEGER NOT NULL DEFAULT 1,
    UNIQUE (source_id, kind, key)
);

CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
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
CREATE INDEX IF NOT EXISTS events_source ON events(source_id, snapshot_id);
CREATE INDEX IF NOT EXISTS events_time ON events(detected_at);
