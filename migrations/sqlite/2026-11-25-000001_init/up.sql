-- motcua schema, SQLite. Instants are text timestamps holding UTC, as diesel writes them.

CREATE TABLE offices (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    head_name   TEXT,
    parent_code TEXT REFERENCES offices (code),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX offices_parent_idx ON offices (parent_code);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('clerk', 'officer', 'supervisor', 'admin')),
    office_code   TEXT REFERENCES offices (code),
    full_name     TEXT,
    email         TEXT,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL,
    CHECK (role = 'admin' OR office_code IS NOT NULL)
);
CREATE INDEX users_office_idx ON users (office_code, role);

CREATE TABLE procedures (
    id                INTEGER PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    field             TEXT NOT NULL,
    office_code       TEXT NOT NULL REFERENCES offices (code),
    processing_amount INTEGER NOT NULL CHECK (processing_amount > 0),
    processing_unit   TEXT NOT NULL CHECK (processing_unit IN ('working_days', 'working_hours', 'calendar_days')),
    created_at        TIMESTAMP NOT NULL
);

CREATE TABLE dossiers (
    id                      INTEGER PRIMARY KEY,
    code                    TEXT NOT NULL UNIQUE,
    office_code             TEXT NOT NULL REFERENCES offices (code),
    day                     DATE NOT NULL,
    seq                     INTEGER NOT NULL,
    procedure_code          TEXT NOT NULL REFERENCES procedures (code),
    channel                 TEXT NOT NULL CHECK (channel IN ('counter', 'postal', 'online')),
    applicant_full_name     TEXT NOT NULL,
    applicant_id_number     TEXT NOT NULL,
    applicant_phone         TEXT,
    applicant_email         TEXT,
    applicant_address       TEXT,
    note                    TEXT,
    status                  TEXT NOT NULL,
    status_before_pause     TEXT,
    paused_at               TIMESTAMP,
    received_at             TIMESTAMP NOT NULL,
    clock_started_at        TIMESTAMP NOT NULL,
    due_at                  TIMESTAMP NOT NULL,
    rescheduled_due_at      TIMESTAMP,
    resolved_at             TIMESTAMP,
    returned_at             TIMESTAMP,
    outcome                 TEXT,
    final_timeliness        TEXT,
    responsible_office_code TEXT NOT NULL REFERENCES offices (code),
    deadline_trace          TEXT NOT NULL,
    reappointment_used      BOOLEAN NOT NULL DEFAULT FALSE,
    -- The processing time as it stood at receipt, and the working time added by pauses.
    processing_amount       INTEGER NOT NULL,
    processing_unit         TEXT NOT NULL,
    paused_secs             BIGINT NOT NULL DEFAULT 0,
    version                 INTEGER NOT NULL DEFAULT 1,
    -- When it was resolved, rejected, withdrawn or stopped (reports count periods by it).
    closed_at               TIMESTAMP,
    UNIQUE (office_code, day, seq)
);
-- Lists and reports per receiving office and period.
CREATE INDEX dossiers_office_received_idx ON dossiers (office_code, received_at);
-- Form 06 over years of dossiers: a covering index, so the summary reads it instead of the wide rows.
CREATE INDEX dossiers_report_idx ON dossiers (received_at, closed_at, office_code, responsible_office_code, procedure_code, channel, status, final_timeliness, due_at);
CREATE INDEX dossiers_resolved_idx ON dossiers (resolved_at);
CREATE INDEX dossiers_closed_idx ON dossiers (closed_at);
CREATE INDEX dossiers_procedure_idx ON dossiers (procedure_code, received_at);
-- The sweep and the overdue report: open dossiers by deadline, only the open ones indexed.
CREATE INDEX dossiers_open_due_idx ON dossiers (due_at)
    WHERE status IN ('received', 'processing', 'awaiting_supplement', 'awaiting_payment');
CREATE INDEX dossiers_responsible_idx ON dossiers (responsible_office_code, status);
CREATE INDEX dossiers_status_idx ON dossiers (status, received_at);

