-- Customers, deals, follow-ups and payments: the rep's CRM, kept current by
-- chat commands and WeCom's customer events.
CREATE TABLE customers (
  id                INTEGER PRIMARY KEY,          -- the short id reps type (#12)
  external_userid   TEXT    UNIQUE,               -- WeCom's id; NULL if typed in by a rep
  name              TEXT    NOT NULL DEFAULT '',
  company           TEXT    NOT NULL DEFAULT '',
  remark            TEXT    NOT NULL DEFAULT '',
  owner             TEXT    NOT NULL,             -- the rep's userid
  tier              TEXT    NOT NULL DEFAULT 'C' CHECK (tier IN ('A', 'B', 'C')),
  tier_manual       INTEGER NOT NULL DEFAULT 0,
  lifecycle         TEXT    NOT NULL DEFAULT 'new',
  channel           TEXT    NOT NULL DEFAULT '',  -- contact-way state
  is_large          INTEGER NOT NULL DEFAULT 0,
  deleted_rep       INTEGER NOT NULL DEFAULT 0,   -- the customer deleted the rep
  removed_at        INTEGER NOT NULL DEFAULT 0,   -- the rep deleted the customer
  created_at        INTEGER NOT NULL,
  last_follow_up_at INTEGER NOT NULL DEFAULT 0,
  next_follow_up_at INTEGER NOT NULL DEFAULT 0,
  won_at            INTEGER NOT NULL DEFAULT 0,
  paid_total        INTEGER NOT NULL DEFAULT 0    -- fen
);
CREATE INDEX customers_owner_name ON customers (owner, name);
CREATE INDEX customers_owner_remark ON customers (owner, remark);
-- The reminder scan: customers due for a follow-up, by time.
CREATE INDEX customers_due ON customers (next_follow_up_at) WHERE next_follow_up_at > 0;

CREATE TABLE customer_tags (
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  tag_id      TEXT    NOT NULL,
  tag_name    TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (customer_id, tag_id)
) WITHOUT ROWID;

CREATE TABLE deals (
  id               INTEGER PRIMARY KEY,
  customer_id      INTEGER NOT NULL REFERENCES customers (id),
  owner            TEXT    NOT NULL,
  stage            TEXT    NOT NULL,
  amount           INTEGER NOT NULL DEFAULT 0,  -- fen, after discount
  list_amount      INTEGER NOT NULL DEFAULT 0,  -- fen, before discount
  discount_bp      INTEGER NOT NULL DEFAULT 0,  -- basis points
  paid             INTEGER NOT NULL DEFAULT 0,  -- fen
  product          TEXT    NOT NULL DEFAULT '',
  lost_reason      TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  stage_entered_at INTEGER NOT NULL,
  closed_at        INTEGER NOT NULL DEFAULT 0   -- 0 while open
);
CREATE INDEX deals_customer ON deals (customer_id, closed_at);
-- The funnel and the stuck-deal scan: open deals by owner and stage.
CREATE INDEX deals_open ON deals (owner, stage) WHERE closed_at = 0;

CREATE TABLE stage_history (
  deal_id    INTEGER NOT NULL REFERENCES deals (id),
  from_stage TEXT    NOT NULL,
  to_stage   TEXT    NOT NULL,
  at         INTEGER NOT NULL,
  by_user    TEXT    NOT NULL
);
CREATE INDEX stage_history_deal ON stage_history (deal_id, at);
CREATE INDEX stage_history_at ON stage_history (at);

CREATE TABLE follow_ups (
  id          INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  rep         TEXT    NOT NULL,
  content     TEXT    NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX follow_ups_customer ON follow_ups (customer_id, at);
CREATE INDEX follow_ups_rep ON follow_ups (rep, at);

CREATE TABLE payments (
  id          INTEGER PRIMARY KEY,
  deal_id     INTEGER NOT NULL REFERENCES deals (id),
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  rep         TEXT    NOT NULL,
  amount      INTEGER NOT NULL,  -- fen
  at          INTEGER NOT NULL
);
CREATE INDEX payments_rep ON payments (rep, at);

-- Each reminder once: key = kind:subject:due time.
CREATE TABLE reminders_sent (
  key     TEXT    PRIMARY KEY,
  rep     TEXT    NOT NULL,
  sent_at INTEGER NOT NULL
) WITHOUT ROWID;

-- A numbered choice the bot offered a rep (one per rep, the latest).
CREATE TABLE pending_choices (
  rep        TEXT    PRIMARY KEY,
  command    TEXT    NOT NULL,  -- the command, with {} where the customer goes
  candidates TEXT    NOT NULL,  -- customer ids, comma-separated, in the order shown
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Members and their managers, synced from WeCom's directory (sync-org).
CREATE TABLE org_members (
  userid    TEXT    PRIMARY KEY,
  name      TEXT    NOT NULL DEFAULT '',
  manager   TEXT    NOT NULL DEFAULT '',
  synced_at INTEGER NOT NULL
) WITHOUT ROWID;
