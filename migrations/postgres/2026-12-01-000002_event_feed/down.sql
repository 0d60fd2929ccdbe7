DROP INDEX dossier_events_unfed_idx;
DROP INDEX dossier_events_feed_idx;
ALTER TABLE dossier_events DROP COLUMN feed_position;
