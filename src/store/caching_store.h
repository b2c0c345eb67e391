// CachingStore: a read-through cache in front of another Store, for the hot path.
//
// Cached: GetPartner, GetAppToken, GetUserRole, FindUserRoleBySystemName, IsRevoked (per
// key) and GetSessionCutoff, found or not found, each entry for at most `ttl`. Every write made
// through this object invalidates what it changes before returning, so a process sees its own
// writes at once; writes made elsewhere (another process on the same SQLite file, the CLI, another
// node) are seen within `ttl`. Lists, ConsumeAction, ClaimAppTokenSession and Migrate always go to
// the backend.
//
// It is also where "no I/O thread waits for a database" is enforced: inside a
// store::InlineScope (blocking.h), a call that is not a cache hit returns kWouldBlock without
// touching the backend. With a TTL of 0 nothing is cached and only that guard remains.
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
#include <unordered_map>

#include "common/clock.h"
#include "store/store.h"

namespace ksgate::store {

struct CacheOptions {
  // How long an entry may be served. 0 disables caching (every call goes to the backend).
  std::chrono::milliseconds ttl{1000};
  // Entries per cached method; when full, that cache starts over empty.
  size_t max_entries = 100000;
};

class CachingStore final : public Store {
 public:
  CachingStore(std::unique_ptr<Store> backend, const Clock& clock, CacheOptions options = {});
  ~CachingStore() override;

  Result<int> Migrate() override;

  Result<Partner> CreatePartner(const NewPartner& partner, int64_t now) override;
  Result<Partner> GetPartner(int64_t id) const override;
  Result<std::vector<Partner>> ListPartners() const override;
  Status SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) override;
  Status SetPartnerAdminSecrets(int64_t id, const std::vector<std::string>& admin_secrets,
                                int64_t now) override;
  Status SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) override;

  Status Revoke(const Revocation& revocation, int64_t now) override;
  Result<bool> IsRevoked(std::span<const std::string> keys, int64_t now) const override;
  Status SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) override;
  Result<int64_t> GetSessionCutoff(std::string_view key) const override;

  Status InsertAppToken(const AppToken& token) override;
  Result<AppToken> GetAppToken(int64_t partner_id, std::string_view id) const override;
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

  // The wrapped store, for tests that need a backend's own test hooks.
  Store& BackendForTesting() { return *backend_; }

 private:
  template <typename V>
  class Cache;

  std::unique_ptr<Store> backend_;
  const Clock& clock_;
  CacheOptions options_;
  std::unique_ptr<Cache<Result<Partner>>> partners_;
  std::unique_ptr<Cache<Result<AppToken>>> tokens_;
  std::unique_ptr<Cache<Result<UserRole>>> roles_;  // by id and by system name
  // Per key: whether it was revoked as of a given `now` (the answer depends on it: revocations
  // end valid_until + grace after), so an entry serves only calls with the same `now`.
  struct RevokedAt {
    bool revoked = false;
    int64_t now = 0;
  };
  std::unique_ptr<Cache<RevokedAt>> revoked_;
  // Session cut-offs by key (the same keys as the PostgreSQL `k:` change payloads).
  std::unique_ptr<Cache<Result<int64_t>>> cutoffs_;
};

}  // namespace ksgate::store
