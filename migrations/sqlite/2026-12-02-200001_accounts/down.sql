DROP TABLE catalog_revisions;
DROP TABLE user_changes;
ALTER TABLE users DROP COLUMN token_version;
