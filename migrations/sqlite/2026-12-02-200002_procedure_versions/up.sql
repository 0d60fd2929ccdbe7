-- A procedure's processing time, components and fees change by decision from an effective date.
-- Version 1 is the procedure as created (effective_from NULL: since always); the dossier keeps
-- the version it was received under.
CREATE TABLE procedure_versions (
    id                INTEGER PRIMARY KEY,
    procedure_code    TEXT NOT NULL REFERENCES procedures (code),
    version           INTEGER NOT NULL,
    effective_from    DATE,
    name              TEXT NOT NULL,
    processing_amount INTEGER NOT NULL CHECK (processing_amount > 0),
    processing_unit   TEXT NOT NULL CHECK (processing_unit IN ('working_days', 'working_hours', 'calendar_days')),
    components        TEXT NOT NULL DEFAULT '[]',
    fees              TEXT NOT NULL DEFAULT '[]',
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TIMESTAMP NOT NULL,
    created_by        TEXT NOT NULL,
    UNIQUE (procedure_code, version)
);
INSERT INTO procedure_versions (procedure_code, version, effective_from, name, processing_amount,
                                processing_unit, created_at, created_by)
SELECT code, 1, NULL, name, processing_amount, processing_unit, created_at, 'motcua'
FROM procedures;
ALTER TABLE dossiers ADD COLUMN procedure_version INTEGER NOT NULL DEFAULT 1;
