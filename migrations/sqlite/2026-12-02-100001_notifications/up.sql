-- One outbox for every message to citizens and staff: each row is one message of one kind on one
-- channel, unique per occurrence and channel (dedupe_key = kind:occurrence:channel). Rows queued
-- before keep their keys, texts and history; the apology emails and digests are renamed to the
-- kinds of the contract.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
ALTER TABLE outbox ADD COLUMN dossier_id BIGINT REFERENCES dossiers (id);
ALTER TABLE outbox ADD COLUMN dossier_code TEXT;
ALTER TABLE outbox ADD COLUMN office_code TEXT;
-- The facts of the occurrence the worker renders from (the n-th request, early or not, a
-- digest's lines); the dossier's own facts are read when the message is sent.
ALTER TABLE outbox ADD COLUMN data TEXT;

UPDATE outbox SET kind = 'apology' WHERE kind = 'apology_letter';
UPDATE outbox SET kind = 'due_soon_digest' WHERE kind = 'due_soon';
UPDATE outbox SET
    dossier_id = (SELECT a.dossier_id FROM apology_letters a WHERE a.id = outbox.letter_id),
    dossier_code = (SELECT d.code FROM apology_letters a JOIN dossiers d ON d.id = a.dossier_id WHERE a.id = outbox.letter_id),
    office_code = (SELECT d.office_code FROM apology_letters a JOIN dossiers d ON d.id = a.dossier_id WHERE a.id = outbox.letter_id)
WHERE letter_id IS NOT NULL;

CREATE INDEX outbox_dossier_idx ON outbox (dossier_id, id);
CREATE INDEX outbox_office_idx ON outbox (office_code, id);

-- The channels a dossier's notices go to, fixed at receipt (the deployment's, narrowed by
-- applicant.notify), comma-separated; NULL for dossiers received before: email, as then.
ALTER TABLE dossiers ADD COLUMN notify_channels TEXT;
