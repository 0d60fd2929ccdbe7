-- How many supplement requests each dossier has had (more than one is the agency's breach), and
-- the agency on whose behalf each event was recorded (the one responsible when it happened).
ALTER TABLE dossiers ADD COLUMN supplement_requests INTEGER NOT NULL DEFAULT 0;
UPDATE dossiers d SET supplement_requests = c.n
FROM (SELECT dossier_id, COUNT(*) AS n FROM dossier_events
      WHERE action = 'request-supplement' GROUP BY dossier_id) c
WHERE c.dossier_id = d.id;
ALTER TABLE dossier_events ADD COLUMN office_code TEXT;
UPDATE dossier_events e SET office_code = d.office_code
FROM dossiers d WHERE d.id = e.dossier_id AND e.action = 'received';
-- Repeated requests by agency and period, for the steps report.
CREATE INDEX dossier_events_supplement_idx ON dossier_events (at, office_code)
  WHERE action = 'request-supplement';
