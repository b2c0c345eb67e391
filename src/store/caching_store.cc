#include "store/caching_store.h"

#include <algorithm>
#include <mutex>
#include <random>
#include <vector>

#include "store/blocking.h"

namespace ksgate::store {

// One cached method: key -> (value, when it was read). Reads that raced with an invalidation
// are not stored (a generation counter), so an entry never predates the last write through
// this object that concerned it.
template <typename V>
class CachingStore::Cache {
 public:
  Cache(const Clock& clock, const CacheOptions& options, const CachingStore& owner)
      : clock_(clock), options_(options), owner_(owner) {}

  // The cached value of `key`, or nullopt when absent, older than the TTL, or when the cache
  // cannot be trusted now (CachingStore::Fresh).
  std::optional<V> Get(const std::string& key) const {
    // Inside a writer's batch the backend's answer may be uncommitted: no cache either way.
    if (!owner_.Fresh() || InsideUncommittedBatch()) return std::nullopt;
    std::shared_lock lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    const int64_t age = clock_.NowCoarseMicros() - it->second.read_at;
    if (age < 0 || age >= ttl_micros()) return std::nullopt;
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second.value;
  }

  // Counts a read that goes to the backend (a miss; not counted when refused inline, since the
  // call runs again where it may wait).
  void NoteMiss() const { misses_.fetch_add(1, std::memory_order_relaxed); }
  CacheStats stats() const {
    return {hits_.load(std::memory_order_relaxed), misses_.load(std::memory_order_relaxed)};
  }

  // Call before reading the backend; pass the result to Put.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  void Put(const std::string& key, V value, uint64_t generation_before_read) {
    if (ttl_micros() <= 0 || InsideUncommittedBatch()) return;
    std::unique_lock lock(mu_);
    if (generation_.load(std::memory_order_acquire) != generation_before_read) return;
    if (entries_.size() >= std::max<size_t>(options_.max_entries, 1) && !entries_.contains(key)) {
      EvictOne();
    }
    entries_.insert_or_assign(key, Entry{std::move(value), clock_.NowCoarseMicros()});
  }

  size_t size() const {
    std::shared_lock lock(mu_);
    return entries_.size();
  }

  // Inside a writer's batch the erasure is made once more when the batch ended: a reader that
  // read the committed row meanwhile must not leave it cached after the commit.
  void Erase(const std::string& key) {
    EraseNow(key);
    if (InsideUncommittedBatch()) AfterBatch([this, key](bool) { EraseNow(key); });
  }

  void Clear() {
    ClearNow();
    if (InsideUncommittedBatch()) AfterBatch([this](bool) { ClearNow(); });
  }

