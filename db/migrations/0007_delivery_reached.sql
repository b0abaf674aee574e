-- A channel with several targets (an apprise channel given several URLs) may reach some of them and
-- fail on the others. reached: a JSON list of the fingerprints (a hash, never the URL) of the targets
-- that accepted the delivery, so a retry goes only to the rest and nobody gets the message twice.
ALTER TABLE deliveries ADD COLUMN reached TEXT NOT NULL DEFAULT '[]';
