#include "store/memory_store.h"

#include <algorithm>
#include <functional>
#include <mutex>

#include "store/validate.h"

namespace ksgate::store {
namespace {

bool Matches(const AppToken& t, const AppTokenQuery& q) {
  if (t.status == AppTokenStatus::kDeleted) return false;
  if (q.id_equal && t.id != *q.id_equal) return false;
  if (q.id_in && std::find(q.id_in->begin(), q.id_in->end(), t.id) == q.id_in->end()) {
    return false;
  }
  if (q.created_at_gte && t.created_at < *q.created_at_gte) return false;
  if (q.created_at_lte && t.created_at > *q.created_at_lte) return false;
  if (q.updated_at_gte && t.updated_at < *q.updated_at_gte) return false;
  if (q.updated_at_lte && t.updated_at > *q.updated_at_lte) return false;
  const int status = static_cast<int>(t.status);
  if (q.status_equal && status != *q.status_equal) return false;
  if (q.status_in &&
      std::find(q.status_in->begin(), q.status_in->end(), status) == q.status_in->end()) {
    return false;
  }
  if (q.session_user_id_equal && t.session_user_id != q.session_user_id_equal) return false;
  return true;
}

// Strict weak order over `order_by`; ties keep insertion order because the sort is stable.
bool OrderedBefore(const AppToken& a, const AppToken& b, const std::vector<AppTokenOrder>& by) {
  for (const AppTokenOrder& o : by) {
    const int64_t x = o.field == AppTokenOrderField::kCreatedAt ? a.created_at : a.updated_at;
    const int64_t y = o.field == AppTokenOrderField::kCreatedAt ? b.created_at : b.updated_at;
    if (x != y) return o.ascending ? x < y : x > y;
  }
  return false;
}

template <typename T>
bool Contains(const std::vector<T>& values, const T& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool HasSubstring(const std::optional<std::string>& text, const std::string& word) {
  return text && text->find(word) != std::string::npos;
}

bool Matches(const UserRole& r, const UserRoleQuery& q) {
  if (r.status == UserRoleStatus::kDeleted) return false;
  if (q.id_equal && r.id != *q.id_equal) return false;
  if (q.id_in && !Contains(*q.id_in, r.id)) return false;
  if (q.name_equal && r.name != *q.name_equal) return false;
  if (q.name_in && !Contains(*q.name_in, r.name)) return false;
  if (q.system_name_equal && r.system_name != *q.system_name_equal) return false;
  if (q.system_name_in && !Contains(*q.system_name_in, r.system_name)) return false;
  if (q.description_like && !HasSubstring(r.description, *q.description_like)) return false;
  const int status = static_cast<int>(r.status);
  if (q.status_equal && status != *q.status_equal) return false;
  if (q.status_in && !Contains(*q.status_in, status)) return false;
  if (q.tags_multi_like_or &&
      std::none_of(q.tags_multi_like_or->begin(), q.tags_multi_like_or->end(),
                   [&](const std::string& word) { return HasSubstring(r.tags, word); })) {
    return false;
  }
  if (q.tags_multi_like_and &&
      !std::all_of(q.tags_multi_like_and->begin(), q.tags_multi_like_and->end(),
                   [&](const std::string& word) { return HasSubstring(r.tags, word); })) {
    return false;
  }
  if (q.created_at_gte && r.created_at < *q.created_at_gte) return false;
  if (q.created_at_lte && r.created_at > *q.created_at_lte) return false;
  if (q.updated_at_gte && r.updated_at < *q.updated_at_gte) return false;
  if (q.updated_at_lte && r.updated_at > *q.updated_at_lte) return false;
  return true;
}

// -1, 0 or 1 as a is before, tied with or after b on `field` ascending.
int Compare(const UserRole& a, const UserRole& b, UserRoleOrderField field) {
  auto three_way = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (field) {
    case UserRoleOrderField::kId:
      return three_way(a.id, b.id);
    case UserRoleOrderField::kName:
      return three_way(a.name, b.name);  // std::string compares bytes as unsigned, like SQLite
    case UserRoleOrderField::kCreatedAt:
      return three_way(a.created_at, b.created_at);
    case UserRoleOrderField::kUpdatedAt:
      return three_way(a.updated_at, b.updated_at);
  }
  return 0;
}

// Strict weak order over `order_by`, then by id.
bool OrderedBefore(const UserRole& a, const UserRole& b, const std::vector<UserRoleOrder>& by) {
  for (const UserRoleOrder& o : by) {
    const int c = Compare(a, b, o.field);
    if (c != 0) return o.ascending ? c < 0 : c > 0;
  }
  return a.id < b.id;
}

// The [begin, end) slice of `size` matches that offset/limit select (as ListAppTokens).
std::pair<size_t, size_t> PageBounds(size_t size, int64_t offset, int64_t limit) {
  const size_t begin =
      static_cast<size_t>(std::clamp<int64_t>(offset, 0, static_cast<int64_t>(size)));
  size_t end = size;
  if (limit > 0 && static_cast<uint64_t>(limit) < size - begin) {
    end = begin + static_cast<size_t>(limit);
  }
  return {begin, end};
}

// The page `query` selects of `matches` (every match, in the store's order), and their count.
// The matches are sorted as pointers (the caller holding the store's lock) and only the page's
// rows copied: a token is a dozen strings, and copying and moving each of a partner's
// thousands of tokens for every page was most of a list's time.
template <typename Page, typename Row, typename Query>
Page PageOf(std::vector<const Row*> matches, const Query& query) {
  // Stable: rows the order does not tell apart keep the store's order (insertion, or id).
  std::stable_sort(matches.begin(), matches.end(), [&](const Row* a, const Row* b) {
    return OrderedBefore(*a, *b, query.order_by);
  });
  Page page;
  page.total_count = static_cast<int64_t>(matches.size());
  const auto [begin, end] = PageBounds(matches.size(), query.offset, query.limit);
  page.objects.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) page.objects.push_back(*matches[i]);
  return page;
}

}  // namespace

Result<int> MemoryStore::Migrate() { return 0; }

// --- Partners --------------------------------------------------------------------------------

Result<Partner> MemoryStore::CreatePartner(const NewPartner& partner, int64_t now) {
  KSGATE_ASSIGN_OR_RETURN(Partner p, NewPartnerRecord(partner, now));
  std::unique_lock lock(mu_);
  p.id = partners_.empty() ? 1 : partners_.rbegin()->first + 1;
  partners_.emplace(p.id, p);
  return p;
}

Result<Partner> MemoryStore::GetPartner(int64_t id) const {
  std::shared_lock lock(mu_);
  auto it = partners_.find(id);
  if (it == partners_.end()) return NotFoundError("partner " + std::to_string(id));
  return it->second;
}

Result<std::vector<Partner>> MemoryStore::ListPartners() const {
  std::shared_lock lock(mu_);
  std::vector<Partner> out;
  out.reserve(partners_.size());
  for (const auto& [id, p] : partners_) out.push_back(p);
  return out;
}

Status MemoryStore::ChangePartner(int64_t id, int64_t now,
                                  const std::function<void(Partner&)>& change) {
  std::unique_lock lock(mu_);
  auto it = partners_.find(id);
  if (it == partners_.end()) return NotFoundError("partner " + std::to_string(id));
  change(it->second);
  it->second.updated_at = now;
  return Status::Ok();
}

Status MemoryStore::SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) {
  return ChangePartner(id, now, [&](Partner& p) { p.status = status; });
}