 private:
  struct Entry {
    V value;
    int64_t read_at;
  };
  void EraseNow(const std::string& key) {
    std::unique_lock lock(mu_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    entries_.erase(key);
  }

  void ClearNow() {
    std::unique_lock lock(mu_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    entries_.clear();
  }

  // Drops an entry chosen at random (the first of a random non-empty bucket): cheap, needs no
  // bookkeeping per read, and keeps a hot set that outgrows the bound mostly cached. Under mu_
  // held exclusively; the cache is not empty.
  void EvictOne() {
    const size_t buckets = entries_.bucket_count();
    size_t b = random_() % buckets;
    while (entries_.bucket_size(b) == 0) b = (b + 1) % buckets;
    const std::string victim = entries_.begin(b)->first;
    entries_.erase(victim);
  }

  int64_t ttl_micros() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(options_.ttl).count();
  }

  const Clock& clock_;
  const CacheOptions& options_;
  const CachingStore& owner_;
  mutable std::shared_mutex mu_;
  std::atomic<uint64_t> generation_{0};
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
  std::unordered_map<std::string, Entry> entries_;
  std::minstd_rand random_;  // picks eviction victims; under mu_
};

namespace {

std::string PartnerKey(int64_t id) { return std::to_string(id); }

std::string TokenKey(int64_t partner_id, std::string_view id) {
  std::string key = std::to_string(partner_id);
  key += '/';
  key.append(id);
  return key;
}

std::string RoleIdKey(int64_t partner_id, int64_t id) {
  return std::to_string(partner_id) + "#" + std::to_string(id);
}

std::string RoleNameKey(int64_t partner_id, std::string_view system_name) {
  std::string key = std::to_string(partner_id);
  key += '$';
  key.append(system_name);
  return key;
}

// Only definite answers are cached: a value or kNotFound, never a transient failure.
template <typename T>
bool Cacheable(const Result<T>& r) {
  return r.ok() || r.error().code() == StatusCode::kNotFound;
}

}  // namespace

CachingStore::CachingStore(std::unique_ptr<Store> backend, const Clock& clock, CacheOptions options)
    : backend_(std::move(backend)),
      clock_(clock),
      options_(options),
      partners_(
          std::make_unique<Cache<Result<std::shared_ptr<const Partner>>>>(clock_, options_, *this)),
      tokens_(std::make_unique<Cache<Result<std::shared_ptr<const AppToken>>>>(clock_, options_,
                                                                               *this)),
      roles_(std::make_unique<Cache<Result<UserRole>>>(clock_, options_, *this)),
      revoked_(std::make_unique<Cache<RevokedAt>>(clock_, options_, *this)),
      cutoffs_(std::make_unique<Cache<Result<int64_t>>>(clock_, options_, *this)) {}

CachingStore::~CachingStore() = default;

void CachingStore::Apply(const Change& change) {
  switch (change.kind) {
    case Change::Kind::kPartner:
      partners_->Erase(PartnerKey(change.partner_id));
      break;
    case Change::Kind::kAppToken:
      tokens_->Erase(TokenKey(change.partner_id, change.id));
      break;
    case Change::Kind::kUserRole:
      roles_->Clear();  // cached by id and by system name
      break;
    case Change::Kind::kRevocation:  // a revocation row, or a session cut-off: the same keys
      revoked_->Erase(change.id);
      cutoffs_->Erase(change.id);
      break;
  }
}

void CachingStore::SetFreshnessBound(std::chrono::milliseconds bound) {
  options_.freshness_bound = bound;
}

void CachingStore::InvalidateAll() {
  partners_->Clear();
  tokens_->Clear();
  roles_->Clear();
  revoked_->Clear();
  cutoffs_->Clear();
}

void CachingStore::ConfirmFresh(int64_t as_of_micros) {
  int64_t previous = confirmed_at_micros_.load(std::memory_order_relaxed);
  while (previous < as_of_micros && !confirmed_at_micros_.compare_exchange_weak(
                                        previous, as_of_micros, std::memory_order_release)) {
  }
}

std::string_view CacheKindName(CacheKind kind) {
  switch (kind) {
    case CacheKind::kPartner:
      return "partner";
    case CacheKind::kAppToken:
      return "app_token";
    case CacheKind::kUserRole:
      return "user_role";
    case CacheKind::kRevocation:
      return "revocation";
    case CacheKind::kSessionCutoff:
      return "session_cutoff";
  }
  return "?";
}

size_t CachingStore::Size(CacheKind kind) const {
  switch (kind) {
    case CacheKind::kPartner:
      return partners_->size();
    case CacheKind::kAppToken:
      return tokens_->size();
    case CacheKind::kUserRole:
      return roles_->size();
    case CacheKind::kRevocation:
      return revoked_->size();
    case CacheKind::kSessionCutoff:
      return cutoffs_->size();
  }
  return 0;
}

CacheStats CachingStore::Stats(CacheKind kind) const {
  switch (kind) {
    case CacheKind::kPartner:
      return partners_->stats();
    case CacheKind::kAppToken:
      return tokens_->stats();
    case CacheKind::kUserRole:
      return roles_->stats();
    case CacheKind::kRevocation:
      return revoked_->stats();
    case CacheKind::kSessionCutoff:
      return cutoffs_->stats();
  }
  return {};
}

bool CachingStore::Fresh() const {
  if (options_.freshness_bound.count() <= 0) return true;
  const int64_t age =
      clock_.NowCoarseMicros() - confirmed_at_micros_.load(std::memory_order_acquire);
  return age <=
         std::chrono::duration_cast<std::chrono::microseconds>(options_.freshness_bound).count();
}

Result<int> CachingStore::Migrate() {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  return backend_->Migrate();
}

// --- Partners ---------------------------------------------------------------------------------

Result<Partner> CachingStore::CreatePartner(const NewPartner& partner, int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Result<Partner> created = backend_->CreatePartner(partner, now);
  if (created.ok()) partners_->Erase(PartnerKey(created->id));  // drop a cached "not found"
  return created;
}

Result<Partner> CachingStore::GetPartner(int64_t id) const {
  Result<std::shared_ptr<const Partner>> shared = GetSharedPartner(id);
  if (!shared.ok()) return shared.error();
  return **shared;
}

Result<std::shared_ptr<const Partner>> CachingStore::GetSharedPartner(int64_t id) const {
  const std::string key = PartnerKey(id);
  if (auto hit = partners_->Get(key)) return *std::move(hit);
  const uint64_t generation = partners_->generation();
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  partners_->NoteMiss();
  Result<std::shared_ptr<const Partner>> read = backend_->GetSharedPartner(id);
  if (Cacheable(read)) partners_->Put(key, read, generation);
  return read;
}

Result<std::vector<Partner>> CachingStore::ListPartners() const {
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  return backend_->ListPartners();
}

Status CachingStore::SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->SetPartnerStatus(id, status, now);
  partners_->Erase(PartnerKey(id));
  return s;
}

