-- An optional password for the curation pages' sign-in, as an argon2id PHC string (salt and parameters included).
ALTER TABLE accounts ADD COLUMN password_hash TEXT;
