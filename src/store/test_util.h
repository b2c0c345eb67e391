// Store test helpers beyond the shared matchers (testing/matchers.h) and ScratchDir
// (testing/scratch_dir.h): concurrent ConsumeAction calls counted by outcome, and a backend
// that counts (or fails) the calls that reach it. Test targets only.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "store/memory_store.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::store::testing {

// How many of a batch of ConsumeAction calls got each outcome.
struct ConsumeCounts {
  int allowed = 0;
  int exceeded = 0;
  int other = 0;  // kRevoked or an error (each error is also a test failure)
};

// Runs `threads` threads making `calls_per_thread` ConsumeAction(key, limit, valid_until, now)
// calls each; thread t calls stores[t % stores.size()] (several stores on one database stand in
// for several processes).
inline ConsumeCounts ConsumeConcurrently(const std::vector<Store*>& stores, int threads,
                                         int calls_per_thread, const std::string& key,
                                         int64_t limit, std::optional<int64_t> valid_until,
                                         int64_t now) {
  std::atomic<int> allowed{0}, exceeded{0}, other{0};
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      Store& store = *stores[static_cast<size_t>(t) % stores.size()];
      for (int i = 0; i < calls_per_thread; ++i) {
        Result<ActionsLimitState> state = store.ConsumeAction(key, limit, valid_until, now);
        if (!state.ok()) {
          ADD_FAILURE() << state.status().ToString();
          ++other;
        } else if (*state == ActionsLimitState::kAllowed) {
          ++allowed;
        } else if (*state == ActionsLimitState::kExceeded) {
          ++exceeded;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& th : running) th.join();
  return ConsumeCounts{allowed.load(), exceeded.load(), other.load()};
}

// A MemoryStore that records the name of every call reaching it, so a test can prove that
// something did not touch the backend (a CachingStore refusing inline calls, a cache hit, an
// exchange asking for a store thread). FailWith makes every call fail with a given status
// instead (after recording it), as a broken database would. Thread-safe.
class CountingStore final : public Store {
 public:
  // The names of the calls made since the last Reset, in order ("GetPartner", ...).
  std::vector<std::string> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  size_t call_count() const { return calls().size(); }
  void Reset() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }
  // Every later call fails with `status`; an OK status stops failing.
  void FailWith(Status status) {
    std::lock_guard lock(mu_);
    failure_ = std::move(status);
  }

  Result<int> Migrate() override {
    return Call("Migrate", [&] { return memory_.Migrate(); });
  }
  Result<Partner> CreatePartner(const NewPartner& partner, int64_t now) override {
    return Call("CreatePartner", [&] { return memory_.CreatePartner(partner, now); });
  }
  Result<Partner> GetPartner(int64_t id) const override {
    return Call("GetPartner", [&] { return memory_.GetPartner(id); });
  }
  Result<std::vector<Partner>> ListPartners() const override {
    return Call("ListPartners", [&] { return memory_.ListPartners(); });
  }
  Status SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) override {
    return Call("SetPartnerStatus", [&] { return memory_.SetPartnerStatus(id, status, now); });
  }
  Status SetPartnerAdminSecrets(int64_t id, const std::vector<std::string>& admin_secrets,
                                int64_t now) override {
    return Call("SetPartnerAdminSecrets",
                [&] { return memory_.SetPartnerAdminSecrets(id, admin_secrets, now); });
  }
  Status Revoke(const Revocation& revocation, int64_t now) override {
    return Call("Revoke", [&] { return memory_.Revoke(revocation, now); });
  }
  Result<bool> IsRevoked(std::span<const std::string> keys, int64_t now) const override {
    return Call("IsRevoked", [&] { return memory_.IsRevoked(keys, now); });
  }
  Status InsertAppToken(const AppToken& token) override {
    return Call("InsertAppToken", [&] { return memory_.InsertAppToken(token); });
  }
  Result<AppToken> GetAppToken(int64_t partner_id, std::string_view id) const override {
    return Call("GetAppToken", [&] { return memory_.GetAppToken(partner_id, id); });
  }
  Status UpdateAppToken(const AppToken& expected, const AppToken& updated) override {
    return Call("UpdateAppToken", [&] { return memory_.UpdateAppToken(expected, updated); });
  }
  Status DeleteAppToken(int64_t partner_id, std::string_view id, const Revocation& revocation,
                        int64_t now) override {
    return Call("DeleteAppToken",
                [&] { return memory_.DeleteAppToken(partner_id, id, revocation, now); });
  }
  Result<AppTokenPage> ListAppTokens(int64_t partner_id,
                                     const AppTokenQuery& query) const override {
    return Call("ListAppTokens", [&] { return memory_.ListAppTokens(partner_id, query); });
  }
  Result<UserRole> InsertUserRole(const UserRole& role) override {
    return Call("InsertUserRole", [&] { return memory_.InsertUserRole(role); });
  }
  Result<UserRole> GetUserRole(int64_t partner_id, int64_t id) const override {
    return Call("GetUserRole", [&] { return memory_.GetUserRole(partner_id, id); });
  }
  Result<UserRole> FindUserRoleBySystemName(int64_t partner_id,
                                            std::string_view system_name) const override {
    return Call("FindUserRoleBySystemName",
                [&] { return memory_.FindUserRoleBySystemName(partner_id, system_name); });
  }
  Status UpdateUserRole(const UserRole& expected, const UserRole& updated) override {
    return Call("UpdateUserRole", [&] { return memory_.UpdateUserRole(expected, updated); });
  }
  Result<UserRolePage> ListUserRoles(int64_t partner_id,
                                     const UserRoleQuery& query) const override {
    return Call("ListUserRoles", [&] { return memory_.ListUserRoles(partner_id, query); });
  }
  Result<ActionsLimitState> ConsumeAction(std::string_view ks_hash, int64_t limit,
                                          std::optional<int64_t> valid_until,
                                          int64_t now) override {
    return Call("ConsumeAction",
                [&] { return memory_.ConsumeAction(ks_hash, limit, valid_until, now); });
  }
  Status AddAppTokenUsage(std::span<const AppTokenUsage> usage) override {
    return Call("AddAppTokenUsage", [&] { return memory_.AddAppTokenUsage(usage); });
  }
  Result<std::vector<AppTokenUsage>> ListAppTokenUsage(int64_t partner_id) const override {
    return Call("ListAppTokenUsage", [&] { return memory_.ListAppTokenUsage(partner_id); });
  }
  Status SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) override {
    return Call("SetPartnerSettings",
                [&] { return memory_.SetPartnerSettings(id, settings, now); });
  }
  Result<Partner> UpdatePartner(int64_t id, const PartnerChanges& changes, int64_t now) override {
    return Call("UpdatePartner", [&] { return memory_.UpdatePartner(id, changes, now); });
  }
  Status SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) override {
    return Call("SetSessionCutoff", [&] { return memory_.SetSessionCutoff(cutoff, now); });
  }
  Result<int64_t> GetSessionCutoff(std::string_view key) const override {
    return Call("GetSessionCutoff", [&] { return memory_.GetSessionCutoff(key); });
  }
  Result<bool> ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                    int64_t max_sessions) override {
    return Call("ClaimAppTokenSession",
                [&] { return memory_.ClaimAppTokenSession(partner_id, token_id, max_sessions); });
  }

 private:
  // Records `name`, then fails or runs `call`.
  template <typename F>
  auto Call(const char* name, F call) const -> decltype(call()) {
    Status failure;
    {
      std::lock_guard lock(mu_);
      calls_.push_back(name);
      failure = failure_;
    }
    if (!failure.ok()) return failure;
    return call();
  }

  mutable std::mutex mu_;
  mutable std::vector<std::string> calls_;
  Status failure_;
  MemoryStore memory_;
};

}  // namespace ksgate::store::testing
