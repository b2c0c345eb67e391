// The SQLite store's statements and helpers that more than one of its .cc files uses.
// Internal to this backend: only its store .cc files include it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/sql_common.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace ksgate::store::sqlite_sql {

using sql::ReadAppToken;
using sql::ReadPartner;
using sql::ReadUserRole;
using sqlite::Connection;
using sqlite::Statement;

inline constexpr char kNextPartnerId[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM partners";
inline constexpr char kInsertPartner[] =
    "INSERT INTO partners (" KSGATE_PARTNER_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
inline constexpr char kSelectPartner[] =
    "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners WHERE id = ?";
inline constexpr char kSelectPartners[] =
    "SELECT " KSGATE_PARTNER_COLUMNS " FROM partners ORDER BY id";
inline constexpr char kPartnerExists[] = "SELECT 1 FROM partners WHERE id = ?";
inline constexpr char kUpdatePartnerStatus[] =
    "UPDATE partners SET status = ?, updated_at = ? WHERE id = ?";
inline constexpr char kUpdatePartnerSecrets[] =
    "UPDATE partners SET admin_secrets = ?, updated_at = ? WHERE id = ?";
inline constexpr char kUpdatePartnerSettings[] =
    "UPDATE partners SET app_token_privilege_ceiling = ?, app_token_show_once = ?,"
    " user_secret_setrole = ?, updated_at = ? WHERE id = ?";
inline constexpr char kUpdatePartner[] = KSGATE_UPDATE_PARTNER("?");

inline constexpr char kUpsertRevocation[] =
    "INSERT INTO invalid_sessions (key, type, valid_until, actions_limit, created_at)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (key, type) DO UPDATE"
    " SET valid_until = excluded.valid_until, actions_limit = excluded.actions_limit";
// Binds key and (now - grace): valid_until + grace > now, without overflow near INT64_MAX.
inline constexpr char kSelectRevoked[] =
    "SELECT 1 FROM invalid_sessions WHERE key = ? AND actions_limit IS NULL"
    " AND (valid_until IS NULL OR valid_until > ?) LIMIT 1";

// Runs the upsert behind Revoke (actions_limit null) and SetActionsLimitForTesting.
inline Status UpsertRevocation(Connection& c, const Revocation& r,
                               std::optional<int64_t> actions_limit, int64_t now) {
  KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpsertRevocation));
  return s.Bind(r.key)
      .Bind(static_cast<int64_t>(r.type))
      .Bind(r.valid_until)
      .Bind(actions_limit)
      .Bind(now)
      .Run();
}

}  // namespace ksgate::store::sqlite_sql
