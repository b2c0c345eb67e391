// What the SQL backends (sqlite/, postgres/) share: column lists, the mapping between records
// and rows, and the WHERE / ORDER BY / paging of the list queries. SQL built here holds only
// constant text and placeholders; every value comes back as a parameter to bind, in order.
// No database library is included here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "store/list_marks.h"
#include "store/records.h"

// Column lists shared by SELECTs and INSERTs; ReadPartner / ReadAppToken / ReadUserRole read
// in this order.
#define KSGATE_PARTNER_COLUMNS                                                                   \
  "id, name, admin_secrets, secret, status, ks_version, ks_max_expiry, created_at, updated_at, " \
  "app_token_privilege_ceiling, app_token_show_once, user_secret_setrole"
#define KSGATE_TOKEN_COLUMNS                                                        \
  "id, token, partner_id, created_at, updated_at, status, expiry, session_type, "   \
  "session_user_id, session_duration, session_privileges, hash_type, description, " \
  "previous_token, previous_token_until, sessions_revoked_before, max_sessions, "   \
  "allowed_cidrs, exchanges_per_minute, max_session_expiry"
#define KSGATE_ROLE_COLUMNS                                                          \
  "id, partner_id, name, system_name, description, status, permission_names, tags, " \
  "created_at, updated_at"
// AppTokenStatus::kDeleted and UserRoleStatus::kDeleted, as a constant in SQL text.
#define KSGATE_DELETED "3"
// The compare-and-set UPDATEs of a live token / role, with numbered placeholders in column
// order (bind with BindAppToken / BindUserRole). P is the placeholder prefix: "?" for SQLite
// (?NNN), "$" for PostgreSQL.
#define KSGATE_UPDATE_TOKEN(P)                                                                  \
  "UPDATE app_tokens SET token = " P "2, created_at = " P "4, updated_at = " P "5, status = " P \
  "6, expiry = " P "7, session_type = " P "8, session_user_id = " P "9, session_duration = " P  \
  "10, session_privileges = " P "11, hash_type = " P "12, description = " P                     \
  "13, previous_token = " P "14, previous_token_until = " P "15, sessions_revoked_before = " P  \
  "16, max_sessions = " P "17, allowed_cidrs = " P "18, exchanges_per_minute = " P              \
  "19, max_session_expiry = " P "20 WHERE id = " P "1 AND partner_id = " P                      \
  "3 AND status <> " KSGATE_DELETED
#define KSGATE_UPDATE_ROLE(P)                                                                    \
  "UPDATE user_roles SET name = " P "3, system_name = " P "4, description = " P "5, status = " P \
  "6, permission_names = " P "7, tags = " P "8, created_at = " P "9, updated_at = " P            \
  "10 WHERE id = " P "1 AND partner_id = " P "2 AND status <> " KSGATE_DELETED
// Store::UpdatePartner: each column takes its parameter unless that is null (bind with
// BindPartnerChanges).
#define KSGATE_UPDATE_PARTNER(P)                                                                   \
  "UPDATE partners SET name = COALESCE(" P "1, name), ks_version = COALESCE(" P                    \
  "2, ks_version), ks_max_expiry = COALESCE(" P                                                    \
  "3, ks_max_expiry), "                                                                            \
  "app_token_privilege_ceiling = COALESCE(" P                                                      \
  "4, app_token_privilege_ceiling), "                                                              \
  "app_token_show_once = COALESCE(" P "5, app_token_show_once), user_secret_setrole = COALESCE(" P \
  "6, user_secret_setrole), updated_at = " P "7 WHERE id = " P "8"

