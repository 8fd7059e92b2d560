-- The public talks back (issue 19). Feedback on a dataset or a code list: posted without an account, held for
-- moderation (pending), then open, answered by the publishing agency or the list's stewards, closed. The e-mail, when
-- given, is only used to send the answer; client_hash (sha256 of the client address) only counts bursts.
CREATE TABLE feedback_threads (
    id BIGINT PRIMARY KEY,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    agency TEXT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    author_name TEXT,
    email TEXT,
    client_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    moderated_by TEXT,
    moderated_at TEXT,
    answer TEXT,
    answered_by TEXT,
    answered_at TEXT,
    closed_at TEXT
);
CREATE INDEX feedback_threads_target ON feedback_threads (target_kind, target_id);
CREATE INDEX feedback_threads_client ON feedback_threads (client_hash, created_at);

-- Data requests: anyone asks for data that is not published; an admin routes it to an agency, which accepts or
-- declines with a reason and links the dataset once published. One vote per client address.
CREATE TABLE data_requests (
    id BIGINT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    author_name TEXT,
    email TEXT,
    client_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    agency TEXT,
    reason TEXT,
    dataset_id TEXT,
    votes BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT
);
CREATE INDEX data_requests_client ON data_requests (client_hash, created_at);
CREATE TABLE data_request_votes (
    request_id BIGINT NOT NULL,
    client_hash TEXT NOT NULL,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (request_id, client_hash)
);

-- Subscriptions to a dataset, a code list or an agency, active once the address confirmed them; the token is the
-- secret of the confirm and unsubscribe links.
CREATE TABLE notify_subscriptions (
    id BIGINT PRIMARY KEY,
    email TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    client_hash TEXT NOT NULL,
    confirmed_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX notify_subscriptions_target ON notify_subscriptions (target_kind, target_id);
CREATE INDEX notify_subscriptions_client ON notify_subscriptions (client_hash, created_at);

-- Outgoing e-mail, written in the same transaction as what it tells, sent by the mailer with retries.
CREATE TABLE notify_mails (
    id BIGINT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX notify_mails_due ON notify_mails (status, next_attempt_at);

-- How far each follower of the change log (change notices, webhooks) has read.
CREATE TABLE notify_cursors (
    name TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);
