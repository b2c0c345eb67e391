#include <algorithm>
#include <climits>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>

#include "store/sql_common.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/group_commit.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/statements.h"
#include "store/validate.h"

namespace ksgate::store {
namespace {

using sql::ReadAppToken;
using sql::ReadPartner;
using sql::ReadUserRole;
using sqlite::Connection;
using sqlite::Statement;

using sqlite_sql::kPartnerExists;
using sqlite_sql::UpsertRevocation;

constexpr char kInsertToken[] = "INSERT INTO app_tokens (" KSGATE_TOKEN_COLUMNS
                                ") VALUES"
                                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectToken[] = "SELECT " KSGATE_TOKEN_COLUMNS
                                " FROM app_tokens WHERE id = ? AND partner_id = ?"
                                " AND status <> " KSGATE_DELETED;
constexpr char kUpdateToken[] = KSGATE_UPDATE_TOKEN("?");
constexpr char kDeleteToken[] = "UPDATE app_tokens SET status = " KSGATE_DELETED
                                ", updated_at = ?"
                                " WHERE id = ? AND partner_id = ? AND status <> " KSGATE_DELETED;

constexpr char kMaxUserRoleId[] = "SELECT MAX(id) FROM user_roles";
constexpr char kInsertUserRole[] =
    "INSERT INTO user_roles (" KSGATE_ROLE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectUserRole[] = "SELECT " KSGATE_ROLE_COLUMNS
                                   " FROM user_roles WHERE id = ? AND partner_id = ?"
                                   " AND status <> " KSGATE_DELETED;
constexpr char kSelectUserRoleBySystemName[] =
    "SELECT " KSGATE_ROLE_COLUMNS
    " FROM user_roles WHERE partner_id = ? AND system_name = ? AND status <> " KSGATE_DELETED
    " ORDER BY id LIMIT 1";
constexpr char kUpdateUserRole[] = KSGATE_UPDATE_ROLE("?");

// Counts one session unless the cap is reached: inserts the first, or increments while below
// the cap (no row changes at the cap).
constexpr char kClaimSession[] =
    "INSERT INTO app_token_session_counts (token_id, partner_id, sessions_started)"
    " SELECT ?1, ?2, 1 WHERE ?3 > 0 ON CONFLICT (token_id) DO UPDATE"
    " SET sessions_started = sessions_started + 1 WHERE sessions_started < ?3";

constexpr char kAddUsage[] =
    "INSERT INTO app_token_usage (token_id, partner_id, sessions_started, last_session_at)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (token_id) DO UPDATE"
    " SET sessions_started = sessions_started + excluded.sessions_started,"
    " last_session_at = MAX(last_session_at, excluded.last_session_at)";
constexpr char kSelectUsage[] =
    "SELECT token_id, partner_id, sessions_started, last_session_at FROM app_token_usage"
    " WHERE partner_id = ? ORDER BY token_id";

void BindAll(Statement& s, const std::vector<sql::Param>& params) {
  for (const sql::Param& p : params) {
    std::visit([&](const auto& value) { s.Bind(value); }, p);
  }
}

// Runs a paged list in one read snapshot: the page (`run`: list.page or list.marked_page), then
// the count unless the page tells it (sql::TotalFromPage). `read_row` turns a row into an
// element of page->objects.
template <typename Page, typename ReadRow>
Status ReadPagedList(Connection& c, const sql::ListSql& list, const sql::PageRun& run,
                     ReadRow read_row, Page* page) {
  *page = Page();
  {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(*run.sql));
    BindAll(s, run.params);
    while (true) {
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      page->objects.push_back(read_row(s));
    }
  }
  if (std::optional<int64_t> total = sql::TotalFromPage(list, page->objects.size())) {
    page->total_count = *total;
    return Status::Ok();
  }
  KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(list.count));
  BindAll(s, list.params);
  KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
  page->total_count = row ? s.Int(0) : 0;
  return Status::Ok();
}

}  // namespace

