-- Userids WeCom changed (change_contact update_user with NewUserID), each to
-- the id it has now: [[teams]] in the configuration still names the old one.
CREATE TABLE renamed_reps (
  old_userid TEXT    PRIMARY KEY,
  new_userid TEXT    NOT NULL,
  at         INTEGER NOT NULL
);
