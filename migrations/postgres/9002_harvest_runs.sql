-- Harvest runs reported by `opendata harvest --record-to`: the counts for listing, the whole report (every write and
-- every failure) as JSON.
CREATE TABLE harvest_runs (
    id BIGINT PRIMARY KEY,
    source TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    deleted BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX harvest_runs_target ON harvest_runs (target, id);
