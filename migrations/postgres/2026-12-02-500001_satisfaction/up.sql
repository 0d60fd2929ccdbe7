-- What Decision 766's scorecard reads off each dossier "by the period's end", kept up to date by
-- the writes so that a year of a province is counted without joins: the citizen's rating (one per
-- dossier), when the first complaint about it was filed, and when the national portal first
-- accepted a record of it.
ALTER TABLE dossiers ADD COLUMN rating TEXT;
ALTER TABLE dossiers ADD COLUMN rating_comment TEXT;
ALTER TABLE dossiers ADD COLUMN rated_at TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN first_complaint_at TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN national_synced_at TIMESTAMP;
-- Dossiers the portal accepted before this column: the first national record that was sent.
UPDATE dossiers SET national_synced_at = (
    SELECT MIN(o.sent_at) FROM outbox o JOIN dossier_events e ON e.id = o.event_id
    WHERE e.dossier_id = dossiers.id AND o.kind = 'national_sync' AND o.status = 'sent'
) WHERE national_synced_version IS NOT NULL;
