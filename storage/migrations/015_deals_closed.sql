-- Deals closed in a period (the weekly review: won, lost, and the deals of
-- each stage that week) are found by closing time instead of by reading
-- every deal of the team.
CREATE INDEX deals_closed ON deals (closed_at) WHERE closed_at > 0;
