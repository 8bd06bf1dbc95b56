-- WeCom's "system busy" (-1) answers in a row for a message: after a few the
-- message goes to the dead letter, counted apart from other failures (a
-- network outage before them says nothing of WeCom's answer to this body).
ALTER TABLE outbox ADD COLUMN busy_tries INTEGER NOT NULL DEFAULT 0;
