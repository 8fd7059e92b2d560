CREATE TABLE catalog_datasets (
    id TEXT COLLATE "C" PRIMARY KEY,
    publisher TEXT NOT NULL,
    status TEXT NOT NULL,
    current_revision BIGINT NOT NULL,
    published_revision BIGINT,
    status_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    first_published_at TEXT,
    published_at TEXT
);
CREATE INDEX catalog_datasets_publisher ON catalog_datasets (publisher);

CREATE TABLE catalog_revisions (
    dataset_id TEXT NOT NULL REFERENCES catalog_datasets(id),
    number BIGINT NOT NULL,
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
    revision BIGINT NOT NULL,
    notes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

CREATE TABLE catalog_open_data_lists (
    agency TEXT COLLATE "C" NOT NULL,
    year BIGINT NOT NULL,
    number BIGINT NOT NULL,
    content TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    PRIMARY KEY (agency, year, number)
);

CREATE TABLE catalog_plan_items (
    agency TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    content TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (agency, id)
);

CREATE TABLE tabular_tables (
    sha256 TEXT COLLATE "C" PRIMARY KEY,
    table_name TEXT NOT NULL,
    columns TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    ingested_at TEXT NOT NULL
);
