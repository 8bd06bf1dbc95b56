-- The sender walks pending rows oldest first to keep per-recipient order.
CREATE INDEX outbox_pending_id ON outbox (id) WHERE state = 'pending';
DROP INDEX outbox_due;
