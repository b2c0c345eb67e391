-- appToken.list at scale (docs/architecture.md "Listing a million tokens"): a maintained count of
-- each partner's tokens by status, so that totalCount of an unfiltered or status-filtered list
-- reads a few rows instead of counting the partner's tokens; and an index for every order the
-- list offers, over live (non-deleted) tokens only, so that a page is read in index order.

-- Tokens of a partner with a status, deleted ones included. Kept by the triggers below in the
-- transaction of every INSERT, DELETE and status change of app_tokens, whoever writes it.
-- `shard` spreads one count over several rows so that concurrent inserts do not wait for one
-- another's row (PostgreSQL: seq % 16); SQLite has one writer at a time and uses shard 0 only.
-- A count is the sum over its shards.
CREATE TABLE app_token_counts (
  partner_id INTEGER NOT NULL,
  status     INTEGER NOT NULL,
  shard      INTEGER NOT NULL,
  tokens     INTEGER NOT NULL,
  PRIMARY KEY (partner_id, status, shard)
);

INSERT INTO app_token_counts (partner_id, status, shard, tokens)
  SELECT partner_id, status, 0, COUNT(*) FROM app_tokens GROUP BY partner_id, status;

CREATE TRIGGER app_tokens_count_insert AFTER INSERT ON app_tokens
BEGIN
  INSERT INTO app_token_counts (partner_id, status, shard, tokens)
    VALUES (NEW.partner_id, NEW.status, 0, 1)
    ON CONFLICT (partner_id, status, shard) DO UPDATE SET tokens = tokens + 1;
END;

CREATE TRIGGER app_tokens_count_delete AFTER DELETE ON app_tokens
BEGIN
  UPDATE app_token_counts SET tokens = tokens - 1
    WHERE partner_id = OLD.partner_id AND status = OLD.status AND shard = 0;
END;

CREATE TRIGGER app_tokens_count_update AFTER UPDATE OF partner_id, status ON app_tokens
  WHEN OLD.partner_id <> NEW.partner_id OR OLD.status <> NEW.status
BEGIN
  UPDATE app_token_counts SET tokens = tokens - 1
    WHERE partner_id = OLD.partner_id AND status = OLD.status AND shard = 0;
  INSERT INTO app_token_counts (partner_id, status, shard, tokens)
    VALUES (NEW.partner_id, NEW.status, 0, 1)
    ON CONFLICT (partner_id, status, shard) DO UPDATE SET tokens = tokens + 1;
END;

-- One index per list order, over live tokens (every list has "status <> 3"). In SQLite every
-- index ends with the rowid, which is seq, the list's final tie-break: (partner_id, created_at
-- DESC) is ordered exactly as ORDER BY created_at DESC, seq ASC, and a page deep into the list
-- skips index entries without reading a row.
DROP INDEX app_tokens_partner_created;
CREATE INDEX app_tokens_partner_created ON app_tokens (partner_id, created_at) WHERE status <> 3;
CREATE INDEX app_tokens_partner_created_desc ON app_tokens (partner_id, created_at DESC)
  WHERE status <> 3;
CREATE INDEX app_tokens_partner_updated ON app_tokens (partner_id, updated_at) WHERE status <> 3;
CREATE INDEX app_tokens_partner_updated_desc ON app_tokens (partner_id, updated_at DESC)
  WHERE status <> 3;
-- No order (insertion order), and sessionUserIdEqual.
CREATE INDEX app_tokens_partner_live ON app_tokens (partner_id) WHERE status <> 3;
CREATE INDEX app_tokens_partner_user ON app_tokens (partner_id, session_user_id)
  WHERE status <> 3;
