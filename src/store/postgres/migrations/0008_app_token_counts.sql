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

-- Statement-level triggers: each statement's change is counted once, per (partner, status,
-- shard) the rows it added minus those it removed (a row-level trigger would update one count row
-- once per token, and a count row updated a million times in one transaction — an import — keeps
-- a million versions that every later update must walk). The changes are applied in key order,
-- so two transactions lock count rows in the same order and cannot deadlock.
CREATE FUNCTION app_tokens_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens)
      SELECT partner_id, status, seq % 16, COUNT(*) FROM added
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (partner_id, status, shard) DO UPDATE SET tokens = c.tokens + EXCLUDED.tokens;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens)
      SELECT partner_id, status, seq % 16, -COUNT(*) FROM removed
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (partner_id, status, shard) DO UPDATE SET tokens = c.tokens + EXCLUDED.tokens;
  ELSE
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens)
      SELECT partner_id, status, shard, SUM(delta) FROM (
          SELECT a.partner_id, a.status, a.seq % 16 AS shard, 1 AS delta
            FROM added a JOIN removed r USING (seq)
            WHERE a.status <> r.status OR a.partner_id <> r.partner_id
          UNION ALL
          SELECT r.partner_id, r.status, r.seq % 16, -1
            FROM removed r JOIN added a USING (seq)
            WHERE a.status <> r.status OR a.partner_id <> r.partner_id) changes
      GROUP BY 1, 2, 3 HAVING SUM(delta) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (partner_id, status, shard) DO UPDATE SET tokens = c.tokens + EXCLUDED.tokens;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER app_tokens_count_insert AFTER INSERT ON app_tokens
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION app_tokens_count();
CREATE TRIGGER app_tokens_count_delete AFTER DELETE ON app_tokens
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION app_tokens_count();
-- (Transition tables rule out "UPDATE OF status": every UPDATE runs it; an update that changes
-- no status or partner changes no count.)
CREATE TRIGGER app_tokens_count_update AFTER UPDATE ON app_tokens
  REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION app_tokens_count();

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
