DROP TABLE office_changes;
ALTER TABLE offices DROP COLUMN successor_code;
ALTER TABLE offices DROP COLUMN closed_at;
