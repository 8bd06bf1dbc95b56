-- The sender's rate limits count the messages sent in the last hour, also
-- those sent before a restart: WeCom drops app messages past a member's
-- limit without an error. Sent rows only, in the order they were sent.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE state = 'sent';
