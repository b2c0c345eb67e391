-- Partners and the revocation store (spec §4.7). Times are Unix seconds. Same tables and
-- columns as the SQLite migration of the same number.

CREATE TABLE partners (
  id            BIGINT  PRIMARY KEY,  -- assigned by the store: max(id) + 1, starting at 1
  name          TEXT    NOT NULL,
  -- Admin secrets joined with '\n', primary (signing) secret first. Secrets never contain a
  -- line break (the store rejects them).
  admin_secrets TEXT    NOT NULL,
  secret        TEXT    NOT NULL,     -- user secret
  status        INTEGER NOT NULL,     -- PartnerStatus: 1 active, 2 blocked
  ks_version    INTEGER NOT NULL,
  ks_max_expiry BIGINT  NOT NULL,     -- seconds
  created_at    BIGINT  NOT NULL,
  updated_at    BIGINT  NOT NULL
);

-- Kaltura invalid_session. A row with actions_limit NULL revokes every KS matching `key` until
-- valid_until + 600 s (forever when valid_until is NULL); rows with an actions_limit count KS
-- uses instead.
CREATE TABLE invalid_sessions (
  key           TEXT    NOT NULL,     -- lowercase 40-hex SHA1
  type          INTEGER NOT NULL,     -- RevocationType: 0 KS hash, 1 session id
  valid_until   BIGINT,
  actions_limit BIGINT,
  created_at    BIGINT  NOT NULL,
  UNIQUE (key, type)
);
