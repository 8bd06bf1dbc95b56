-- The metrics count pending and dead rows every few seconds; with this index
-- (and outbox_pending_id) neither count reads the whole table, which only
-- grows as messages are sent.
CREATE INDEX outbox_dead ON outbox (id) WHERE state = 'dead';
