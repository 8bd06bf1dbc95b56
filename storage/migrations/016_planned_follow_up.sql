-- The follow-up due time the cadence gave, before it was moved to "now"
-- because it was already past: a refresh that computes the same plan again
-- leaves the due time alone, so an edit does not repeat a reminder.
ALTER TABLE customers ADD COLUMN planned_follow_up_at INTEGER NOT NULL DEFAULT 0;
