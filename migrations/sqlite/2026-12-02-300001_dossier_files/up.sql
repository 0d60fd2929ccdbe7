-- The dossier's files: its components (thành phần hồ sơ) and its result, as stored objects named
-- by their SHA-256. A row is written only once the bytes are stored; a replacement is a new
-- version in the same slot (the result, or one listed component), never an overwrite.
CREATE TABLE dossier_files (
    id              TEXT PRIMARY KEY NOT NULL,
    dossier_id      BIGINT NOT NULL REFERENCES dossiers (id),
    kind            TEXT NOT NULL,
    component_code  TEXT,
    slot            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    filename        TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    uploaded_at     TIMESTAMP NOT NULL,
    uploaded_by     TEXT NOT NULL
);
CREATE UNIQUE INDEX dossier_files_slot_idx ON dossier_files (dossier_id, slot, version);
CREATE INDEX dossier_files_sha256_idx ON dossier_files (sha256);
-- When the dossier first had every required component, and a result, as files (Decision 766's
-- digitisation indicator counts them by the period's end).
ALTER TABLE dossiers ADD COLUMN components_digitised_at TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN result_digitised_at TIMESTAMP;