// --- App tokens ------------------------------------------------------------------------------

Status SqliteStore::InsertAppToken(const AppToken& t) {
  return Write([&](Connection& c) -> Status {
    // The partner is checked by the foreign key (foreign_keys is on for every connection), not
    // by a lookup of its own: this runs on the one writer thread, once per add.
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertToken));
    sql::BindAppToken(t, [&](const auto& value) { s.Bind(value); });
    Status inserted = s.Run();
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return AlreadyExistsError("app token id " + t.id + " is taken");
    }
    if (!inserted.ok() && c.LastErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
      return NotFoundError("partner " + std::to_string(t.partner_id));
    }
    return inserted;
  });
}

Result<AppToken> SqliteStore::GetAppToken(int64_t partner_id, std::string_view id) const {
  std::optional<AppToken> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectToken));
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(id).Bind(partner_id).Step());
    found.reset();
    if (row) found = ReadAppToken(s);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("app token " + std::string(id));
  return *std::move(found);
}

Status SqliteStore::UpdateAppToken(const AppToken& expected, const AppToken& t) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUpdate(expected, t));
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectToken));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(t.id).Bind(t.partner_id).Step());
      if (!row) return NotFoundError("app token " + t.id);
      if (ReadAppToken(s) != expected) {
        return AbortedError("app token " + t.id + " changed concurrently");
      }
    }
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateToken));
    sql::BindAppToken(t, [&](const auto& value) { s.Bind(value); });
    KSGATE_RETURN_IF_ERROR(s.Run());
    if (c.Changes() != 1) return InternalError("app token " + t.id + ": read but not updated");
    return Status::Ok();
  });
}

Status SqliteStore::DeleteAppToken(int64_t partner_id, std::string_view id,
                                   const Revocation& revocation, int64_t now) {
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteToken));
      KSGATE_RETURN_IF_ERROR(s.Bind(now).Bind(id).Bind(partner_id).Run());
      if (c.Changes() == 0) return NotFoundError("app token " + std::string(id));
    }
    return UpsertRevocation(c, revocation, std::nullopt, now);
  });
}

Result<AppTokenPage> SqliteStore::ListAppTokens(int64_t partner_id,
                                                const AppTokenQuery& query) const {
  AppTokenPage page;
  const std::optional<sql::ListSql> list =
      sql::AppTokenListSql(sql::kSqliteDialect, partner_id, query);
  if (!list) return page;  // an empty IN list matches nothing
  // Inside a write batch (committer_), the batch's own writes are visible and may yet roll
  // back: no marks are read or left there.
  const bool marks = sql::PageUsesMarks(*list) && !committer_->InTaskOnThisThread();
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) -> Status {
    std::optional<int64_t> changes;
    if (marks) {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(list->changes));
      BindAll(s, list->changes_params);
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      changes = row ? s.Int(0) : 0;
    }
    const int64_t now = ListMarks::Now();
    std::vector<int64_t> seqs;
    KSGATE_RETURN_IF_ERROR(ReadPagedList(
        c, *list, sql::PageToRun(*list, list_marks_, changes, now),
        [&seqs](const Statement& s) {
          seqs.push_back(s.Int(sql::kTokenSeqColumn));
          return ReadAppToken(s);
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

Result<UserRole> SqliteStore::InsertUserRole(const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateNewUserRole(role));
  UserRole stored = role;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kPartnerExists));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(role.partner_id).Step());
      if (!row) return NotFoundError("partner " + std::to_string(role.partner_id));
    }
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kMaxUserRoleId));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      stored.id = sql::NextUserRoleId(row ? s.OptionalInt(0) : std::nullopt);
    }
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertUserRole));
    sql::BindUserRole(stored, [&](const auto& value) { s.Bind(value); });
    return sql::RoleWriteStatus(s.Run(), stored);
  }));
  return stored;
}

