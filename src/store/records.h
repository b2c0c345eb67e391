// Plain records stored by ksgate. No behaviour; see store.h for the operations.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ksgate::store {

// Kaltura Partner::status values.
enum class PartnerStatus : int { kActive = 1, kBlocked = 2 };

// Whether session.start with the partner's user secret may `setrole` a role that grants more
// than a user session's own role (BASE_USER_SESSION_ROLE). Kaltura allows it (kAllow);
// kDeny refuses such a session (docs/security.md).
enum class UserSecretSetRole : int { kAllow = 0, kDeny = 1 };

// A partner's ksgate settings (beyond Kaltura's partner fields). Every one is off by default,
// which is Kaltura's behaviour. Add a setting here, as a column of `partners` (both backends'
// migrations) and to sql_common's partner mapping.
struct PartnerSettings {
  // appToken.add/update/rotate refuse a token that would grant more than the caller's role
  // (services/app_token_service.h).
  bool app_token_privilege_ceiling = false;
  // The token value is returned by appToken.add and appToken.rotate only, never by get, list or
  // update.
  bool app_token_show_once = false;
  // session.start with the user secret may (kAllow) or may not (kDeny) setrole a role above a
  // user session's (services/session_service.h).
  UserSecretSetRole user_secret_setrole = UserSecretSetRole::kAllow;

  friend bool operator==(const PartnerSettings&, const PartnerSettings&) = default;
};

struct Partner {
  int64_t id = 0;
  std::string name;
  // Primary admin secret first; any of them verifies a KS, the first signs new ones.
  std::vector<std::string> admin_secrets;
  std::string secret;  // user secret: accepted by session.start for USER sessions only
  PartnerStatus status = PartnerStatus::kActive;
  int ks_version = 2;             // version of KSs this partner issues (1 or 2)
  int64_t ks_max_expiry = 86400;  // seconds; caps session.start expiry
  int64_t created_at = 0;
  int64_t updated_at = 0;
  PartnerSettings settings;
};

// Changes to a partner (Store::UpdatePartner): each set field replaces the stored one, unset
// ones stay as they are.
struct PartnerChanges {
  std::optional<std::string> name;
  std::optional<int> ks_version;
  std::optional<int64_t> ks_max_expiry;
  std::optional<bool> app_token_privilege_ceiling;
  std::optional<bool> app_token_show_once;
  std::optional<UserSecretSetRole> user_secret_setrole;
};

// Input to Store::CreatePartner. The store assigns id (1, 2, ...) and timestamps.
struct NewPartner {
  std::string name;
  std::vector<std::string> admin_secrets;  // at least one
  std::string secret;
  int ks_version = 2;
  int64_t ks_max_expiry = 86400;
};

// invalid_sessions.type (Kaltura invalidSession constants).
enum class RevocationType : int { kKsHash = 0, kSessionId = 1 };

// A revocation row. `key` is a lowercase 40-hex SHA1: a KS hash, or ks::SessionIdKey().
struct Revocation {
  std::string key;
  RevocationType type = RevocationType::kKsHash;
  // The key stops mattering after valid_until + 600 s; nullopt = forever.
  std::optional<int64_t> valid_until;
};

// Seconds a revocation outlives its valid_until (Kaltura's memcache TTL margin, §4.7).
inline constexpr int64_t kRevocationGraceSeconds = 600;

// KalturaAppTokenStatus.
enum class AppTokenStatus : int { kDisabled = 1, kActive = 2, kDeleted = 3 };

// Every KalturaAppToken field (spec §1.2). Optional fields are nullopt when null.
struct AppToken {
  std::string id;     // "0_" + 8 chars of [0-9a-z]
  std::string token;  // 32 lowercase hex
  int64_t partner_id = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  AppTokenStatus status = AppTokenStatus::kActive;
  std::optional<int64_t> expiry;  // absolute Unix seconds
  std::optional<int> session_type;
  std::optional<std::string> session_user_id;
  std::optional<int64_t> session_duration;
  std::optional<std::string> session_privileges;
  std::optional<std::string> hash_type;  // "SHA1", "MD5", "SHA256", "SHA512"
  std::optional<std::string> description;

  // ksgate's controls beyond Kaltura (docs/apptokens.md); null = not in force.
  // The value before the last rotation, which still starts sessions until
  // previous_token_until (absolute Unix seconds, exclusive). Both set or both null.
  std::optional<std::string> previous_token;
  std::optional<int64_t> previous_token_until;
  // KSs minted from this token whose issue time is before this (Unix seconds) are refused.
  std::optional<int64_t> sessions_revoked_before;
  // Exchange policy: how many sessions the token may ever start; the CIDR blocks (and single
  // addresses), comma-separated, an exchange must come from; how many exchanges a minute it
  // allows per node; the longest KS (seconds) an exchange gives, asked for or not.
  std::optional<int64_t> max_sessions;
  std::optional<std::string> allowed_cidrs;
  std::optional<int64_t> exchanges_per_minute;
  std::optional<int64_t> max_session_expiry;

