-- When the current owner's relationship with the customer began (0: when
-- the customer was created). A customer handed over or added again starts
-- afresh for planning and lifecycle, and is still counted as new only once.
ALTER TABLE customers ADD COLUMN owned_since INTEGER NOT NULL DEFAULT 0;
