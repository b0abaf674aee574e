-- The pages a source is read from: its address (role home) and the pages it links to as its publications
-- or news (linked) or lists under pages: (listed). Each page keeps its own validators and the hash and
-- extraction of its last good body, so an unchanged site is all 304s and a page that fails keeps its last
-- good content in the merge; and its own run of failures (as sources do), so a followed page that keeps
-- failing is alerted. The homepage's validators stay in sources (etag, last_modified); sources.content_hash
-- is now the hash of the whole site (for a single page, the hash of its body, as before).
CREATE TABLE IF NOT EXISTS source_pages (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    url TEXT NOT NULL,              -- as fetched, redacted (safe.redact_url)
    role TEXT NOT NULL,             -- home | linked | listed
    why TEXT,                       -- why it is read: the link text or path that matched
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,              -- of the last good body
    page TEXT,                      -- the extraction of that body alone (Page JSON)
    links TEXT,                     -- home: the links followed from it (JSON); NULL: not looked for
    status INTEGER,
    error TEXT,
    checked_at TEXT,
    last_success_at TEXT,
    failing_since TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    failing_alerted INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, url)
);
CREATE INDEX IF NOT EXISTS source_pages_role ON source_pages(source_id, role);

-- Every source read so far was one page: its newest snapshot is its homepage's extraction.
INSERT OR IGNORE INTO source_pages (source_id, url, role, content_hash, page, checked_at, last_success_at)
    SELECT s.id, s.url, 'home', s.content_hash,
           (SELECT page FROM snapshots WHERE source_id = s.id ORDER BY id DESC LIMIT 1),
           s.last_check_at, s.last_success_at
    FROM sources s WHERE s.content_hash IS NOT NULL;
