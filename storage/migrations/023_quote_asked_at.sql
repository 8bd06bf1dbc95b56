-- When the manager was last asked to decide a pending quote (0: when it was
-- made): a request sent again later (outbox retry) is reminded about
-- approval.remind_hours after that, not at once.
ALTER TABLE quotes ADD COLUMN asked_at INTEGER NOT NULL DEFAULT 0;
