#include <algorithm>
#include <climits>
#include <utility>
#include <variant>

#include "store/postgres/connection.h"
#include "store/postgres/migrations.h"
#include "store/postgres/notify.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/statements.h"
#include "store/sql_common.h"
#include "store/validate.h"

namespace ksgate::store {
namespace {

using postgres::Connection;
using postgres::Params;
using postgres::Rows;
using sql::ReadAppToken;
using sql::ReadPartner;
using sql::ReadUserRole;

using pg_sql::kPartnerExists;
using pg_sql::kUserRoleIdLock;
using pg_sql::Lock;
using pg_sql::Notify;
using pg_sql::RoleChange;
using pg_sql::TokenChange;
using pg_sql::UpsertRevocation;

// The insert and its change notification ($21 the channel, $22 the change) in one statement:
// one round trip fewer per appToken.add. The partner is checked by the foreign key (SQLSTATE
// 23503, kNotFound), not by a query of its own.
constexpr char kInsertToken[] = "WITH added AS (INSERT INTO app_tokens (" KSGATE_TOKEN_COLUMNS
                                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
                                " $14, $15, $16, $17, $18, $19, $20)) SELECT pg_notify($21, $22)";
#define KSGATE_SELECT_TOKEN      \
  "SELECT " KSGATE_TOKEN_COLUMNS \
  " FROM app_tokens WHERE id = $1 AND partner_id = $2 AND status <> " KSGATE_DELETED
constexpr char kSelectToken[] = KSGATE_SELECT_TOKEN;
constexpr char kLockToken[] = KSGATE_SELECT_TOKEN " FOR UPDATE";
constexpr char kUpdateToken[] = KSGATE_UPDATE_TOKEN("$");
constexpr char kDeleteToken[] =
    "UPDATE app_tokens SET status = " KSGATE_DELETED
    ", updated_at = $1 WHERE id = $2 AND partner_id = $3 AND status <> " KSGATE_DELETED;

constexpr char kMaxUserRoleId[] = "SELECT MAX(id) FROM user_roles";
constexpr char kInsertUserRole[] = "INSERT INTO user_roles (" KSGATE_ROLE_COLUMNS
                                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
#define KSGATE_SELECT_ROLE      \
  "SELECT " KSGATE_ROLE_COLUMNS \
  " FROM user_roles WHERE id = $1 AND partner_id = $2 AND status <> " KSGATE_DELETED
constexpr char kSelectUserRole[] = KSGATE_SELECT_ROLE;
constexpr char kLockUserRole[] = KSGATE_SELECT_ROLE " FOR UPDATE";
constexpr char kSelectUserRoleBySystemName[] =
    "SELECT " KSGATE_ROLE_COLUMNS
    " FROM user_roles WHERE partner_id = $1 AND system_name = $2 AND status <> " KSGATE_DELETED
    " ORDER BY id LIMIT 1";
constexpr char kUpdateUserRole[] = KSGATE_UPDATE_ROLE("$");

// Counts one session unless the cap is reached: inserts the first, or increments while below
// the cap. The conflicting row is locked, so concurrent claims queue and each sees the last
// count.
constexpr char kClaimSession[] =
    "INSERT INTO app_token_session_counts (token_id, partner_id, sessions_started)"
    " SELECT $1::TEXT, $2::BIGINT, 1 WHERE $3::BIGINT > 0 ON CONFLICT (token_id) DO UPDATE"
    " SET sessions_started = app_token_session_counts.sessions_started + 1"
    " WHERE app_token_session_counts.sessions_started < $3::BIGINT";

constexpr char kAddUsage[] =
    "INSERT INTO app_token_usage (token_id, partner_id, sessions_started, last_session_at)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (token_id) DO UPDATE"
    " SET sessions_started = app_token_usage.sessions_started + excluded.sessions_started,"
    " last_session_at = GREATEST(app_token_usage.last_session_at, excluded.last_session_at)";
constexpr char kSelectUsage[] =
    "SELECT token_id, partner_id, sessions_started, last_session_at FROM app_token_usage"
    " WHERE partner_id = $1 ORDER BY token_id";

Status PartnerExists(Connection& c, int64_t partner_id) {
  KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kPartnerExists, Params().Add(partner_id)));
  if (rows.empty()) return NotFoundError("partner " + std::to_string(partner_id));
  return Status::Ok();
}

Params ToParams(const std::vector<sql::Param>& params) {
  Params out;
  for (const sql::Param& p : params) {
    std::visit([&](const auto& value) { out.Add(value); }, p);
  }
  return out;
}

