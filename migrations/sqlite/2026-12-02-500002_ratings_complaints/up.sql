-- The citizen's personal rating links: only the SHA-256 of each token is kept (the token is in
-- the message sent, nowhere else). Several may exist for one dossier (a retried message mints
-- another); each works until it expires or the dossier is rated.
CREATE TABLE rating_links (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    dossier_id  BIGINT NOT NULL REFERENCES dossiers (id),
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX rating_links_dossier_idx ON rating_links (dossier_id);

-- Complaints and recommendations (phản ánh, kiến nghị) about a dossier, answered by the agency
-- responsible for it when filed, within complaints.deadline.
CREATE TABLE complaints (
    id             INTEGER PRIMARY KEY,
    dossier_id     BIGINT NOT NULL REFERENCES dossiers (id),
    dossier_code   TEXT NOT NULL,
    office_code    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    filed_at       TIMESTAMP NOT NULL,
    due_at         TIMESTAMP NOT NULL,
    answer         TEXT,
    answered_at    TIMESTAMP,
    answered_by    TEXT,
    answered_late  BOOLEAN
);
CREATE INDEX complaints_dossier_idx ON complaints (dossier_id);
CREATE INDEX complaints_office_idx ON complaints (office_code, due_at);
