-- Every quote a rep records, for the digests (quotes per rep per day) and
-- the approval of discounts beyond a rep's authority.
CREATE TABLE quotes (
  id          INTEGER PRIMARY KEY,
  deal_id     INTEGER NOT NULL REFERENCES deals (id),
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  rep         TEXT    NOT NULL,
  list_amount INTEGER NOT NULL,  -- fen
  discount_bp INTEGER NOT NULL,
  amount      INTEGER NOT NULL,  -- fen
  at          INTEGER NOT NULL
);
CREATE INDEX quotes_rep ON quotes (rep, at);

-- Scheduled runs: (job, period) once, recorded in the transaction that
-- queues the run's messages.
CREATE TABLE job_runs (
  job    TEXT    NOT NULL,
  period TEXT    NOT NULL,
  ran_at INTEGER NOT NULL,
  PRIMARY KEY (job, period)
) WITHOUT ROWID;
