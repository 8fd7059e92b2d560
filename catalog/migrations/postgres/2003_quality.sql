-- Data quality (catalog/src/quality): observations and derived figures, not curated content, so (like usage counts)
-- they are written without a change-log entry; every one of them can be recomputed or observed again.

-- Every check of a URL a distribution holds elsewhere: the status history.
CREATE TABLE catalog_link_checks (
    url TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    ok BIGINT NOT NULL,
    status BIGINT,
    error TEXT
);
CREATE INDEX catalog_link_checks_url ON catalog_link_checks (url, checked_at);

-- The latest check of each URL, and since when it has been broken.
CREATE TABLE catalog_links (
    url TEXT PRIMARY KEY,
    checked_at TEXT NOT NULL,
    ok BIGINT NOT NULL,
    status BIGINT,
    error TEXT,
    broken_since TEXT
);

-- Quality totals per day and agency (agency '*' is the whole catalog), over the published datasets.
CREATE TABLE catalog_quality_daily (
    day TEXT NOT NULL,
    agency TEXT NOT NULL,
    datasets BIGINT NOT NULL,
    points BIGINT NOT NULL,
    max_points BIGINT NOT NULL,
    PRIMARY KEY (day, agency)
);

-- The validation report of a stored CSV file, computed once per content hash.
CREATE TABLE catalog_csv_reports (
    sha256 TEXT PRIMARY KEY,
    report TEXT NOT NULL,
    computed_at TEXT NOT NULL
);
