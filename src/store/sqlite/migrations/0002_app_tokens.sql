-- App tokens: every KalturaAppToken field (spec §1.2). Times are Unix seconds. Deleted tokens
-- stay (status 3) so their ids are never reused.

CREATE TABLE app_tokens (
  seq                INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order: the list tiebreak
  id                 TEXT    NOT NULL UNIQUE,            -- "0_" + 8 chars, unique even when deleted
  token              TEXT    NOT NULL,
  partner_id         INTEGER NOT NULL REFERENCES partners (id),
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  status             INTEGER NOT NULL,                   -- 1 disabled, 2 active, 3 deleted
  expiry             INTEGER,
  session_type       INTEGER,
  session_user_id    TEXT,
  session_duration   INTEGER,
  session_privileges TEXT,
  hash_type          TEXT,
  description        TEXT
);

CREATE INDEX app_tokens_partner_status ON app_tokens (partner_id, status);
CREATE INDEX app_tokens_partner_created ON app_tokens (partner_id, created_at);