namespace ksgate::store::sql {

static_assert(static_cast<int>(AppTokenStatus::kDeleted) == 3);
static_assert(static_cast<int>(UserRoleStatus::kDeleted) == 3);

// An app token list's page selects KSGATE_TOKEN_COLUMNS (20 of them), then seq.
inline constexpr int kTokenSeqColumn = 20;

// Admin secrets are stored newline-joined, primary first (they never contain a line break:
// ValidateAdminSecrets).
std::string JoinSecrets(const std::vector<std::string>& secrets);
std::vector<std::string> SplitSecrets(std::string_view joined);

// Records from a result row read in the column order above. `Row` is a backend's row accessor
// with int64_t Int(int column), std::optional<int64_t> OptionalInt(int), std::string Text(int)
// and std::optional<std::string> OptionalText(int).
template <typename Row>
Partner ReadPartner(const Row& row) {
  Partner p;
  p.id = row.Int(0);
  p.name = row.Text(1);
  p.admin_secrets = SplitSecrets(row.Text(2));
  p.secret = row.Text(3);
  p.status = static_cast<PartnerStatus>(row.Int(4));
  p.ks_version = static_cast<int>(row.Int(5));
  p.ks_max_expiry = row.Int(6);
  p.created_at = row.Int(7);
  p.updated_at = row.Int(8);
  p.settings.app_token_privilege_ceiling = row.Int(9) != 0;
  p.settings.app_token_show_once = row.Int(10) != 0;
  p.settings.user_secret_setrole = static_cast<UserSecretSetRole>(row.Int(11));
  return p;
}

template <typename Row>
AppToken ReadAppToken(const Row& row) {
  AppToken t;
  t.id = row.Text(0);
  t.token = row.Text(1);
  t.partner_id = row.Int(2);
  t.created_at = row.Int(3);
  t.updated_at = row.Int(4);
  t.status = static_cast<AppTokenStatus>(row.Int(5));
  t.expiry = row.OptionalInt(6);
  if (std::optional<int64_t> type = row.OptionalInt(7)) t.session_type = static_cast<int>(*type);
  t.session_user_id = row.OptionalText(8);
  t.session_duration = row.OptionalInt(9);
  t.session_privileges = row.OptionalText(10);
  t.hash_type = row.OptionalText(11);
  t.description = row.OptionalText(12);
  t.previous_token = row.OptionalText(13);
  t.previous_token_until = row.OptionalInt(14);
  t.sessions_revoked_before = row.OptionalInt(15);
  t.max_sessions = row.OptionalInt(16);
  t.allowed_cidrs = row.OptionalText(17);
  t.exchanges_per_minute = row.OptionalInt(18);
  t.max_session_expiry = row.OptionalInt(19);
  return t;
}

template <typename Row>
UserRole ReadUserRole(const Row& row) {
  UserRole r;
  r.id = row.Int(0);
  r.partner_id = row.Int(1);
  r.name = row.Text(2);
  r.system_name = row.Text(3);
  r.description = row.OptionalText(4);
  r.status = static_cast<UserRoleStatus>(row.Int(5));
  r.permission_names = row.Text(6);
  r.tags = row.OptionalText(7);
  r.created_at = row.Int(8);
  r.updated_at = row.Int(9);
  return r;
}

// Binds `p`'s columns in KSGATE_PARTNER_COLUMNS order with `bind(value)` (int64_t, int or
// std::string).
template <typename Bind>
void BindPartner(const Partner& p, Bind&& bind) {
  bind(p.id);
  bind(p.name);
  bind(JoinSecrets(p.admin_secrets));
  bind(p.secret);
  bind(static_cast<int64_t>(p.status));
  bind(p.ks_version);
  bind(p.ks_max_expiry);
  bind(p.created_at);
  bind(p.updated_at);
  bind(int64_t{p.settings.app_token_privilege_ceiling ? 1 : 0});
  bind(int64_t{p.settings.app_token_show_once ? 1 : 0});
  bind(static_cast<int64_t>(p.settings.user_secret_setrole));
}

// Binds the parameters of KSGATE_UPDATE_PARTNER, in order, with `bind(value)`
// (std::optional<int64_t>, std::optional<std::string> or int64_t): an unset change binds null.
template <typename Bind>
void BindPartnerChanges(int64_t id, const PartnerChanges& c, int64_t now, Bind&& bind) {
  auto flag = [](std::optional<bool> b) -> std::optional<int64_t> {
    if (!b) return std::nullopt;
    return *b ? 1 : 0;
  };
  bind(c.name);
  bind(c.ks_version ? std::optional<int64_t>(*c.ks_version) : std::nullopt);
  bind(c.ks_max_expiry);
  bind(flag(c.app_token_privilege_ceiling));
  bind(flag(c.app_token_show_once));
  bind(c.user_secret_setrole ? std::optional<int64_t>(static_cast<int64_t>(*c.user_secret_setrole))
                             : std::nullopt);
  bind(now);
  bind(id);
}

// Binds `t`'s columns in KSGATE_TOKEN_COLUMNS order with `bind(value)` (int64_t,
// std::optional<int64_t>, std::optional<int>, std::string or std::optional<std::string>).
template <typename Bind>
void BindAppToken(const AppToken& t, Bind&& bind) {
  bind(t.id);
  bind(t.token);
  bind(t.partner_id);
  bind(t.created_at);
  bind(t.updated_at);
  bind(static_cast<int64_t>(t.status));
  bind(t.expiry);
  bind(t.session_type);
  bind(t.session_user_id);
  bind(t.session_duration);
  bind(t.session_privileges);
  bind(t.hash_type);
  bind(t.description);
  bind(t.previous_token);
  bind(t.previous_token_until);
  bind(t.sessions_revoked_before);
  bind(t.max_sessions);
  bind(t.allowed_cidrs);
  bind(t.exchanges_per_minute);
  bind(t.max_session_expiry);
}

// Binds `r`'s columns in KSGATE_ROLE_COLUMNS order, as BindAppToken.
template <typename Bind>
void BindUserRole(const UserRole& r, Bind&& bind) {
  bind(r.id);
  bind(r.partner_id);
  bind(r.name);
  bind(r.system_name);
  bind(r.description);
  bind(static_cast<int64_t>(r.status));
  bind(r.permission_names);
  bind(r.tags);
  bind(r.created_at);
  bind(r.updated_at);
}

// The id InsertUserRole assigns, given the highest id in user_roles (nullopt: none), deleted
// roles included: max(max_id + 1, kFirstUserRoleId).
int64_t NextUserRoleId(std::optional<int64_t> max_id);

// The Status of a statement that wrote `role`: a unique violation (the partial indexes on live
// names and system names) becomes a readable kAlreadyExists; anything else is passed through.
Status RoleWriteStatus(Status written, const UserRole& role);

// A value to bind to a placeholder of built SQL.
using Param = std::variant<int64_t, std::string>;

// Where the SQL of the two backends differs.
struct Dialect {
  // "$1, $2, ..." (PostgreSQL) rather than "?" (SQLite).
  bool numbered_placeholders;
  // A function f(haystack, needle) > 0 exactly when needle is a case-sensitive substring of
  // haystack, without wildcards; NULL haystack never matches.
  const char* contains;
  // Appended to a text column in ORDER BY so that it sorts byte-wise whatever the database's
  // collation.
  const char* byte_order;
  // The LIMIT value that means "no limit".
  const char* no_limit;
  // "INDEXED BY" is understood (SQLite), and needed where its planner, without statistics,
  // picks the worse of two indexes (AppTokenListSql).
  bool index_hints;
};
inline constexpr Dialect kSqliteDialect{false, "instr", "", "-1", true};
inline constexpr Dialect kPostgresDialect{true, "strpos", " COLLATE \"C\"", "ALL", false};

// The order column a list's marks hold besides seq: none (insertion order), or one.
enum class MarkKey { kSeq, kCreatedAt, kUpdatedAt };

// `count` placeholders for parameters first, first + 1, ...: "?, ?" or "$3, $4". count >= 1.
std::string Placeholders(const Dialect& dialect, int first, size_t count);

// A paged list: `count` counts the matches and takes `params`; `page` selects the matching rows
// in order, limited and offset, and takes `page_params` (the filter's values, then the paging
// values). The count is SELECT COUNT(*) over the matches, or, for an app token list filtered by
// status alone, the sum of the maintained counts (app_token_counts). Run them in one snapshot.
struct ListSql {
  std::string count;
  std::string page;
  std::vector<Param> params;
  std::vector<Param> page_params;
  int64_t limit = 0;   // <= 0: no limit
  int64_t offset = 0;  // >= 0

