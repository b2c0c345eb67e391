-- Deep pages of appToken.list (docs/architecture.md "Listing a million tokens"): each partner's
-- count of changes to its tokens, so that a node may remember where a list's rows were (store/
-- list_marks.h) and know, in the snapshot it reads a page in, whether they are still there.
-- The partner's change count is SUM(changes) over its app_token_counts rows; every INSERT,
-- DELETE and UPDATE of one of its tokens adds one to a row of it, in the same transaction.
ALTER TABLE app_token_counts ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER app_tokens_count_insert;
DROP TRIGGER app_tokens_count_delete;
DROP TRIGGER app_tokens_count_update;

CREATE TRIGGER app_tokens_count_insert AFTER INSERT ON app_tokens
BEGIN
  INSERT INTO app_token_counts (partner_id, status, shard, tokens, changes)
    VALUES (NEW.partner_id, NEW.status, 0, 1, 1)
    ON CONFLICT (partner_id, status, shard)
    DO UPDATE SET tokens = tokens + 1, changes = changes + 1;
END;

CREATE TRIGGER app_tokens_count_delete AFTER DELETE ON app_tokens
BEGIN
  UPDATE app_token_counts SET tokens = tokens - 1, changes = changes + 1
    WHERE partner_id = OLD.partner_id AND status = OLD.status AND shard = 0;
END;

-- A change of partner or status moves the token between counts (and is a change of both
-- partners'); any other update is a change of its partner's tokens alone.
CREATE TRIGGER app_tokens_count_update AFTER UPDATE OF partner_id, status ON app_tokens
  WHEN OLD.partner_id <> NEW.partner_id OR OLD.status <> NEW.status
BEGIN
  UPDATE app_token_counts SET tokens = tokens - 1, changes = changes + 1
    WHERE partner_id = OLD.partner_id AND status = OLD.status AND shard = 0;
  INSERT INTO app_token_counts (partner_id, status, shard, tokens, changes)
    VALUES (NEW.partner_id, NEW.status, 0, 1, 1)
    ON CONFLICT (partner_id, status, shard)
    DO UPDATE SET tokens = tokens + 1, changes = changes + 1;
END;

CREATE TRIGGER app_tokens_change_update AFTER UPDATE ON app_tokens
  WHEN OLD.partner_id = NEW.partner_id AND OLD.status = NEW.status
BEGIN
  UPDATE app_token_counts SET changes = changes + 1
    WHERE partner_id = NEW.partner_id AND status = NEW.status AND shard = 0;
END;
