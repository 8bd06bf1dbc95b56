-- Reminders go out for what became due since the last scan: a follow-up
-- whose due time passed, a deal whose stage time limit ran out. One
-- watermark replaces a ledger row per reminder.
CREATE TABLE reminder_scans (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  last_at INTEGER NOT NULL
);
INSERT INTO reminder_scans (id, last_at) VALUES (1, 0);
DROP TABLE reminders_sent;
-- Stuck deals: open deals of a stage by when they entered it.
CREATE INDEX deals_open_stage ON deals (stage, stage_entered_at) WHERE closed_at = 0;
