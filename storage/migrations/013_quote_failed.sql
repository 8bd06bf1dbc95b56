-- A quote whose approval request WeCom refused for good (the approval or
-- the manager's card could not be delivered) is 'failed': no longer
-- pending, never applied. The rule is rewritten in place as in 012.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, 'OR status = ''rejected'')',
                     'OR status = ''rejected'' OR status = ''failed'')')
 WHERE type = 'table' AND name = 'quotes';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_reload (x);
DROP TABLE schema_reload;
