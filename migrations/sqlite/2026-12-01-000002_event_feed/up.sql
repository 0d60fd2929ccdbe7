-- The event feed's position: assigned after commit, in commit order, by one assigner at a time
-- (store::feed), so that a reader following it sees every committed event exactly once.
ALTER TABLE dossier_events ADD COLUMN feed_position BIGINT;
UPDATE dossier_events SET feed_position = n.pos
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS pos FROM dossier_events) n
WHERE dossier_events.id = n.id;
CREATE UNIQUE INDEX dossier_events_feed_idx ON dossier_events (feed_position);
CREATE INDEX dossier_events_unfed_idx ON dossier_events (id) WHERE feed_position IS NULL;
