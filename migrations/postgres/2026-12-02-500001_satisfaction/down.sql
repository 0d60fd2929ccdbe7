ALTER TABLE dossiers DROP COLUMN national_synced_at;
ALTER TABLE dossiers DROP COLUMN first_complaint_at;
ALTER TABLE dossiers DROP COLUMN rated_at;
ALTER TABLE dossiers DROP COLUMN rating_comment;
ALTER TABLE dossiers DROP COLUMN rating;