  // An app token list read in its order's index from the start may begin a deep page at a mark
  // (store/list_marks.h); for the others `marked_page` is empty. `marked_page` is `page` with
  // the mark's key as a bound in its subquery; it takes `marked_params`, with the mark's values
  // (from index `mark_at`: its seq for kSeq, else value, value, seq) and the offset past the
  // mark (the last) filled in by PageToRun. `changes` reads the partner's change count (its one
  // parameter, `changes_params`); `shape` names the list (its page text and filter values).
  std::string marked_page;
  std::vector<Param> marked_params;
  size_t mark_at = 0;
  MarkKey mark_key = MarkKey::kSeq;
  std::string changes;
  std::vector<Param> changes_params;
  std::string shape;
};

// Whether a page of `list` may start at a mark and leave marks: it has marked_page and its
// offset is at least ListMarks::kMinOffset. Such a page reads list.changes first, in its
// snapshot, and passes the count to PageToRun and ListMarks::Record.
bool PageUsesMarks(const ListSql& list);

// What a page of `list` runs: marked_page from the nearest mark `marks` has for the partner's
// `changes` at `now` (ListMarks' clock), or else `page`.
struct PageRun {
  const std::string* sql = nullptr;
  std::vector<Param> params;
};
PageRun PageToRun(const ListSql& list, const ListMarks& marks, std::optional<int64_t> changes,
                  int64_t now);

// The marks a page of app tokens read at list.offset leaves: its first and last rows, whose
// seqs are `seqs` (one per token). Empty for a list without marks or an offset below
// ListMarks::kMinOffset.
std::vector<ListMark> MarksOfPage(const ListSql& list, const std::vector<AppToken>& tokens,
                                  const std::vector<int64_t>& seqs);

// The total count when the page itself tells it, without running `count`: a page that is not
// empty and not full (fewer rows than the limit, or no limit) ends the matches, so they number
// offset + rows (Kaltura's list does the same, spec §2.5). nullopt otherwise.
std::optional<int64_t> TotalFromPage(const ListSql& list, size_t rows);

// ListAppTokens / ListUserRoles as SQL over app_tokens / user_roles (see store.h for the
// semantics); the page selects KSGATE_TOKEN_COLUMNS / KSGATE_ROLE_COLUMNS (an app token page
// then seq, column kTokenSeqColumn). nullopt when the
// query cannot match anything (an empty *_in list), so no SQL needs to run.
std::optional<ListSql> AppTokenListSql(const Dialect& dialect, int64_t partner_id,
                                       const AppTokenQuery& query);
std::optional<ListSql> UserRoleListSql(const Dialect& dialect, int64_t partner_id,
                                       const UserRoleQuery& query);

}  // namespace ksgate::store::sql
