-- applied if: EXISTS (SELECT 1 FROM pragma_table_info('items') WHERE name = 'rkey')
-- Items keep what identifies them and where their content is, not the content itself: the page
-- JSON of the snapshot that last showed an item holds it (items.data repeated it, about half the
-- database). Each item keeps its key, kind, when it was first and last seen, whether the page shows
-- it, and:
--   rkey:        the key it is recognised by when it comes back (diff.returning_key), when that differs
--                from key (news: with its date; announcements: with their sentence); NULL for papers;
--   hash:        a 64-bit hash of the item's content, to tell an edited item from an unchanged one;
--   snapshot_id: the snapshot that last showed it, and
--   pos:         its place in that page's list of its kind ($.publications, $.news, $.announcements),
--                so its content is json_extract(page, '$.<list>[' || pos || ']');
--   data:        the content itself only for an item no snapshot lists any more (none is written now;
--                kept so this migration loses nothing it cannot point to).
-- The view items_with_data gives every item with its content, as items.data did.
-- returning_key(), item_hash() and item_key() are the store's own functions, registered for the migration.
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
    snapshot_id INTEGER REFERENCES snapshots(id),
    pos INTEGER,
    data TEXT,
    UNIQUE (source_id, kind, key)
);
INSERT INTO items_new (id, source_id, kind, key, rkey, hash, first_seen, last_seen, present, lost_in_bulk, data)
    SELECT id, source_id, kind, key,
           NULLIF(returning_key(kind, key, json_extract(data, '$.text'), json_extract(data, '$.date')), key),
           item_hash(data), first_seen, last_seen, present, lost_in_bulk, data
    FROM items;
-- Where each item is: the newest snapshot of its source that lists it under its key (the last place
-- in that list, as the item row was written last from there).
CREATE TEMP TABLE item_places AS
    SELECT n.source_id, k.kind, item_key(k.kind, j.value) AS key, n.id AS snapshot_id, CAST(j.key AS INTEGER) AS pos
    FROM snapshots n
    JOIN (SELECT 'paper' AS kind, '$.publications' AS list UNION ALL SELECT 'news', '$.news'
          UNION ALL SELECT 'announcement', '$.announcements') k
    JOIN json_each(n.page, k.list) j;
CREATE INDEX temp.item_places_key ON item_places(source_id, kind, key, snapshot_id, pos);
UPDATE items_new SET (snapshot_id, pos) = (
    SELECT p.snapshot_id, p.pos FROM item_places p
    WHERE p.source_id = items_new.source_id AND p.kind = items_new.kind AND p.key = items_new.key
    ORDER BY p.snapshot_id DESC, p.pos DESC LIMIT 1);
DROP TABLE item_places;
UPDATE items_new SET data = NULL WHERE snapshot_id IS NOT NULL;
DROP TABLE items;
ALTER TABLE items_new RENAME TO items;
CREATE INDEX IF NOT EXISTS items_snapshot ON items(snapshot_id);
-- Each item with its content (data, JSON) read from where it is: for SQL readers (Datasette) and Store.
CREATE VIEW items_with_data AS
    SELECT i.id, i.source_id, i.kind, i.key, i.first_seen, i.last_seen, i.present, i.lost_in_bulk, i.snapshot_id,
           i.pos, i.hash,
           COALESCE(i.data, json_extract(n.page, '$.' || CASE i.kind WHEN 'paper' THEN 'publications'
                    WHEN 'news' THEN 'news' ELSE 'announcements' END || '[' || i.pos || ']')) AS data
    FROM items i LEFT JOIN snapshots n ON n.id = i.snapshot_id;

ALTER TABLE snapshots ADD COLUMN papers INTEGER;
ALTER TABLE snapshots ADD COLUMN news INTEGER;
UPDATE snapshots SET papers = json_array_length(page, '$.publications'), news = json_array_length(page, '$.news');
