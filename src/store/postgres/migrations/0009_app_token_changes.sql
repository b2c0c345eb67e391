-- Deep pages of appToken.list (docs/architecture.md "Listing a million tokens"): each partner's
-- count of changes to its tokens, so that a node may remember where a list's rows were (store/
-- list_marks.h) and know, in the snapshot it reads a page in, whether they are still there.
-- The partner's change count is SUM(changes) over its app_token_counts rows; every INSERT,
-- DELETE and UPDATE of one of its tokens adds one to a row of it, in the same transaction.
ALTER TABLE app_token_counts ADD COLUMN changes BIGINT NOT NULL DEFAULT 0;

-- As 0008's, with each row a statement touched counted as a change of its (partner, status,
-- shard): a change of partner or status counts in both rows, any other update in the token's.
-- Every UPDATE now writes a count row, in the same key order as before.
CREATE OR REPLACE FUNCTION app_tokens_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens, changes)
      SELECT partner_id, status, seq % 16, COUNT(*), COUNT(*) FROM added
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (partner_id, status, shard)
      DO UPDATE SET tokens = c.tokens + EXCLUDED.tokens, changes = c.changes + EXCLUDED.changes;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens, changes)
      SELECT partner_id, status, seq % 16, -COUNT(*), COUNT(*) FROM removed
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (partner_id, status, shard)
      DO UPDATE SET tokens = c.tokens + EXCLUDED.tokens, changes = c.changes + EXCLUDED.changes;
  ELSE
    INSERT INTO app_token_counts AS c (partner_id, status, shard, tokens, changes)
      SELECT partner_id, status, shard, SUM(delta), COUNT(*) FROM (
          SELECT a.partner_id, a.status, a.seq % 16 AS shard,
                 CASE WHEN a.status <> r.status OR a.partner_id <> r.partner_id THEN 1 ELSE 0 END
                   AS delta
            FROM added a JOIN removed r USING (seq)
          UNION ALL
          SELECT r.partner_id, r.status, r.seq % 16, -1
            FROM removed r JOIN added a USING (seq)
            WHERE a.status <> r.status OR a.partner_id <> r.partner_id) changes
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (partner_id, status, shard)
      DO UPDATE SET tokens = c.tokens + EXCLUDED.tokens, changes = c.changes + EXCLUDED.changes;
  END IF;
  RETURN NULL;
END $$;
