-- The rep who brought each customer in: new customers are counted for them
-- in the digests, whoever owns the customer later (a transfer, a handover).
ALTER TABLE customers ADD COLUMN added_by TEXT NOT NULL DEFAULT '';
UPDATE customers SET added_by = owner;
CREATE INDEX customers_added ON customers (added_by, created_at);
