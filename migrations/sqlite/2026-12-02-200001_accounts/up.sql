-- A user's tokens carry the version they were issued at; a deactivation, a role or office change
-- or a new password bumps it, and older tokens stop working.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;
-- Who changed which account, when, and what (JSON: field -> {from, to}).
CREATE TABLE user_changes (
    id       INTEGER PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users (username),
    actor    TEXT NOT NULL,
    at       TIMESTAMP NOT NULL,
    changes  TEXT NOT NULL
);
CREATE INDEX user_changes_user_idx ON user_changes (username, id);
-- Counters bumped by every change to the users and to the catalog (offices, procedures), so that
-- each replica notices them with one small read instead of asking on every request.
CREATE TABLE catalog_revisions (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO catalog_revisions (name, value) VALUES ('users', 0), ('catalog', 0);
