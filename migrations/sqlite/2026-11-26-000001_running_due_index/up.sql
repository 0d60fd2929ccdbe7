-- The overdue report and the running-dossier counts ask for status IN ('received', 'processing')
-- and a deadline before an instant. SQLite uses a partial index only when the query repeats its
-- condition, so the open-dossier index did not serve them there: it scanned every open dossier.
CREATE INDEX dossiers_running_due_idx ON dossiers (due_at)
    WHERE status IN ('received', 'processing');
