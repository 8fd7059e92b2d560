-- Web sessions of the curation pages: the random session id is only ever stored as its sha256, so a copy of the
-- database cannot be replayed as a cookie; deleting the row is what signing out (or revoking) means.
CREATE TABLE account_sessions (
    session_sha256 TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX account_sessions_expiry ON account_sessions (expires_at);
