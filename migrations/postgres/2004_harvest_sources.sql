-- Harvest sources configured by admins on /manage/sources (issue 20): each is harvested into this catalog on its
-- schedule by the server itself; every run is kept in harvest_runs, the last one named here.
CREATE TABLE harvest_sources (
    id BIGINT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    agency_map TEXT NOT NULL,
    every_seconds BIGINT NOT NULL,
    next_run_at TEXT NOT NULL,
    last_run_id BIGINT,
    last_error TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
