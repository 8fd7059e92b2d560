-- Failed password sign-ins per account name (`account:NAME`) and per client address (`address:IP`): the count of
-- recent failures and, past the free ones, until when that key is locked out.
CREATE TABLE sign_in_failures (
    subject TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
);
