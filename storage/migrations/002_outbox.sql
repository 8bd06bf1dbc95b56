-- Every outbound WeCom call is a row here first, written in the same
-- transaction as the change that caused it. The sender delivers pending rows
-- in id order per recipient.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  recipient       TEXT    NOT NULL,  -- ordering key, e.g. "user:zhangsan", "chat:wr123"
  api             TEXT    NOT NULL,  -- API path, e.g. "/cgi-bin/message/send"
  body            TEXT    NOT NULL,  -- request JSON
  state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER,
  last_errcode    INTEGER,
  last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_recipient ON outbox (recipient, id) WHERE state = 'pending';

-- Access tokens, so a restart does not call gettoken while one is valid.
CREATE TABLE tokens (
  key        TEXT    PRIMARY KEY,
  value      TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
);

-- The dispatcher scans for callbacks it has not processed yet.
CREATE INDEX inbox_unprocessed ON inbox (id) WHERE processed_at IS NULL;
