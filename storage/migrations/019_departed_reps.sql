-- Members who left the company (change_contact delete_user): their
-- customers pass to the rep who adds them next (离职继承), as when the
-- owner's relationship with the customer ended.
CREATE TABLE departed_reps (
  userid  TEXT    PRIMARY KEY,
  left_at INTEGER NOT NULL
) WITHOUT ROWID;