Status CachingStore::SetPartnerAdminSecrets(int64_t id,
                                            const std::vector<std::string>& admin_secrets,
                                            int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->SetPartnerAdminSecrets(id, admin_secrets, now);
  partners_->Erase(PartnerKey(id));
  return s;
}

Status CachingStore::SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->SetPartnerSettings(id, settings, now);
  partners_->Erase(PartnerKey(id));
  return s;
}

Result<Partner> CachingStore::UpdatePartner(int64_t id, const PartnerChanges& changes,
                                            int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Result<Partner> updated = backend_->UpdatePartner(id, changes, now);
  partners_->Erase(PartnerKey(id));
  return updated;
}

// --- Revocation -------------------------------------------------------------------------------

Status CachingStore::Revoke(const Revocation& revocation, int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->Revoke(revocation, now);
  revoked_->Erase(revocation.key);
  return s;
}

Result<bool> CachingStore::IsRevoked(std::span<const std::string> keys, int64_t now) const {
  // Per key, so that a KS hash and its session id are cached independently.
  bool any = false;
  for (const std::string& key : keys) {
    // "Not revoked" stays true as time passes (only a write, which drops the entry, revokes);
    // "revoked" may end with time, so it serves only the same `now`.
    if (std::optional<RevokedAt> hit = revoked_->Get(key);
        hit && (!hit->revoked || hit->now == now)) {
      any = any || hit->revoked;
      continue;
    }
    if (InInlineScope()) return RefuseToBlock(Access::kRead);
    const uint64_t generation = revoked_->generation();
    revoked_->NoteMiss();
    Result<bool> read = backend_->IsRevoked(std::span<const std::string>(&key, 1), now);
    if (!read.ok()) return read;
    revoked_->Put(key, RevokedAt{*read, now}, generation);
    any = any || *read;
  }
  return any;
}

Status CachingStore::SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->SetSessionCutoff(cutoff, now);
  cutoffs_->Erase(cutoff.key);
  return s;
}

Result<int64_t> CachingStore::GetSessionCutoff(std::string_view key) const {
  const std::string cache_key(key);
  if (std::optional<Result<int64_t>> hit = cutoffs_->Get(cache_key)) return *std::move(hit);
  const uint64_t generation = cutoffs_->generation();
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  cutoffs_->NoteMiss();
  Result<int64_t> read = backend_->GetSessionCutoff(key);
  if (read.ok()) cutoffs_->Put(cache_key, read, generation);
  return read;
}

// --- App tokens -------------------------------------------------------------------------------

Status CachingStore::InsertAppToken(const AppToken& token) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->InsertAppToken(token);
  tokens_->Erase(TokenKey(token.partner_id, token.id));
  return s;
}

Result<AppToken> CachingStore::GetAppToken(int64_t partner_id, std::string_view id) const {
  Result<std::shared_ptr<const AppToken>> shared = GetSharedAppToken(partner_id, id);
  if (!shared.ok()) return shared.error();
  return **shared;
}

