-- How much each app token is used: sessions started from it and when the last one was. Kept
-- apart from app_tokens so that counting never races with a compare-and-set update of a token.
-- Written in batches by the server (services/usage_recorder.h).

CREATE TABLE app_token_usage (
  token_id         TEXT    PRIMARY KEY,  -- app_tokens.id (ids are never reused)
  partner_id       BIGINT  NOT NULL,
  sessions_started BIGINT  NOT NULL,
  last_session_at  BIGINT  NOT NULL     -- Unix seconds
);

CREATE INDEX app_token_usage_partner ON app_token_usage (partner_id);
