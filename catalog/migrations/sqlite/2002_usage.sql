-- Usage per dataset and day: counts only, nothing about who (no address, no token, no user agent).
CREATE TABLE catalog_usage (
    dataset_id TEXT NOT NULL,
    day TEXT NOT NULL,
    views INTEGER NOT NULL DEFAULT 0,
    downloads INTEGER NOT NULL DEFAULT 0,
    api_calls INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset_id, day)
);
