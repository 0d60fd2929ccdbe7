DROP INDEX dossier_events_supplement_idx;
ALTER TABLE dossier_events DROP COLUMN office_code;
ALTER TABLE dossiers DROP COLUMN supplement_requests;
