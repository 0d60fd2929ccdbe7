-- An office closed into a successor (provinces merged, districts abolished in 2025) receives
-- nothing new; its history and codes stay its own.
ALTER TABLE offices ADD COLUMN closed_at TIMESTAMP;
ALTER TABLE offices ADD COLUMN successor_code TEXT REFERENCES offices (code);
-- Who changed which office, when, and what (JSON: field -> {from, to}).
CREATE TABLE office_changes (
    id          INTEGER PRIMARY KEY,
    office_code TEXT NOT NULL REFERENCES offices (code),
    actor       TEXT NOT NULL,
    at          TIMESTAMP NOT NULL,
    changes     TEXT NOT NULL
);
CREATE INDEX office_changes_office_idx ON office_changes (office_code, id);
