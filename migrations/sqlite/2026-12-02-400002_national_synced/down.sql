ALTER TABLE dossiers DROP COLUMN national_synced_version;
