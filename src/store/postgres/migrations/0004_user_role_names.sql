-- A role name is unique among a partner's non-deleted roles (Kaltura's ROLE_NAME_ALREADY_EXISTS),
-- enforced here so that concurrent userRole.add calls cannot both win.
CREATE UNIQUE INDEX user_roles_partner_name ON user_roles (partner_id, name) WHERE status <> 3;