Status MemoryStore::SetPartnerAdminSecrets(int64_t id,
                                           const std::vector<std::string>& admin_secrets,
                                           int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateAdminSecrets(admin_secrets));
  return ChangePartner(id, now, [&](Partner& p) { p.admin_secrets = admin_secrets; });
}

Status MemoryStore::SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) {
  return ChangePartner(id, now, [&](Partner& p) { p.settings = settings; });
}

Result<Partner> MemoryStore::UpdatePartner(int64_t id, const PartnerChanges& changes, int64_t now) {
  std::unique_lock lock(mu_);
  auto it = partners_.find(id);
  if (it == partners_.end()) return NotFoundError("partner " + std::to_string(id));
  Partner& p = it->second;
  if (changes.name) p.name = *changes.name;
  if (changes.ks_version) p.ks_version = *changes.ks_version;
  if (changes.ks_max_expiry) p.ks_max_expiry = *changes.ks_max_expiry;
  if (changes.app_token_privilege_ceiling) {
    p.settings.app_token_privilege_ceiling = *changes.app_token_privilege_ceiling;
  }
  if (changes.app_token_show_once) p.settings.app_token_show_once = *changes.app_token_show_once;
  if (changes.user_secret_setrole) p.settings.user_secret_setrole = *changes.user_secret_setrole;
  p.updated_at = now;
  return p;
}

