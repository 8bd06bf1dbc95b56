-- Two more ends of a quote that waited for approval: 'withdrawn' (the
-- approval was revoked or deleted in WeCom, or revoked after it passed) and
-- 'overtaken' (approved, but the deal had ended, been quoted again or been
-- paid past that price meanwhile, so the deal did not take it). Neither
-- counts as a quote the customer has. The rule is rewritten in place as in
-- 012 and 013.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, 'OR status = ''failed'')',
                     'OR status = ''failed'' OR status = ''withdrawn'' OR status = ''overtaken'')')
 WHERE type = 'table' AND name = 'quotes';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_reload (x);
DROP TABLE schema_reload;
