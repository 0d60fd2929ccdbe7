-- The version of the dossier the national portal last accepted (the reports' share of
-- synchronised dossiers reads it).
ALTER TABLE dossiers ADD COLUMN national_synced_version INTEGER;
