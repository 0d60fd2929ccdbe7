ALTER TABLE dossiers DROP COLUMN result_digitised_at;
ALTER TABLE dossiers DROP COLUMN components_digitised_at;
DROP TABLE dossier_files;
