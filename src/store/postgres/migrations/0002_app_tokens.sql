-- App tokens: every KalturaAppToken field (spec §1.2). Times are Unix seconds. Deleted tokens
-- stay (status 3) so their ids are never reused.

CREATE TABLE app_tokens (
  seq                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- insertion order: the list tiebreak
  id                 TEXT    NOT NULL UNIQUE,   -- "0_" + 8 chars, unique even when deleted
  token              TEXT    NOT NULL,
  partner_id         BIGINT  NOT NULL REFERENCES partners (id),
  created_at         BIGINT  NOT NULL,
  updated_at         BIGINT  NOT NULL,
  status             INTEGER NOT NULL,          -- 1 disabled, 2 active, 3 deleted
  expiry             BIGINT,
  session_type       INTEGER,
  session_user_id    TEXT,
  session_duration   BIGINT,
  session_privileges TEXT,
  hash_type          TEXT,
  description        TEXT
);

CREATE INDEX app_tokens_partner_status ON app_tokens (partner_id, status);
CREATE INDEX app_tokens_partner_created ON app_tokens (partner_id, created_at);
