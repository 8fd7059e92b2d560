-- A code's notations are replaced whenever the code changes: find them by code, not by scanning the list.
CREATE INDEX IF NOT EXISTS registry_notations_code ON registry_notations (list_id, code);
