-- The change log: one row per applied change, chained by sha256 (see changelog.rs). Shared by every domain crate.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_sha256 TEXT,
    after_sha256 TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);

CREATE TABLE registry_lists (
    id TEXT PRIMARY KEY,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE registry_items (
    list_id TEXT NOT NULL REFERENCES registry_lists(id),
    code TEXT NOT NULL,
    status TEXT NOT NULL,
    parent TEXT,
    level TEXT,
    valid_from TEXT,
    valid_to TEXT,
    search_text TEXT NOT NULL,
    content TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (list_id, code)
);
CREATE INDEX registry_items_parent ON registry_items (list_id, parent);

CREATE TABLE registry_notations (
    list_id TEXT NOT NULL,
    notation TEXT NOT NULL,
    notation_type TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (list_id, notation)
);

CREATE TABLE registry_item_history (
    id INTEGER PRIMARY KEY,
    list_id TEXT NOT NULL,
    code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX registry_item_history_at ON registry_item_history (list_id, code, recorded_at);

CREATE TABLE registry_change_requests (
    id INTEGER PRIMARY KEY,
    list_id TEXT NOT NULL REFERENCES registry_lists(id),
    status TEXT NOT NULL,
    changes TEXT NOT NULL,
    reason TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_reason TEXT
);

CREATE TABLE registry_releases (
    list_id TEXT NOT NULL REFERENCES registry_lists(id),
    number INTEGER NOT NULL,
    content TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (list_id, number)
);

CREATE TABLE registry_release_items (
    list_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    code TEXT NOT NULL,
    content TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    PRIMARY KEY (list_id, number, code)
);

CREATE TABLE registry_successors (
    list_id TEXT NOT NULL,
    code TEXT NOT NULL,
    successor TEXT NOT NULL,
    PRIMARY KEY (list_id, code, successor)
);
CREATE INDEX registry_successors_reverse ON registry_successors (list_id, successor);
