-- The partial index of the items a source shows now (0009) served `monitor sources`'s counts, which
-- 0010 moved onto the source rows; nothing reads it any more, and every check that stores a page
-- rewrote it (each item leaves it and enters it again): a tenth of storing a new page's items.
DROP INDEX IF EXISTS items_present;
