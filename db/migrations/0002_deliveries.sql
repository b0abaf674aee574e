-- The delivery outbox: rows written in the check's transaction, sent and retried by the dispatcher.
-- See monitor/notify.py for the state machine. No secret is ever stored here.
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,            -- a UUID fixed at creation: Idempotency-Key, payload id, Message-ID
    channel TEXT NOT NULL,          -- a name under channels: in sources.yaml
    kind TEXT NOT NULL,             -- immediate | digest
    schedule TEXT NOT NULL,         -- immediate | daily HH:MM | weekly day HH:MM
    slot TEXT,                      -- digests: the UTC time the digest is due
    source_id INTEGER REFERENCES sources(id),  -- immediate: the source whose check made it
    state TEXT NOT NULL DEFAULT 'pending',     -- pending | sending | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until TEXT,               -- while sending: when another dispatcher may take it over
    last_attempt_at TEXT,           -- set by the first attempt, which seals a digest
    last_error TEXT,
    response TEXT,                  -- the server's answer when it accepted the delivery
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_open ON deliveries(channel, slot, state);

CREATE TABLE IF NOT EXISTS delivery_events (
    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    event_id INTEGER NOT NULL REFERENCES events(id),
    PRIMARY KEY (delivery_id, event_id)
);
CREATE INDEX IF NOT EXISTS delivery_events_event ON delivery_events(event_id);

-- Facts about this database that must never change, such as the Atom feed's id.
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', lower(hex(randomblob(16))));