  friend bool operator==(const AppToken&, const AppToken&) = default;
};

enum class AppTokenOrderField { kCreatedAt, kUpdatedAt };

struct AppTokenOrder {
  AppTokenOrderField field = AppTokenOrderField::kCreatedAt;
  bool ascending = true;
};

// KalturaAppTokenFilter + pager, already validated. Deleted tokens never match.
struct AppTokenQuery {
  std::optional<std::string> id_equal;
  std::optional<std::vector<std::string>> id_in;
  std::optional<int64_t> created_at_gte, created_at_lte;
  std::optional<int64_t> updated_at_gte, updated_at_lte;
  std::optional<int> status_equal;
  std::optional<std::vector<int>> status_in;
  std::optional<std::string> session_user_id_equal;
  std::vector<AppTokenOrder> order_by;  // empty: store order (by creation)
  int64_t limit = 30;                   // 0 = no limit
  int64_t offset = 0;
};

struct AppTokenPage {
  std::vector<AppToken> objects;
  int64_t total_count = 0;  // matches ignoring limit/offset
};

// KalturaUserRoleStatus.
enum class UserRoleStatus : int { kActive = 1, kBlocked = 2, kDeleted = 3 };

// Ids below this are reserved for the built-in roles (services/permissions); the store assigns
// ids from here up.
inline constexpr int64_t kFirstUserRoleId = 100;

// A partner's user role (KalturaUserRole): a named set of permissions.
struct UserRole {
  int64_t id = 0;  // assigned by the store on insert
  int64_t partner_id = 0;
  std::string name;
  std::string system_name;  // "" when not set; unique among a partner's non-deleted roles
  std::optional<std::string> description;
  UserRoleStatus status = UserRoleStatus::kActive;
  std::string permission_names;     // CSV of permission names as given; "*" = every permission
  std::optional<std::string> tags;  // CSV
  int64_t created_at = 0;
  int64_t updated_at = 0;

  friend bool operator==(const UserRole&, const UserRole&) = default;
};

enum class UserRoleOrderField { kId, kName, kCreatedAt, kUpdatedAt };

struct UserRoleOrder {
  UserRoleOrderField field = UserRoleOrderField::kId;
  bool ascending = true;
};

// KalturaUserRoleFilter + pager, already validated. Deleted roles never match.
struct UserRoleQuery {
  std::optional<int64_t> id_equal;
  std::optional<std::vector<int64_t>> id_in;
  std::optional<std::string> name_equal;
  std::optional<std::vector<std::string>> name_in;
  std::optional<std::string> system_name_equal;
  std::optional<std::vector<std::string>> system_name_in;
  std::optional<std::string> description_like;  // substring, case-sensitive
  std::optional<int> status_equal;
  std::optional<std::vector<int>> status_in;
  // Each word must (and) / any word may (or) occur as a case-sensitive substring of tags; see
  // Store::ListUserRoles for empty lists and null tags.
  std::optional<std::vector<std::string>> tags_multi_like_or;
  std::optional<std::vector<std::string>> tags_multi_like_and;
  std::optional<int64_t> created_at_gte, created_at_lte;
  std::optional<int64_t> updated_at_gte, updated_at_lte;
  std::vector<UserRoleOrder> order_by;  // empty: by id
  int64_t limit = 30;                   // <= 0: no limit
  int64_t offset = 0;
};

struct UserRolePage {
  std::vector<UserRole> objects;
  int64_t total_count = 0;
};

// How much an app token has been used: appToken.startSession successes.
struct AppTokenUsage {
  std::string token_id;
  int64_t partner_id = 0;
  int64_t sessions_started = 0;
  int64_t last_session_at = 0;  // Unix seconds

  friend bool operator==(const AppTokenUsage&, const AppTokenUsage&) = default;
};

// A cut-off: every KS whose issue time is before `issued_before` (Unix seconds) and which `key`
// covers is refused. Keys are services' business (services/session_cutoff.h: one per user).
struct SessionCutoff {
  std::string key;
  int64_t issued_before = 0;
};

// The outcome of counting one use of a KS that carries actionslimit:N (spec §4.6).
enum class ActionsLimitState {
  kAllowed,   // this use is within the limit
  kExceeded,  // the KS has used up its actions
  kRevoked,   // the KS hash was revoked (a row without an actions limit)
};

}  // namespace ksgate::store
