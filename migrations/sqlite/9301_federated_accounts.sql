-- Accounts signed in through an OpenID Provider: the provider's subject is the account's key; its e-mail address.
-- An account whose role is 'none' exists but may do nothing until an admin grants it a role.
ALTER TABLE accounts ADD COLUMN oidc_subject TEXT;
ALTER TABLE accounts ADD COLUMN email TEXT;
CREATE UNIQUE INDEX accounts_oidc_subject ON accounts (oidc_subject);
-- The ID token a session was opened with (for the provider's logout), when it was.
ALTER TABLE account_sessions ADD COLUMN id_token TEXT;
-- Sign-ins under way: the state is stored only as its sha256, with the nonce and the PKCE verifier; taken once.
CREATE TABLE oidc_logins (
    state_sha256 TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    purpose TEXT NOT NULL,
    next TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
-- Authorization codes already presented (sha256), so that a replayed code is recognised as one.
CREATE TABLE oidc_used_codes (
    code_sha256 TEXT PRIMARY KEY,
    used_at TEXT NOT NULL
);
-- Developers' consumer keys: each shown once, stored as its sha256; a tier set by an admin picks its rate limit.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    tier TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_keys_account ON api_keys (account_id);
-- Calls per key and day (UTC).
CREATE TABLE api_key_usage (
    key_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (key_id, day)
);