CREATE TABLE dossier_events (
    id          INTEGER PRIMARY KEY,
    dossier_id  BIGINT NOT NULL REFERENCES dossiers (id),
    seq         INTEGER NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    note        TEXT,
    data        TEXT,
    UNIQUE (dossier_id, seq)
);
-- "What was the status at the end of the period": events by instant.
CREATE INDEX dossier_events_at_idx ON dossier_events (at, dossier_id);

CREATE TABLE dossier_steps (
    id           INTEGER PRIMARY KEY,
    dossier_id   BIGINT NOT NULL REFERENCES dossiers (id),
    seq          INTEGER NOT NULL,
    office_code  TEXT NOT NULL REFERENCES offices (code),
    received_at  TIMESTAMP NOT NULL,
    deadline_amount INTEGER NOT NULL,
    deadline_unit   TEXT NOT NULL,
    deadline_at  TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    timeliness   TEXT,
    UNIQUE (dossier_id, seq)
);
CREATE INDEX dossier_steps_office_idx ON dossier_steps (office_code, dossier_id);

-- Per office, per local day: the last dossier number handed out (gap-free, bumped in the receipt's transaction).
CREATE TABLE dossier_counters (
    office_code TEXT NOT NULL,
    day         DATE NOT NULL,
    last_seq    INTEGER NOT NULL,
    PRIMARY KEY (office_code, day)
);

CREATE TABLE calendar_overrides (
    date       DATE PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'makeup_workday')),
    name       TEXT NOT NULL,
    source     TEXT,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE calendar_audit (
    id       INTEGER PRIMARY KEY,
    date     DATE NOT NULL,
    action   TEXT NOT NULL,
    old_kind TEXT,
    old_name TEXT,
    new_kind TEXT,
    new_name TEXT,
    actor    TEXT NOT NULL,
    at       TIMESTAMP NOT NULL
);
CREATE INDEX calendar_audit_date_idx ON calendar_audit (date);

-- Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04): at most one per dossier.
CREATE TABLE apology_letters (
    id                      INTEGER PRIMARY KEY,
    dossier_id              BIGINT NOT NULL UNIQUE REFERENCES dossiers (id),
    number                  TEXT NOT NULL,
    office_code             TEXT NOT NULL,
    year                    INTEGER NOT NULL,
    seq                     INTEGER NOT NULL,
    reason                  TEXT NOT NULL,
    original_due_at         TIMESTAMP NOT NULL,
    new_due_at              TIMESTAMP NOT NULL,
    created_at              TIMESTAMP NOT NULL,
    automatic               BOOLEAN NOT NULL,
    missed_duty             BOOLEAN NOT NULL,
    responsible_office_code TEXT NOT NULL,
    signer_name             TEXT,
    delivery_status         TEXT NOT NULL,
    attempts                INTEGER NOT NULL DEFAULT 0,
    sent_at                 TIMESTAMP,
    last_error              TEXT,
    message_id              TEXT NOT NULL UNIQUE,
    UNIQUE (office_code, year, seq)
);
CREATE INDEX apology_letters_delivery_idx ON apology_letters (delivery_status, responsible_office_code);

CREATE TABLE letter_counters (
    office_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    last_seq    INTEGER NOT NULL,
    PRIMARY KEY (office_code, year)
);

-- Transactional outbox: written with the business change, delivered by the worker.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    letter_id       BIGINT REFERENCES apology_letters (id),
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner     TEXT,
    lease_until     TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status IN ('pending', 'retrying');

-- What the sweep has warned or escalated about, once per dossier, kind and deadline.
CREATE TABLE dossier_alerts (
    id         INTEGER PRIMARY KEY,
    dossier_id BIGINT NOT NULL REFERENCES dossiers (id),
    kind       TEXT NOT NULL,
    due_at     TIMESTAMP NOT NULL,
    office_code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (dossier_id, kind, due_at)
);

CREATE TABLE idempotency_keys (
    username      TEXT NOT NULL,
    scope         TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    location      TEXT,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (username, scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
