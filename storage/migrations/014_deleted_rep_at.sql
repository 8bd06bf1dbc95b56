-- When a customer deleted the rep (del_follow_user), so that the digest's
-- churn list shows the newest first instead of the same oldest ones daily.
ALTER TABLE customers ADD COLUMN deleted_rep_at INTEGER NOT NULL DEFAULT 0;
