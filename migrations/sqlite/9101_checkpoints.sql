-- Signed checkpoints of the change log (Certificate Transparency style): the chain head at a sequence, signed with
-- the server's Ed25519 key. `content` is the checkpoint as served (JSON, signature included).
CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    head TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    content TEXT NOT NULL
);
