-- How many supplement requests each dossier has had (more than one is the agency's breach), and
-- the agency on whose behalf each event was recorded (the one responsible when it happened).
ALTER TABLE dossiers ADD COLUMN supplement_requests INTEGER NOT NULL DEFAULT 0;
UPDATE dossiers SET supplement_requests = (
  SELECT COUNT(*) FROM dossier_events e
  WHERE e.dossier_id = dossiers.id AND e.action = 'request-supplement');
ALTER TABLE dossier_events ADD COLUMN office_code TEXT;
UPDATE dossier_events SET office_code = (
  SELECT d.office_code FROM dossiers d WHERE d.id = dossier_events.dossier_id)
WHERE action = 'received';
-- Repeated requests by agency and period, for the steps report.
CREATE INDEX dossier_events_supplement_idx ON dossier_events (at, office_code)
  WHERE action = 'request-supplement';
