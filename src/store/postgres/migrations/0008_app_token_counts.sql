-- appToken.list at scale (docs/architecture.md "Listing a million tokens"): a maintained count of
-- each partner's tokens by status, so that totalCount of an unfiltered or status-filtered list
-- reads a few rows instead of counting the partner's tokens; and an index for every order the
-- list offers, over live (non-deleted) tokens only, so that a page is read in index order.

-- Tokens of a partner with a status, deleted ones included. Kept by the triggers below in the
-- transaction of every INSERT, DELETE and status change of app_tokens, whoever writes it.
-- `shard` (seq % 16) spreads one count over several rows so that concurrent inserts for one
-- partner do not queue for one row lock until they commit. A count is the sum over its shards.
CREATE TABLE app_token_counts (
  partner_id BIGINT  NOT NULL,
  status     INTEGER NOT NULL,
  shard      INTEGER NOT NULL,
  tokens     BIGINT  NOT NULL,
  PRIMARY KEY (partner_id, status, shard)
);

-- Other writers wait until the counts below are taken and the triggers are in place.
LOCK TABLE app_tokens IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO app_token_counts (partner_id, status, shard, tokens)
  SELECT partner_id, status, CAST(seq % 16 AS INTEGER), COUNT(*) FROM app_tokens
  GROUP BY partner_id, status, seq % 16;

-- A status change takes the row of the lower status first, as every other change does, so that
-- two transactions moving tokens between two statuses cannot deadlock.
CREATE FUNCTION app_tokens_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens)
      VALUES (NEW.partner_id, NEW.status, NEW.seq % 16, 1)
      ON CONFLICT (partner_id, status, shard) DO UPDATE SET tokens = c.tokens + 1;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE app_token_counts SET tokens = tokens - 1
      WHERE partner_id = OLD.partner_id AND status = OLD.status AND shard = OLD.seq % 16;
  ELSIF OLD.partner_id <> NEW.partner_id OR OLD.status < NEW.status THEN
    UPDATE app_token_counts SET tokens = tokens - 1
      WHERE partner_id = OLD.partner_id AND status = OLD.status AND shard = OLD.seq % 16;
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens)
      VALUES (NEW.partner_id, NEW.status, NEW.seq % 16, 1)
      ON CONFLICT (partner_id, status, shard) DO UPDATE SET tokens = c.tokens + 1;
  ELSE
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens)
      VALUES (NEW.partner_id, NEW.status, NEW.seq % 16, 1)
      ON CONFLICT (partner_id, status, shard) DO UPDATE SET tokens = c.tokens + 1;
    UPDATE app_token_counts SET tokens = tokens - 1
      WHERE partner_id = OLD.partner_id AND status = OLD.status AND shard = OLD.seq % 16;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER app_tokens_count_insert AFTER INSERT OR DELETE ON app_tokens
  FOR EACH ROW EXECUTE FUNCTION app_tokens_count();
CREATE TRIGGER app_tokens_count_update AFTER UPDATE OF partner_id, status ON app_tokens
  FOR EACH ROW WHEN (OLD.partner_id <> NEW.partner_id OR OLD.status <> NEW.status)
  EXECUTE FUNCTION app_tokens_count();

-- One index per list order, over live tokens (every list has "status <> 3"), each ending with
-- seq, the list's final tie-break (always ascending): (partner_id, created_at DESC, seq) is
-- ordered exactly as ORDER BY created_at DESC, seq ASC.
DROP INDEX app_tokens_partner_created;
CREATE INDEX app_tokens_partner_created ON app_tokens (partner_id, created_at, seq)
  WHERE status <> 3;
CREATE INDEX app_tokens_partner_created_desc ON app_tokens (partner_id, created_at DESC, seq)
  WHERE status <> 3;
CREATE INDEX app_tokens_partner_updated ON app_tokens (partner_id, updated_at, seq)
  WHERE status <> 3;
CREATE INDEX app_tokens_partner_updated_desc ON app_tokens (partner_id, updated_at DESC, seq)
  WHERE status <> 3;
-- No order (insertion order), statusEqual in insertion order, and sessionUserIdEqual.
CREATE INDEX app_tokens_partner_live ON app_tokens (partner_id, seq) WHERE status <> 3;
DROP INDEX app_tokens_partner_status;
CREATE INDEX app_tokens_partner_status ON app_tokens (partner_id, status, seq);
CREATE INDEX app_tokens_partner_user ON app_tokens (partner_id, session_user_id, seq)
  WHERE status <> 3;
