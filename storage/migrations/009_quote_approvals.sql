-- Quotes beyond a rep's discount authority wait for the manager: an OA
-- approval (sp_no) or an interactive card. Each decision is applied once.
ALTER TABLE quotes ADD COLUMN status TEXT NOT NULL DEFAULT 'recorded'
  CHECK (status IN ('recorded', 'pending', 'approved', 'rejected'));
ALTER TABLE quotes ADD COLUMN manager TEXT NOT NULL DEFAULT '';
ALTER TABLE quotes ADD COLUMN sp_no TEXT NOT NULL DEFAULT '';
ALTER TABLE quotes ADD COLUMN decided_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE quotes ADD COLUMN reminded INTEGER NOT NULL DEFAULT 0;
CREATE INDEX quotes_sp_no ON quotes (sp_no) WHERE sp_no != '';
CREATE INDEX quotes_pending ON quotes (at) WHERE status = 'pending';
