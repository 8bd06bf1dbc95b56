-- Dispatch progress as one cursor instead of a per-row flag: every inbox row
-- with id <= last_inbox_id has been dispatched, and the cursor moves in the
-- same transaction as the outbox rows those callbacks caused.
CREATE TABLE dispatch_cursor (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  last_inbox_id INTEGER NOT NULL
);
INSERT INTO dispatch_cursor (id, last_inbox_id)
  SELECT 1, coalesce((SELECT min(id) - 1 FROM inbox WHERE processed_at IS NULL),
                     (SELECT max(id) FROM inbox), 0);
DROP INDEX inbox_unprocessed;
