-- The report indexes cover every column form 06 and Decision 766's scorecard read (see the
-- PostgreSQL migration): by receipt, and by closing with the receipt second.
DROP INDEX dossiers_report_idx;
CREATE INDEX dossiers_report_idx ON dossiers (received_at, closed_at, office_code, responsible_office_code, procedure_code, channel, status, final_timeliness, due_at, supplement_requests, version, national_synced_version, components_digitised_at, result_digitised_at, rating, rated_at, first_complaint_at, national_synced_at);
DROP INDEX dossiers_closed_idx;
CREATE INDEX dossiers_closed_idx ON dossiers (closed_at, received_at, office_code, responsible_office_code, procedure_code, channel, status, final_timeliness, due_at, supplement_requests, version, national_synced_version, components_digitised_at, result_digitised_at, rating, rated_at, first_complaint_at, national_synced_at);
