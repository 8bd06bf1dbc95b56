-- A deal's quotes in order: whether one was recorded after another (a
-- pending request overtaken) is an index search, not a read of every quote
-- written since.
CREATE INDEX quotes_deal ON quotes (deal_id, id);