Result<std::shared_ptr<const AppToken>> CachingStore::GetSharedAppToken(int64_t partner_id,
                                                                        std::string_view id) const {
  const std::string key = TokenKey(partner_id, id);
  if (auto hit = tokens_->Get(key)) return *std::move(hit);
  const uint64_t generation = tokens_->generation();
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  tokens_->NoteMiss();
  Result<std::shared_ptr<const AppToken>> read = backend_->GetSharedAppToken(partner_id, id);
  if (Cacheable(read)) tokens_->Put(key, read, generation);
  return read;
}

Status CachingStore::UpdateAppToken(const AppToken& expected, const AppToken& updated) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->UpdateAppToken(expected, updated);
  // Whatever happened (including kAborted: the caller's copy was stale), re-read next time.
  tokens_->Erase(TokenKey(updated.partner_id, updated.id));
  return s;
}

Status CachingStore::DeleteAppToken(int64_t partner_id, std::string_view id,
                                    const Revocation& revocation, int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->DeleteAppToken(partner_id, id, revocation, now);
  tokens_->Erase(TokenKey(partner_id, id));
  revoked_->Erase(revocation.key);
  return s;
}

Result<AppTokenPage> CachingStore::ListAppTokens(int64_t partner_id,
                                                 const AppTokenQuery& query) const {
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  return backend_->ListAppTokens(partner_id, query);
}

// --- User roles -------------------------------------------------------------------------------

Result<UserRole> CachingStore::InsertUserRole(const UserRole& role) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Result<UserRole> inserted = backend_->InsertUserRole(role);
  roles_->Clear();  // a cached "no role by this system name" may be wrong now
  return inserted;
}

Result<UserRole> CachingStore::GetUserRole(int64_t partner_id, int64_t id) const {
  const std::string key = RoleIdKey(partner_id, id);
  if (std::optional<Result<UserRole>> hit = roles_->Get(key)) return *std::move(hit);
  const uint64_t generation = roles_->generation();
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  roles_->NoteMiss();
  Result<UserRole> read = backend_->GetUserRole(partner_id, id);
  if (Cacheable(read)) roles_->Put(key, read, generation);
  return read;
}

Result<UserRole> CachingStore::FindUserRoleBySystemName(int64_t partner_id,
                                                        std::string_view system_name) const {
  const std::string key = RoleNameKey(partner_id, system_name);
  if (std::optional<Result<UserRole>> hit = roles_->Get(key)) return *std::move(hit);
  const uint64_t generation = roles_->generation();
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  roles_->NoteMiss();
  Result<UserRole> read = backend_->FindUserRoleBySystemName(partner_id, system_name);
  if (Cacheable(read)) roles_->Put(key, read, generation);
  return read;
}

Status CachingStore::UpdateUserRole(const UserRole& expected, const UserRole& updated) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  Status s = backend_->UpdateUserRole(expected, updated);
  roles_->Clear();  // the role is cached by id and by (old and new) system name
  return s;
}

Result<UserRolePage> CachingStore::ListUserRoles(int64_t partner_id,
                                                 const UserRoleQuery& query) const {
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  return backend_->ListUserRoles(partner_id, query);
}

// --- Actions limit ----------------------------------------------------------------------------

Result<ActionsLimitState> CachingStore::ConsumeAction(std::string_view ks_hash, int64_t limit,
                                                      std::optional<int64_t> valid_until,
                                                      int64_t now) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  return backend_->ConsumeAction(ks_hash, limit, valid_until, now);
}

// --- App token session cap --------------------------------------------------------------------

Result<bool> CachingStore::ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                                int64_t max_sessions) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  return backend_->ClaimAppTokenSession(partner_id, token_id, max_sessions);
}

// --- App token usage --------------------------------------------------------------------------

Status CachingStore::AddAppTokenUsage(std::span<const AppTokenUsage> usage) {
  if (InInlineScope()) return RefuseToBlock(Access::kWrite);
  return backend_->AddAppTokenUsage(usage);
}

Result<std::vector<AppTokenUsage>> CachingStore::ListAppTokenUsage(int64_t partner_id) const {
  if (InInlineScope()) return RefuseToBlock(Access::kRead);
  return backend_->ListAppTokenUsage(partner_id);
}

}  // namespace ksgate::store
