-- One-time chores of this crate that have run to their end (for example computing the CSV reports of files stored
-- before reports existed), so a start does not scan the whole catalog again to find nothing to do.
CREATE TABLE catalog_chores (
    name TEXT PRIMARY KEY,
    done_at TEXT NOT NULL
);
