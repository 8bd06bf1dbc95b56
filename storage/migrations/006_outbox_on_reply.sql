-- What the bot does with a successful reply (e.g. "customer_detail": store
-- the customer that externalcontact/get returned). Empty: nothing.
ALTER TABLE outbox ADD COLUMN on_reply TEXT NOT NULL DEFAULT '';
