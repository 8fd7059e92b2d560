-- The published revision of each watched dataset that the change notices last told of (or that was public when a
-- subscription to it was confirmed): the next notice names the fields changed since.
CREATE TABLE notify_told (
    dataset_id TEXT PRIMARY KEY,
    revision BIGINT NOT NULL
);
