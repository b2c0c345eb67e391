// The PostgreSQL store's statements and helpers (locks, NOTIFY) that more than one of its .cc files
// uses. Internal to this backend: only its store .cc files include it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/postgres/connection.h"
#include "store/postgres/notify.h"
#include "store/sql_common.h"
#include "store/store.h"

namespace ksgate::store::pg_sql {

using postgres::Connection;
using postgres::Params;
using postgres::Rows;
using sql::ReadAppToken;
using sql::ReadPartner;
using sql::ReadUserRole;

// Advisory lock keys (pg_advisory_xact_lock, one 64-bit key space per database): "ksgate" in
// the high bytes, then what the lock guards.
inline constexpr int64_t kMigrationLock = 0x6b73676174650001;
inline constexpr int64_t kPartnerIdLock = 0x6b73676174650002;
inline constexpr int64_t kUserRoleIdLock = 0x6b73676174650003;

inline constexpr char kLock[] = "SELECT pg_advisory_xact_lock($1)";
inline constexpr char kNotify[] = "SELECT pg_notify($1, $2)";

inline constexpr char kNextPartnerId[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM partners";
inline constexpr char kInsertPartner[] =
    "INSERT INTO partners (" KSGATE_PARTNER_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
inline constexpr char kSelectPartner[] =
    "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners WHERE id = $1";
inline constexpr char kSelectPartners[] =
    "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners ORDER BY id";
inline constexpr char kPartnerExists[] = "SELECT 1 FROM partners WHERE id = $1";
inline constexpr char kUpdatePartnerStatus[] =
    "UPDATE partners SET status = $1, updated_at = $2 WHERE id = $3";
inline constexpr char kUpdatePartnerSecrets[] =
    "UPDATE partners SET admin_secrets = $1, updated_at = $2 WHERE id = $3";
inline constexpr char kUpdatePartnerSettings[] =
    "UPDATE partners SET app_token_privilege_ceiling = $1, app_token_show_once = $2,"
    " user_secret_setrole = $3, updated_at = $4 WHERE id = $5";
inline constexpr char kUpdatePartner[] = KSGATE_UPDATE_PARTNER("$");

inline constexpr char kUpsertRevocation[] =
    "INSERT INTO invalid_sessions (key, type, valid_until, actions_limit, created_at)"
    " VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT (key, type) DO UPDATE"
    " SET valid_until = excluded.valid_until, actions_limit = excluded.actions_limit";
// $1 is now - grace: valid_until + grace > now, without overflow near INT64_MAX. The keys
// follow as $2, $3, ...
inline constexpr char kSelectRevokedPrefix[] =
    "SELECT 1 FROM invalid_sessions WHERE actions_limit IS NULL"
    " AND (valid_until IS NULL OR valid_until > $1) AND key IN (";

inline Status Lock(Connection& c, int64_t key) { return c.Run(kLock, Params().Add(key)).status(); }

// Queues a change notification; PostgreSQL delivers it when the transaction commits.
inline Status Notify(Connection& c, const Change& change) {
  return c.Run(kNotify, Params().Add(postgres::kChangesChannel).Add(postgres::EncodeChange(change)))
      .status();
}

inline Change PartnerChange(int64_t partner_id) {
  return Change{Change::Kind::kPartner, partner_id, std::string()};
}
inline Change TokenChange(int64_t partner_id, std::string_view id) {
  return Change{Change::Kind::kAppToken, partner_id, std::string(id)};
}
inline Change RoleChange(int64_t partner_id, int64_t id) {
  return Change{Change::Kind::kUserRole, partner_id, std::to_string(id)};
}
inline Change RevocationChange(std::string_view key) {
  return Change{Change::Kind::kRevocation, 0, std::string(key)};
}

// The upsert behind Revoke (actions_limit null) and SetActionsLimitForTesting, with its NOTIFY.
inline Status UpsertRevocation(Connection& c, const Revocation& r,
                               std::optional<int64_t> actions_limit, int64_t now) {
  KSGATE_RETURN_IF_ERROR(c.Run(kUpsertRevocation, Params()
                                                      .Add(r.key)
                                                      .Add(static_cast<int64_t>(r.type))
                                                      .Add(r.valid_until)
                                                      .Add(actions_limit)
                                                      .Add(now))
                             .status());
  return Notify(c, RevocationChange(r.key));
}

}  // namespace ksgate::store::pg_sql