// Runs a paged list in the caller's snapshot: the page (`run`: list.page or list.marked_page),
// then the count unless the page tells it (sql::TotalFromPage).
template <typename Page, typename ReadRow>
Status ReadPagedList(Connection& c, const sql::ListSql& list, const sql::PageRun& run,
                     ReadRow read_row, Page* page) {
  *page = Page();
  {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.RunDynamic(*run.sql, ToParams(run.params)));
    for (int i = 0; i < rows.size(); ++i) page->objects.push_back(read_row(rows[i]));
  }
  if (std::optional<int64_t> total = sql::TotalFromPage(list, page->objects.size())) {
    page->total_count = *total;
    return Status::Ok();
  }
  KSGATE_ASSIGN_OR_RETURN(Rows rows, c.RunDynamic(list.count, ToParams(list.params)));
  page->total_count = rows.empty() ? 0 : rows[0].Int(0);
  return Status::Ok();
}

}  // namespace

// --- App tokens ------------------------------------------------------------------------------

Status PgStore::InsertAppToken(const AppToken& t) {
  return Write([&](Connection& c) -> Status {
    Params params;
    sql::BindAppToken(t, [&](const auto& value) { params.Add(value); });
    params.Add(postgres::kChangesChannel)
        .Add(postgres::EncodeChange(TokenChange(t.partner_id, t.id)));
    Status inserted = c.Run(kInsertToken, params).status();
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError("app token id " + t.id + " is taken");
    }
    if (inserted.code() == StatusCode::kNotFound) {
      return NotFoundError("partner " + std::to_string(t.partner_id));
    }
    return inserted;
  });
}

Result<AppToken> PgStore::GetAppToken(int64_t partner_id, std::string_view id) const {
  std::optional<AppToken> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectToken, Params().Add(id).Add(partner_id)));
    found.reset();
    if (!rows.empty()) found = ReadAppToken(rows[0]);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("app token " + std::string(id));
  return *std::move(found);
}

Status PgStore::UpdateAppToken(const AppToken& expected, const AppToken& t) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUpdate(expected, t));
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kLockToken, Params().Add(t.id).Add(t.partner_id)));
      if (rows.empty()) return NotFoundError("app token " + t.id);
      if (ReadAppToken(rows[0]) != expected) {
        return AbortedError("app token " + t.id + " changed concurrently");
      }
    }
    Params params;
    sql::BindAppToken(t, [&](const auto& value) { params.Add(value); });
    KSGATE_ASSIGN_OR_RETURN(Rows updated, c.Run(kUpdateToken, params));
    if (updated.affected() != 1) {
      return InternalError("app token " + t.id + ": read but not updated");
    }
    return Notify(c, TokenChange(t.partner_id, t.id));
  });
}

Status PgStore::DeleteAppToken(int64_t partner_id, std::string_view id,
                               const Revocation& revocation, int64_t now) {
  return Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows,
                            c.Run(kDeleteToken, Params().Add(now).Add(id).Add(partner_id)));
    if (rows.affected() == 0) return NotFoundError("app token " + std::string(id));
    KSGATE_RETURN_IF_ERROR(Notify(c, TokenChange(partner_id, id)));
    return UpsertRevocation(c, revocation, std::nullopt, now);
  });
}

Result<AppTokenPage> PgStore::ListAppTokens(int64_t partner_id, const AppTokenQuery& query) const {
  AppTokenPage page;
  const std::optional<sql::ListSql> list =
      sql::AppTokenListSql(sql::kPostgresDialect, partner_id, query);
  if (!list) return page;  // an empty IN list matches nothing
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) -> Status {
    std::optional<int64_t> changes;
    if (sql::PageUsesMarks(*list)) {
      KSGATE_ASSIGN_OR_RETURN(Rows rows,
                              c.RunDynamic(list->changes, ToParams(list->changes_params)));
      changes = rows.empty() ? 0 : rows[0].Int(0);
    }
    const int64_t now = ListMarks::Now();
    std::vector<int64_t> seqs;
    KSGATE_RETURN_IF_ERROR(ReadPagedList(
        c, *list, sql::PageToRun(*list, list_marks_, changes, now),
        [&seqs](const postgres::Row& row) {
          seqs.push_back(row.Int(sql::kTokenSeqColumn));
          return ReadAppToken(row);
        },
        &page));
    if (changes) {
      list_marks_.Record(list->shape, *changes, sql::MarksOfPage(*list, page.objects, seqs), now);
    }
    return Status::Ok();
  }));
  return page;
}

// --- User roles ------------------------------------------------------------------------------

