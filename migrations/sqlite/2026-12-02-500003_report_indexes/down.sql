DROP INDEX dossiers_closed_idx;
CREATE INDEX dossiers_closed_idx ON dossiers (closed_at);
DROP INDEX dossiers_report_idx;
CREATE INDEX dossiers_report_idx ON dossiers (received_at, closed_at, office_code, responsible_office_code, procedure_code, channel, status, final_timeliness, due_at);