Result<UserRole> SqliteStore::GetUserRole(int64_t partner_id, int64_t id) const {
  std::optional<UserRole> found;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserRole));
    KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(id).Bind(partner_id).Step());
    found.reset();
    if (row) found = ReadUserRole(s);
    return Status::Ok();
  }));
  if (!found) return NotFoundError("user role " + std::to_string(id));
  return *std::move(found);
}

Result<UserRole> SqliteStore::FindUserRoleBySystemName(int64_t partner_id,
                                                       std::string_view system_name) const {
  std::optional<UserRole> found;
  if (!system_name.empty()) {
    KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserRoleBySystemName));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(partner_id).Bind(system_name).Step());
      found.reset();
      if (row) found = ReadUserRole(s);
      return Status::Ok();
    }));
  }
  if (!found) return NotFoundError("user role " + std::string(system_name));
  return *std::move(found);
}

Status SqliteStore::UpdateUserRole(const UserRole& expected, const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateUserRoleUpdate(expected, role));
  return Write([&](Connection& c) -> Status {
    {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserRole));
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Bind(role.id).Bind(role.partner_id).Step());
      if (!row) return NotFoundError("user role " + std::to_string(role.id));
      if (ReadUserRole(s) != expected) {
        return AbortedError("user role " + std::to_string(role.id) + " changed concurrently");
      }
    }
    // The partial unique index on live system names reports a clash as kAlreadyExists.
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateUserRole));
    sql::BindUserRole(role, [&](const auto& value) { s.Bind(value); });
    KSGATE_RETURN_IF_ERROR(sql::RoleWriteStatus(s.Run(), role));
    if (c.Changes() != 1) {
      return InternalError("user role " + std::to_string(role.id) + ": read but not updated");
    }
    return Status::Ok();
  });
}

Result<UserRolePage> SqliteStore::ListUserRoles(int64_t partner_id,
                                                const UserRoleQuery& query) const {
  UserRolePage page;
  const std::optional<sql::ListSql> list =
      sql::UserRoleListSql(sql::kSqliteDialect, partner_id, query);
  if (!list) return page;  // an empty list matches nothing
  KSGATE_RETURN_IF_ERROR(Read(true, [&](Connection& c) {
    return ReadPagedList(c, *list, sql::PageRun{.sql = &list->page, .params = list->page_params},
                         ReadUserRole<Statement>, &page);
  }));
  return page;
}

// --- App token session cap --------------------------------------------------------------------

Result<bool> SqliteStore::ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                               int64_t max_sessions) {
  KSGATE_RETURN_IF_ERROR(ValidateSessionClaim(token_id, max_sessions));
  bool claimed = false;
  KSGATE_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kClaimSession));
    KSGATE_RETURN_IF_ERROR(s.Bind(token_id).Bind(partner_id).Bind(max_sessions).Run());
    claimed = c.Changes() == 1;
    return Status::Ok();
  }));
  return claimed;
}

// --- App token usage --------------------------------------------------------------------------

Status SqliteStore::AddAppTokenUsage(std::span<const AppTokenUsage> usage) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUsage(usage));
  if (usage.empty()) return Status::Ok();
  return Write([&](Connection& c) -> Status {
    for (const AppTokenUsage& u : usage) {
      KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kAddUsage));
      KSGATE_RETURN_IF_ERROR(s.Bind(u.token_id)
                                 .Bind(u.partner_id)
                                 .Bind(u.sessions_started)
                                 .Bind(u.last_session_at)
                                 .Run());
    }
    return Status::Ok();
  });
}

Result<std::vector<AppTokenUsage>> SqliteStore::ListAppTokenUsage(int64_t partner_id) const {
  std::vector<AppTokenUsage> usage;
  KSGATE_RETURN_IF_ERROR(Read(false, [&](Connection& c) -> Status {
    usage.clear();
    KSGATE_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUsage));
    s.Bind(partner_id);
    while (true) {
      KSGATE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Ok();
      usage.push_back(AppTokenUsage{s.Text(0), s.Int(1), s.Int(2), s.Int(3)});
    }
  }));
  return usage;
}

}  // namespace ksgate::store
