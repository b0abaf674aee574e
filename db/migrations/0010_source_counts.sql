-- What a check and `monitor sources` read of each source, kept on its row: the papers and news of its
-- newest accepted page (set by the check that accepts one, `Store.update_items`), and how many checks
-- and events it has had (counted up as they are written). A snapshot's own counts sit after its page
-- and body, so reading them walks both; counting check and event rows for 10,000 sources was a third
-- of `monitor sources`'s start-up.
ALTER TABLE sources ADD COLUMN papers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN news INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN check_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;

-- (The counts are read off the page, not the snapshot's own columns, which only migration 0005 adds.)
UPDATE sources SET
    papers = COALESCE((SELECT json_array_length(n.page, '$.publications') FROM snapshots n
                       WHERE n.source_id = sources.id AND n.state = 'accepted' ORDER BY n.id DESC LIMIT 1), 0),
    news = COALESCE((SELECT json_array_length(n.page, '$.news') FROM snapshots n
                     WHERE n.source_id = sources.id AND n.state = 'accepted' ORDER BY n.id DESC LIMIT 1), 0),
    check_count = (SELECT COUNT(*) FROM checks c WHERE c.source_id = sources.id),
    event_count = (SELECT COUNT(*) FROM events e WHERE e.source_id = sources.id);
