-- Webhook subscriptions (admins'), their deliveries on the one outbox, and every attempt's answer.
CREATE TABLE webhooks (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT NOT NULL,
    events               TEXT,
    description          TEXT NOT NULL DEFAULT '',
    secret               TEXT NOT NULL,
    enabled              BOOLEAN NOT NULL DEFAULT TRUE,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    disabled_at          TIMESTAMP,
    disabled_reason      TEXT,
    created_at           TIMESTAMP NOT NULL,
    created_by           TEXT NOT NULL,
    deleted_at           TIMESTAMP
);
ALTER TABLE outbox ADD COLUMN webhook_id BIGINT REFERENCES webhooks (id);
ALTER TABLE outbox ADD COLUMN payload TEXT;
ALTER TABLE outbox ADD COLUMN event_id BIGINT REFERENCES dossier_events (id);
CREATE INDEX outbox_webhook_idx ON outbox (webhook_id, id) WHERE webhook_id IS NOT NULL;
CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY,
    outbox_id    BIGINT NOT NULL REFERENCES outbox (id),
    webhook_id   BIGINT NOT NULL REFERENCES webhooks (id),
    attempted_at TIMESTAMP NOT NULL,
    status_code  INTEGER,
    duration_ms  INTEGER NOT NULL,
    error        TEXT
);
CREATE INDEX webhook_attempts_outbox_idx ON webhook_attempts (outbox_id, id);
