-- Items keep what identifies them, not their content: the page JSON of the snapshot that showed
-- an item already holds it (items.data repeated it, about half the database). Each item keeps its
-- key, kind, when it was first and last seen, whether the page shows it, and:
--   rkey: the key it is recognised by when it comes back (diff.returning_key), when that differs
--         from key (news: with its date; announcements: with their sentence); NULL for papers;
--   hash: a 64-bit hash of the item's content, to tell an edited item from an unchanged one.
-- returning_key() and item_hash() are the store's own functions, registered for the migration.
-- Snapshots gain their paper and news counts, so a check reads them without parsing the page JSON.
CREATE TABLE items_new (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    kind TEXT NOT NULL,             -- paper | news | announcement
    key TEXT NOT NULL,
    rkey TEXT,
    hash INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    present INTEGER NOT NULL DEFAULT 1,
    lost_in_bulk INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, kind, key)
);
INSERT INTO items_new (id, source_id, kind, key, rkey, hash, first_seen, last_seen, present, lost_in_bulk)
    SELECT id, source_id, kind, key,
           NULLIF(returning_key(kind, key, json_extract(data, '$.text'), json_extract(data, '$.date')), key),
           item_hash(data), first_seen, last_seen, present, lost_in_bulk
    FROM items;
DROP TABLE items;
ALTER TABLE items_new RENAME TO items;

ALTER TABLE snapshots ADD COLUMN papers INTEGER;
ALTER TABLE snapshots ADD COLUMN news INTEGER;
UPDATE snapshots SET papers = json_array_length(page, '$.publications'), news = json_array_length(page, '$.news');