// --- Revocation ------------------------------------------------------------------------------

void MemoryStore::RevokeLocked(const Revocation& revocation, int64_t now) {
  auto [it, inserted] =
      revocations_.try_emplace(RevocationKey(revocation.key, revocation.type), RevocationRow{});
  if (inserted) it->second.created_at = now;
  it->second.valid_until = revocation.valid_until;
  it->second.actions_limit.reset();
}

Status MemoryStore::Revoke(const Revocation& revocation, int64_t now) {
  std::unique_lock lock(mu_);
  RevokeLocked(revocation, now);
  return Status::Ok();
}

Result<bool> MemoryStore::IsRevoked(std::span<const std::string> keys, int64_t now) const {
  std::shared_lock lock(mu_);
  for (const std::string& key : keys) {
    // Rows are ordered by (key, type): walk every type recorded for this key.
    for (auto it = revocations_.lower_bound(RevocationKey(key, RevocationType{0}));
         it != revocations_.end() && it->first.first == key; ++it) {
      const RevocationRow& row = it->second;
      if (row.actions_limit) continue;
      if (!row.valid_until || *row.valid_until + kRevocationGraceSeconds > now) return true;
    }
  }
  return false;
}

Status MemoryStore::SetSessionCutoff(const SessionCutoff& cutoff, int64_t /*now*/) {
  KSGATE_RETURN_IF_ERROR(ValidateSessionCutoff(cutoff));
  std::unique_lock lock(mu_);
  auto [it, inserted] = cutoffs_.try_emplace(cutoff.key, cutoff.issued_before);
  if (!inserted) it->second = std::max(it->second, cutoff.issued_before);
  return Status::Ok();
}

Result<int64_t> MemoryStore::GetSessionCutoff(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = cutoffs_.find(key);
  return it == cutoffs_.end() ? 0 : it->second;
}

void MemoryStore::SetActionsLimitForTesting(const Revocation& revocation, int64_t actions_limit,
                                            int64_t now) {
  std::unique_lock lock(mu_);
  RevocationRow& row = revocations_[RevocationKey(revocation.key, revocation.type)];
  row.valid_until = revocation.valid_until;
  row.actions_limit = actions_limit;
  row.created_at = now;
}

// --- App tokens ------------------------------------------------------------------------------

AppToken* MemoryStore::FindLiveToken(int64_t partner_id, std::string_view id) {
  auto it = token_index_.find(std::string(id));
  if (it == token_index_.end()) return nullptr;
  AppToken& t = tokens_[it->second];
  if (t.partner_id != partner_id || t.status == AppTokenStatus::kDeleted) return nullptr;
  return &t;
}

const AppToken* MemoryStore::FindLiveToken(int64_t partner_id, std::string_view id) const {
  return const_cast<MemoryStore*>(this)->FindLiveToken(partner_id, id);
}

Status MemoryStore::InsertAppToken(const AppToken& token) {
  std::unique_lock lock(mu_);
  if (!partners_.contains(token.partner_id)) {
    return NotFoundError("partner " + std::to_string(token.partner_id));
  }
  auto [it, inserted] = token_index_.try_emplace(token.id, tokens_.size());
  if (!inserted) return AlreadyExistsError("app token id " + token.id + " is taken");
  tokens_.push_back(token);
  return Status::Ok();
}

Result<AppToken> MemoryStore::GetAppToken(int64_t partner_id, std::string_view id) const {
  std::shared_lock lock(mu_);
  const AppToken* t = FindLiveToken(partner_id, id);
  if (t == nullptr) return NotFoundError("app token " + std::string(id));
  return *t;
}

