-- A partner setting (docs/security.md): whether session.start with the partner's user secret
-- may `setrole` a role that grants more than a user session's own role. Kaltura allows it.

ALTER TABLE partners ADD COLUMN user_secret_setrole INTEGER NOT NULL DEFAULT 0;  -- 0 allow, 1 deny
