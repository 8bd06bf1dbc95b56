-- Silence counts from the rep's last dealing with a customer of any kind
-- (a quote, a payment, a stage move, a loss), not from follow-ups alone; a
-- deal lost with none opened since is a churn signal; and the lifecycle is
-- brought up to date when time alone changes it (lifecycle_changes_at, set
-- with every refresh of the customer; 1 here, so that the first scan
-- refreshes every customer once).
ALTER TABLE customers ADD COLUMN last_contact_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN lost_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN lifecycle_changes_at INTEGER NOT NULL DEFAULT 0;
UPDATE customers SET last_contact_at = max(
  last_follow_up_at,
  coalesce((SELECT max(q.at) FROM quotes q WHERE q.customer_id = customers.id
            AND q.rep = customers.owner AND q.at >= customers.owned_since), 0),
  coalesce((SELECT max(p.at) FROM payments p WHERE p.customer_id = customers.id
            AND p.rep = customers.owner AND p.at >= customers.owned_since), 0),
  coalesce((SELECT max(h.at) FROM stage_history h JOIN deals d ON d.id = h.deal_id
            WHERE d.customer_id = customers.id AND h.by_user = customers.owner
            AND h.at >= customers.owned_since), 0));
UPDATE customers SET lost_at = coalesce(
  (SELECT CASE WHEN d.closed_at > 0 AND d.lost_reason != '' THEN d.closed_at ELSE 0 END
   FROM deals d WHERE d.customer_id = customers.id ORDER BY d.id DESC LIMIT 1), 0);
UPDATE customers SET lifecycle_changes_at = 1 WHERE removed_at = 0;
CREATE INDEX customers_lifecycle_due ON customers (lifecycle_changes_at)
  WHERE lifecycle_changes_at > 0;
