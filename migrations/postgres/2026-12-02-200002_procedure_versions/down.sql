ALTER TABLE dossiers DROP COLUMN procedure_version;
DROP TABLE procedure_versions;
