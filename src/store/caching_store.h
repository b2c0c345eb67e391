// CachingStore: a read-through cache in front of another Store, for the hot path.
//
// Cached: GetPartner, GetAppToken, GetUserRole, FindUserRoleBySystemName, IsRevoked (per
// key) and GetSessionCutoff, found or not found, each entry for at most `ttl`. Every write made
// through this object invalidates what it changes before returning, so a process sees its own
// writes at once; writes made elsewhere (another process on the same SQLite file, the CLI,
// another node) are seen within `ttl` — or, with a change feed (PostgreSQL), as soon as it
// reports them, the cache failing closed when the feed cannot vouch for it
// (CacheOptions::freshness_bound). Lists, ConsumeAction, ClaimAppTokenSession and Migrate always
// go to the backend.
//
// It is also where "no I/O thread waits for a database" is enforced: inside a
// store::InlineScope (blocking.h), a call that is not a cache hit returns kWouldBlock without
// touching the backend. With a TTL of 0 nothing is cached and only that guard remains.
//
// Ages (the TTL, the freshness bound) are measured on the clock's coarse reading
// (Clock::NowCoarseMicros), milliseconds behind, so that a cache hit reads no
// precise clock.
//
// Thread-safe. The backend is owned; the clock must outlive *this.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "store/change_feed.h"
#include "store/store.h"

namespace ksgate::store {

inline constexpr size_t kDefaultCacheEntries = 100000;

struct CacheOptions {
  // How long an entry may be served. 0 disables caching (every call goes to the backend).
  std::chrono::milliseconds ttl{1000};
  // The bound on memory: entries kept per kind of record (CacheKind; each kind is one map, the
  // roles' holding entries by id and by system name). An entry is kept until a write drops it
  // or room is needed, expired or not; when a kind is full, a new entry replaces one chosen at
  // random. So a busy server holds max_entries of each kind for good: size it in bytes with
  // docs/operations.md "Cache" (an app token entry takes about 0.6 KB). At least 1.
  size_t max_entries = kDefaultCacheEntries;
  // With a change feed (store/change_feed.h) telling this cache of other processes' writes:
  // entries are served only while the feed has confirmed, within this bound, that every change
  // committed elsewhere has been applied (ConfirmFresh). Past it every read goes to the backend
  // — the cache fails closed — until the feed confirms again. 0: no feed; entries are served
  // for `ttl` and other processes' writes are seen within it.
  std::chrono::milliseconds freshness_bound{0};
};

// Reads of one cached method served from the cache (hits) and from the backend (misses).
struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
};

// The caches, each kept for one kind of record.
enum class CacheKind { kPartner, kAppToken, kUserRole, kRevocation, kSessionCutoff };
inline constexpr CacheKind kCacheKinds[] = {CacheKind::kPartner, CacheKind::kAppToken,
                                            CacheKind::kUserRole, CacheKind::kRevocation,
                                            CacheKind::kSessionCutoff};
// "partner", "app_token", "user_role", "revocation", "session_cutoff".
std::string_view CacheKindName(CacheKind kind);

class CachingStore final : public Store {
 public:
  CachingStore(std::unique_ptr<Store> backend, const Clock& clock, CacheOptions options = {});
  ~CachingStore() override;

  WriteLane* write_lane() override { return backend_->write_lane(); }
  Result<int> Migrate() override;

