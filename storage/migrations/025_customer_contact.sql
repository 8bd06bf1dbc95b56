-- Silence counts from the rep's last dealing with a customer of any kind
-- (a quote, a payment, a stage move, a loss), not from follow-ups alone; a
-- deal lost with none opened since is a churn signal; and the lifecycle is
-- brought up to date when time alone changes it (lifecycle_changes_at, set
-- with every refresh of the customer; 1 here, so that the first scan
-- refreshes every customer once).
ALTER TABLE customers ADD COLUMN last_contact_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN lost_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN lifecycle_changes_at INTEGER NOT NULL DEFAULT 0;
-- The owner's latest quote, payment and stage move per customer, each table
-- read once.
CREATE TEMP TABLE last_dealing (customer_id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
INSERT INTO last_dealing (customer_id, at)
  SELECT customer_id, max(at) FROM (
    SELECT q.customer_id, q.at FROM quotes q JOIN customers c ON c.id = q.customer_id
      WHERE q.rep = c.owner AND q.at >= c.owned_since
    UNION ALL
    SELECT p.customer_id, p.at FROM payments p JOIN customers c ON c.id = p.customer_id
      WHERE p.rep = c.owner AND p.at >= c.owned_since
    UNION ALL
    SELECT d.customer_id, h.at FROM stage_history h JOIN deals d ON d.id = h.deal_id
      JOIN customers c ON c.id = d.customer_id
      WHERE h.by_user = c.owner AND h.at >= c.owned_since)
  GROUP BY customer_id;
UPDATE customers SET last_contact_at = max(last_follow_up_at, coalesce(
  (SELECT at FROM last_dealing WHERE last_dealing.customer_id = customers.id), 0));
DROP TABLE last_dealing;
UPDATE customers SET lost_at = coalesce(
  (SELECT CASE WHEN d.closed_at > 0 AND d.lost_reason != '' THEN d.closed_at ELSE 0 END
   FROM deals d WHERE d.customer_id = customers.id ORDER BY d.id DESC LIMIT 1), 0);
UPDATE customers SET lifecycle_changes_at = 1 WHERE removed_at = 0;
CREATE INDEX customers_lifecycle_due ON customers (lifecycle_changes_at)
  WHERE lifecycle_changes_at > 0;
