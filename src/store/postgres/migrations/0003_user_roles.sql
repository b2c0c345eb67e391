-- User roles (KalturaUserRole): a partner's named sets of permissions. Times are Unix seconds.
-- Deleted roles stay (status 3) so their ids are never reused.

CREATE TABLE user_roles (
  -- Assigned by the store: max(max(id) + 1, 100) (kFirstUserRoleId; lower ids are the built-in
  -- roles, which are not stored).
  id               BIGINT  PRIMARY KEY,
  partner_id       BIGINT  NOT NULL REFERENCES partners (id),
  name             TEXT    NOT NULL,
  system_name      TEXT    NOT NULL,  -- '' when not set
  description      TEXT,
  status           INTEGER NOT NULL,  -- UserRoleStatus: 1 active, 2 blocked, 3 deleted
  permission_names TEXT    NOT NULL,  -- CSV as given; '*' = every permission
  tags             TEXT,              -- CSV
  created_at       BIGINT  NOT NULL,
  updated_at       BIGINT  NOT NULL
);

CREATE INDEX user_roles_partner_status ON user_roles (partner_id, status);
-- A non-empty system name is unique among a partner's non-deleted roles.
CREATE UNIQUE INDEX user_roles_partner_system_name ON user_roles (partner_id, system_name)
  WHERE status <> 3 AND system_name <> '';
