CREATE TABLE catalog_datasets (
    id TEXT PRIMARY KEY,
    publisher TEXT NOT NULL,
    status TEXT NOT NULL,
    current_revision INTEGER NOT NULL,
    published_revision INTEGER,
    status_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    first_published_at TEXT,
    published_at TEXT
);
CREATE INDEX catalog_datasets_publisher ON catalog_datasets (publisher);

CREATE TABLE catalog_revisions (
    dataset_id TEXT NOT NULL REFERENCES catalog_datasets(id),
    number INTEGER NOT NULL,
    content TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    author TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, number)
);

CREATE TABLE catalog_releases (
    dataset_id TEXT NOT NULL REFERENCES catalog_datasets(id),
    version TEXT NOT NULL,
    revision INTEGER NOT NULL,
    notes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

CREATE TABLE catalog_open_data_lists (
    agency TEXT NOT NULL,
    year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    content TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    PRIMARY KEY (agency, year, number)
);

CREATE TABLE catalog_plan_items (
    agency TEXT NOT NULL,
    id TEXT NOT NULL,
    content TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (agency, id)
);

-- Tabular data: one typed table per ingested CSV file (by content hash), described here.
CREATE TABLE tabular_tables (
    sha256 TEXT PRIMARY KEY,
    table_name TEXT NOT NULL,
    columns TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