Status MemoryStore::UpdateAppToken(const AppToken& expected, const AppToken& updated) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUpdate(expected, updated));
  std::unique_lock lock(mu_);
  AppToken* t = FindLiveToken(updated.partner_id, updated.id);
  if (t == nullptr) return NotFoundError("app token " + updated.id);
  if (*t != expected) return AbortedError("app token " + updated.id + " changed concurrently");
  *t = updated;
  return Status::Ok();
}

Status MemoryStore::DeleteAppToken(int64_t partner_id, std::string_view id,
                                   const Revocation& revocation, int64_t now) {
  std::unique_lock lock(mu_);
  AppToken* t = FindLiveToken(partner_id, id);
  if (t == nullptr) return NotFoundError("app token " + std::string(id));
  RevokeLocked(revocation, now);
  t->status = AppTokenStatus::kDeleted;
  t->updated_at = now;
  return Status::Ok();
}

Result<AppTokenPage> MemoryStore::ListAppTokens(int64_t partner_id,
                                                const AppTokenQuery& query) const {
  std::shared_lock lock(mu_);
  std::vector<const AppToken*> matches;
  for (const AppToken& t : tokens_) {
    if (t.partner_id == partner_id && Matches(t, query)) matches.push_back(&t);
  }
  return PageOf<AppTokenPage>(std::move(matches), query);
}

// --- User roles ------------------------------------------------------------------------------

UserRole* MemoryStore::FindLiveRole(int64_t partner_id, int64_t id) {
  auto it = user_roles_.find(id);
  if (it == user_roles_.end()) return nullptr;
  UserRole& r = it->second;
  if (r.partner_id != partner_id || r.status == UserRoleStatus::kDeleted) return nullptr;
  return &r;
}

const UserRole* MemoryStore::FindLiveRole(int64_t partner_id, int64_t id) const {
  return const_cast<MemoryStore*>(this)->FindLiveRole(partner_id, id);
}

const UserRole* MemoryStore::FindLiveRoleByName(int64_t partner_id, std::string_view name,
                                                int64_t except_id) const {
  for (const auto& [id, r] : user_roles_) {
    if (id != except_id && r.partner_id == partner_id && r.status != UserRoleStatus::kDeleted &&
        r.name == name) {
      return &r;
    }
  }
  return nullptr;
}

const UserRole* MemoryStore::FindLiveRoleBySystemName(int64_t partner_id,
                                                      std::string_view system_name,
                                                      int64_t except_id) const {
  if (system_name.empty()) return nullptr;
  for (const auto& [id, r] : user_roles_) {
    if (id != except_id && r.partner_id == partner_id && r.status != UserRoleStatus::kDeleted &&
        r.system_name == system_name) {
      return &r;
    }
  }
  return nullptr;
}

Result<UserRole> MemoryStore::InsertUserRole(const UserRole& role) {
  KSGATE_RETURN_IF_ERROR(ValidateNewUserRole(role));
  std::unique_lock lock(mu_);
  if (!partners_.contains(role.partner_id)) {
    return NotFoundError("partner " + std::to_string(role.partner_id));
  }
  if (FindLiveRoleBySystemName(role.partner_id, role.system_name) != nullptr) {
    return AlreadyExistsError("user role system name " + role.system_name + " is taken");
  }
  if (role.status != UserRoleStatus::kDeleted &&
      FindLiveRoleByName(role.partner_id, role.name) != nullptr) {
    return AlreadyExistsError("user role name " + role.name + " is taken");
  }
  UserRole stored = role;
  stored.id = user_roles_.empty() ? kFirstUserRoleId
                                  : std::max(user_roles_.rbegin()->first + 1, kFirstUserRoleId);
  user_roles_.emplace(stored.id, stored);
  return stored;
}

Result<UserRole> MemoryStore::GetUserRole(int64_t partner_id, int64_t id) const {
  std::shared_lock lock(mu_);
  const UserRole* r = FindLiveRole(partner_id, id);
  if (r == nullptr) return NotFoundError("user role " + std::to_string(id));
  return *r;
}

