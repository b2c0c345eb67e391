-- ksgate's app token controls beyond Kaltura (docs/apptokens.md): rotation with a grace period,
-- session cut-offs, the exchange policy, the session cap, and partner settings.

-- The value before the last rotation and until when it still starts sessions; the time before
-- which the token's KSs were revoked; the exchange policy. NULL = not in force.
ALTER TABLE app_tokens ADD COLUMN previous_token TEXT;
ALTER TABLE app_tokens ADD COLUMN previous_token_until INTEGER;
ALTER TABLE app_tokens ADD COLUMN sessions_revoked_before INTEGER;
ALTER TABLE app_tokens ADD COLUMN max_sessions INTEGER;
ALTER TABLE app_tokens ADD COLUMN allowed_cidrs TEXT;           -- comma-separated CIDR blocks
ALTER TABLE app_tokens ADD COLUMN exchanges_per_minute INTEGER;
ALTER TABLE app_tokens ADD COLUMN max_session_expiry INTEGER;   -- seconds

-- Partner settings, 0 = off (Kaltura's behaviour).
ALTER TABLE partners ADD COLUMN app_token_privilege_ceiling INTEGER NOT NULL DEFAULT 0;
ALTER TABLE partners ADD COLUMN app_token_show_once INTEGER NOT NULL DEFAULT 0;

-- Sessions started from each token that has a session cap: an exact counter, claimed
-- atomically per exchange (the usage table is batched and only for display).
CREATE TABLE app_token_session_counts (
  token_id         TEXT    PRIMARY KEY,  -- app_tokens.id (ids are never reused)
  partner_id       INTEGER NOT NULL,
  sessions_started INTEGER NOT NULL
);

-- Session cut-offs: every KS a key covers (a user of a partner) issued before issued_before
-- (Unix seconds) is refused. Rows only move forward and never expire.
CREATE TABLE session_cutoffs (
  key           TEXT    PRIMARY KEY,
  issued_before INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
