-- Every accepted WeCom callback, once. dedup_key is the MsgId for messages
-- and a digest of the payload's fields for events.
CREATE TABLE inbox (
  id           INTEGER PRIMARY KEY,
  dedup_key    TEXT    NOT NULL UNIQUE,
  kind         TEXT    NOT NULL,
  from_user    TEXT    NOT NULL DEFAULT '',
  payload      TEXT    NOT NULL,
  received_at  INTEGER NOT NULL,
  processed_at INTEGER
);

CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
);