  Result<Partner> CreatePartner(const NewPartner& partner, int64_t now) override;
  Result<Partner> GetPartner(int64_t id) const override;
  Result<std::shared_ptr<const Partner>> GetSharedPartner(int64_t id) const override;
  Result<std::vector<Partner>> ListPartners() const override;
  Status SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) override;
  Status SetPartnerAdminSecrets(int64_t id, const std::vector<std::string>& admin_secrets,
                                int64_t now) override;
  Status SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) override;
  Result<Partner> UpdatePartner(int64_t id, const PartnerChanges& changes, int64_t now) override;

  Status Revoke(const Revocation& revocation, int64_t now) override;
  Result<bool> IsRevoked(std::span<const std::string> keys, int64_t now) const override;
  Status SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) override;
  Result<int64_t> GetSessionCutoff(std::string_view key) const override;

  Status InsertAppToken(const AppToken& token) override;
  Result<AppToken> GetAppToken(int64_t partner_id, std::string_view id) const override;
  Result<std::shared_ptr<const AppToken>> GetSharedAppToken(int64_t partner_id,
                                                            std::string_view id) const override;
  Status UpdateAppToken(const AppToken& expected, const AppToken& updated) override;
  Status DeleteAppToken(int64_t partner_id, std::string_view id, const Revocation& revocation,
                        int64_t now) override;
  Result<AppTokenPage> ListAppTokens(int64_t partner_id, const AppTokenQuery& query) const override;

  Result<UserRole> InsertUserRole(const UserRole& role) override;
  Result<UserRole> GetUserRole(int64_t partner_id, int64_t id) const override;
  Result<UserRole> FindUserRoleBySystemName(int64_t partner_id,
                                            std::string_view system_name) const override;
  Status UpdateUserRole(const UserRole& expected, const UserRole& updated) override;
  Result<UserRolePage> ListUserRoles(int64_t partner_id, const UserRoleQuery& query) const override;

  Result<ActionsLimitState> ConsumeAction(std::string_view ks_hash, int64_t limit,
                                          std::optional<int64_t> valid_until, int64_t now) override;

  Result<bool> ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                    int64_t max_sessions) override;

  Status AddAppTokenUsage(std::span<const AppTokenUsage> usage) override;
  Result<std::vector<AppTokenUsage>> ListAppTokenUsage(int64_t partner_id) const override;

  // --- Other processes' writes, from a ChangeFeed. Thread-safe. ----------------------------

  // Turns the freshness bound on (CacheOptions::freshness_bound) when a feed is attached: from
  // now on nothing is served until the first ConfirmFresh. Call before serving.
  void SetFreshnessBound(std::chrono::milliseconds bound);
  // Drops the entries `change` makes stale.
  void Apply(const Change& change);
  // Drops every entry (after the feed reconnected: changes may have been missed).
  void InvalidateAll();
  // Every change committed elsewhere before `as_of_micros` (this store's clock, its coarse
  // reading) has been applied.
  void ConfirmFresh(int64_t as_of_micros);
  // True if entries may be served now: always without a freshness bound, else while the last
  // confirmation is within it.
  bool Fresh() const;

  // Hits and misses of the cache of `kind` since start (metrics). Thread-safe.
  CacheStats Stats(CacheKind kind) const;
  // Entries the cache of `kind` holds now, at most CacheOptions::max_entries. Thread-safe.
  size_t Size(CacheKind kind) const;

  // The wrapped store, for tests that need a backend's own test hooks.
  Store& BackendForTesting() { return *backend_; }

 private:
  template <typename V>
  class Cache;

  std::unique_ptr<Store> backend_;
  const Clock& clock_;
  CacheOptions options_;  // freshness_bound set once, before serving
  std::unique_ptr<Cache<Result<std::shared_ptr<const Partner>>>> partners_;
  std::unique_ptr<Cache<Result<std::shared_ptr<const AppToken>>>> tokens_;
  std::unique_ptr<Cache<Result<UserRole>>> roles_;  // by id and by system name
  // Per key: whether it was revoked as of a given `now`. A revocation ends with time
  // (valid_until + grace), so a "revoked" entry serves only calls with the same `now`; "not
  // revoked" serves any later call until the entry expires or a write drops it.
  struct RevokedAt {
    bool revoked = false;
    int64_t now = 0;
  };
  std::unique_ptr<Cache<RevokedAt>> revoked_;
  // Session cut-offs by key (the same keys as the PostgreSQL `k:` change payloads).
  std::unique_ptr<Cache<Result<int64_t>>> cutoffs_;
  std::atomic<int64_t> confirmed_at_micros_{0};  // no confirmation yet: not fresh
};

}  // namespace ksgate::store