Result<UserRole> PgStore::InsertUserRole(const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateNewUserRole(role));
  UserRole stored = role;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    KSGATE_RETURN_IF_ERROR(PartnerExists(c, role.partner_id));
    // Held until commit: the next InsertUserRole anywhere sees this row (or, if this one fails,
    // gets the same id: a failed insert uses up none).
    KSGATE_RETURN_IF_ERROR(Lock(c, kUserRoleIdLock));
    {
      KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kMaxUserRoleId));
      stored.id = sql::NextUserRoleId(rows.empty() ? std::nullopt : rows[0].OptionalInt(0));
    }
    Params params;
    sql::BindUserRole(stored, [&](const auto& value) { params.Add(value); });
    KSGATE_RETURN_IF_ERROR(sql::RoleWriteStatus(c.Run(kInsertUserRole, params).status(), stored));
    return Notify(c, RoleChange(stored.partner_id, stored.id));
  }));
  return stored;
}

Result<UserRole> PgStore::GetUserRole(int64_t partner_id, int64_t id) const {
  std::optional<UserRole> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectUserRole, Params().Add(id).Add(partner_id)));
    found.reset();
    if (!rows.empty()) found = ReadUserRole(rows[0]);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("user role " + std::to_string(id));
  return *std::move(found);
}

Result<UserRole> PgStore::FindUserRoleBySystemName(int64_t partner_id,
                                                   std::string_view system_name) const {
  std::optional<UserRole> found;
  if (!system_name.empty()) {
    KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
      KSGATE_ASSIGN_OR_RETURN(
          Rows rows, c.Run(kSelectUserRoleBySystemName, Params().Add(partner_id).Add(system_name)));
      found.reset();
      if (!rows.empty()) found = ReadUserRole(rows[0]);
      return Status::Ok();
    }));
  }
  if (!found) return NotFoundError("user role " + std::string(system_name));
  return *std::move(found);
}

Status PgStore::UpdateUserRole(const UserRole& expected, const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateUserRoleUpdate(expected, role));
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Rows rows,
                              c.Run(kLockUserRole, Params().Add(role.id).Add(role.partner_id)));
      if (rows.empty()) return NotFoundError("user role " + std::to_string(role.id));
      if (ReadUserRole(rows[0]) != expected) {
        return AbortedError("user role " + std::to_string(role.id) + " changed concurrently");
      }
    }
    // The partial unique indexes on live names report a clash as kAlreadyExists.
    Params params;
    sql::BindUserRole(role, [&](const auto& value) { params.Add(value); });
    Result<Rows> updated = c.Run(kUpdateUserRole, params);
    KSGATE_RETURN_IF_ERROR(sql::RoleWriteStatus(updated.status(), role));
    if (updated->affected() != 1) {
      return InternalError("user role " + std::to_string(role.id) + ": read but not updated");
    }
    return Notify(c, RoleChange(role.partner_id, role.id));
  });
}

Result<UserRolePage> PgStore::ListUserRoles(int64_t partner_id, const UserRoleQuery& query) const {
  UserRolePage page;
  const std::optional<sql::ListSql> list =
      sql::UserRoleListSql(sql::kPostgresDialect, partner_id, query);
  if (!list) return page;  // an empty list matches nothing
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) {
    return ReadPagedList(c, *list, sql::PageRun{.sql = &list->page, .params = list->page_params},
                         ReadUserRole<postgres::Row>, &page);
  }));
  return page;
}

// --- App token session cap --------------------------------------------------------------------

Result<bool> PgStore::ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                           int64_t max_sessions) {
  KSGATE_RETURN_IF_ERROR(ValidateSessionClaim(token_id, max_sessions));
  bool claimed = false;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(
        Rows rows, c.Run(kClaimSession, Params().Add(token_id).Add(partner_id).Add(max_sessions)));
    claimed = rows.affected() == 1;
    return Status::Ok();
  }));
  return claimed;
}

// --- App token usage --------------------------------------------------------------------------

Status PgStore::AddAppTokenUsage(std::span<const AppTokenUsage> usage) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUsage(usage));
  if (usage.empty()) return Status::Ok();
  return Write([&](Connection& c) -> Status {
    for (const AppTokenUsage& u : usage) {
      KSGATE_RETURN_IF_ERROR(c.Run(kAddUsage, Params()
                                                  .Add(u.token_id)
                                                  .Add(u.partner_id)
                                                  .Add(u.sessions_started)
                                                  .Add(u.last_session_at))
                                 .status());
    }
    return Status::Ok();
  });
}

Result<std::vector<AppTokenUsage>> PgStore::ListAppTokenUsage(int64_t partner_id) const {
  std::vector<AppTokenUsage> usage;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Rows rows, c.Run(kSelectUsage, Params().Add(partner_id)));
    usage.clear();
    for (int i = 0; i < rows.size(); ++i) {
      usage.push_back(
          AppTokenUsage{rows[i].Text(0), rows[i].Int(1), rows[i].Int(2), rows[i].Int(3)});
    }
    return Status::Ok();
  }));
  return usage;
}

}  // namespace ksgate::store