Result<UserRole> MemoryStore::FindUserRoleBySystemName(int64_t partner_id,
                                                       std::string_view system_name) const {
  std::shared_lock lock(mu_);
  const UserRole* r = FindLiveRoleBySystemName(partner_id, system_name);
  if (r == nullptr) return NotFoundError("user role " + std::string(system_name));
  return *r;
}

Status MemoryStore::UpdateUserRole(const UserRole& expected, const UserRole& updated) {
  KSGATE_RETURN_IF_ERROR(ValidateUserRoleUpdate(expected, updated));
  std::unique_lock lock(mu_);
  UserRole* r = FindLiveRole(updated.partner_id, updated.id);
  if (r == nullptr) return NotFoundError("user role " + std::to_string(updated.id));
  if (*r != expected) {
    return AbortedError("user role " + std::to_string(updated.id) + " changed concurrently");
  }
  if (updated.status != UserRoleStatus::kDeleted &&
      FindLiveRoleBySystemName(updated.partner_id, updated.system_name, updated.id) != nullptr) {
    return AlreadyExistsError("user role system name " + updated.system_name + " is taken");
  }
  if (updated.status != UserRoleStatus::kDeleted &&
      FindLiveRoleByName(updated.partner_id, updated.name, updated.id) != nullptr) {
    return AlreadyExistsError("user role name " + updated.name + " is taken");
  }
  *r = updated;
  return Status::Ok();
}

Result<UserRolePage> MemoryStore::ListUserRoles(int64_t partner_id,
                                                const UserRoleQuery& query) const {
  std::shared_lock lock(mu_);
  std::vector<const UserRole*> matches;
  for (const auto& [id, r] : user_roles_) {
    if (r.partner_id == partner_id && Matches(r, query)) matches.push_back(&r);
  }
  return PageOf<UserRolePage>(std::move(matches), query);
}

// --- Actions limit ---------------------------------------------------------------------------

Result<ActionsLimitState> MemoryStore::ConsumeAction(std::string_view ks_hash, int64_t limit,
                                                     std::optional<int64_t> valid_until,
                                                     int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateActionsLimit(limit));
  std::unique_lock lock(mu_);
  auto [it, inserted] = revocations_.try_emplace(
      RevocationKey(std::string(ks_hash), RevocationType::kKsHash), RevocationRow{});
  RevocationRow& row = it->second;
  if (inserted) {
    row.valid_until = valid_until;
    row.actions_limit = limit - 1;
    row.created_at = now;
    return ActionsLimitState::kAllowed;
  }
  if (!row.actions_limit) return ActionsLimitState::kRevoked;
  if (*row.actions_limit <= 0) return ActionsLimitState::kExceeded;
  --*row.actions_limit;
  return ActionsLimitState::kAllowed;
}

Result<bool> MemoryStore::ClaimAppTokenSession(int64_t /*partner_id*/, std::string_view token_id,
                                               int64_t max_sessions) {
  KSGATE_RETURN_IF_ERROR(ValidateSessionClaim(token_id, max_sessions));
  std::unique_lock lock(mu_);
  auto it = session_counts_.find(token_id);
  const int64_t counted = it == session_counts_.end() ? 0 : it->second;
  if (counted >= max_sessions) return false;
  if (it == session_counts_.end()) {
    session_counts_.emplace(std::string(token_id), 1);
  } else {
    ++it->second;
  }
  return true;
}

Status MemoryStore::AddAppTokenUsage(std::span<const AppTokenUsage> usage) {
  KSGATE_RETURN_IF_ERROR(ValidateAppTokenUsage(usage));
  std::unique_lock lock(mu_);
  for (const AppTokenUsage& u : usage) {
    auto [it, inserted] = usage_.try_emplace(u.token_id, u);
    if (inserted) continue;
    it->second.sessions_started += u.sessions_started;
    it->second.last_session_at = std::max(it->second.last_session_at, u.last_session_at);
  }
  return Status::Ok();
}

Result<std::vector<AppTokenUsage>> MemoryStore::ListAppTokenUsage(int64_t partner_id) const {
  std::shared_lock lock(mu_);
  std::vector<AppTokenUsage> out;
  for (const auto& [id, u] : usage_) {
    if (u.partner_id == partner_id) out.push_back(u);
  }
  return out;
}

}  // namespace ksgate::store
