DROP TABLE webhook_attempts;
DROP INDEX outbox_webhook_idx;
ALTER TABLE outbox DROP COLUMN event_id;
ALTER TABLE outbox DROP COLUMN payload;
ALTER TABLE outbox DROP COLUMN webhook_id;
DROP TABLE webhooks;
