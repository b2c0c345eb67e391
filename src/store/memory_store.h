// MemoryStore: the in-memory Store that ships with the interface (leveldb's memenv idea). For
// tests and `--db memory:`; nothing survives the object.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::store {

// Implements every Store method with the semantics documented in store.h, so the contract suite
// (store_contract_test.cc) runs unchanged against it and the SQL backends. Never returns
// kUnavailable. Thread-safe: one reader/writer lock around all state.
class MemoryStore final : public Store {
 public:
  MemoryStore() = default;

  // There is no schema: does nothing and returns 0. Migrating is optional for this backend.
  Result<int> Migrate() override;

  Result<Partner> CreatePartner(const NewPartner& partner, int64_t now) override;
  Result<Partner> GetPartner(int64_t id) const override;
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
  // Compare-and-set under the exclusive lock.
  Status UpdateAppToken(const AppToken& expected, const AppToken& updated) override;
  Status DeleteAppToken(int64_t partner_id, std::string_view id, const Revocation& revocation,
                        int64_t now) override;
  Result<AppTokenPage> ListAppTokens(int64_t partner_id, const AppTokenQuery& query) const override;

  Result<UserRole> InsertUserRole(const UserRole& role) override;
  Result<UserRole> GetUserRole(int64_t partner_id, int64_t id) const override;
  Result<UserRole> FindUserRoleBySystemName(int64_t partner_id,
                                            std::string_view system_name) const override;
  // Compare-and-set under the exclusive lock.
  Status UpdateUserRole(const UserRole& expected, const UserRole& updated) override;
  Result<UserRolePage> ListUserRoles(int64_t partner_id, const UserRoleQuery& query) const override;

  // Atomic under the exclusive lock.
  Result<ActionsLimitState> ConsumeAction(std::string_view ks_hash, int64_t limit,
                                          std::optional<int64_t> valid_until, int64_t now) override;

  // Atomic under the exclusive lock.
  Result<bool> ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                    int64_t max_sessions) override;

  Status AddAppTokenUsage(std::span<const AppTokenUsage> usage) override;
  Result<std::vector<AppTokenUsage>> ListAppTokenUsage(int64_t partner_id) const override;

  // Writes an invalid_sessions row carrying an actions limit (the shape Kaltura's actionslimit
  // privilege produces), which IsRevoked must ignore. Replaces any row (key, type).
  void SetActionsLimitForTesting(const Revocation& revocation, int64_t actions_limit, int64_t now);

 private:
  struct RevocationRow {
    std::optional<int64_t> valid_until;
    std::optional<int64_t> actions_limit;
    int64_t created_at = 0;
  };
  using RevocationKey = std::pair<std::string, RevocationType>;

  // Applies `change` to partner `id` and sets its updated_at, under the exclusive lock;
  // kNotFound if there is no such partner.
  Status ChangePartner(int64_t id, int64_t now, const std::function<void(Partner&)>& change);
  // The live (non-deleted) token (partner_id, id), or nullptr. Requires mu_ held.
  AppToken* FindLiveToken(int64_t partner_id, std::string_view id);
  const AppToken* FindLiveToken(int64_t partner_id, std::string_view id) const;
  // Revoke's upsert. Requires mu_ held exclusively.
  void RevokeLocked(const Revocation& revocation, int64_t now);
  // The live (non-deleted) role (partner_id, id), or nullptr. Requires mu_ held.
  UserRole* FindLiveRole(int64_t partner_id, int64_t id);
  const UserRole* FindLiveRole(int64_t partner_id, int64_t id) const;
  // The live role of `partner_id` named `system_name` other than `except_id`, or nullptr;
  // always nullptr for an empty name. Requires mu_ held.
  const UserRole* FindLiveRoleBySystemName(int64_t partner_id, std::string_view system_name,
                                           int64_t except_id = 0) const;
  // A non-deleted role of the partner, other than `except_id`, whose name is `name`. Requires mu_.
  const UserRole* FindLiveRoleByName(int64_t partner_id, std::string_view name,
                                     int64_t except_id = 0) const;

  mutable std::shared_mutex mu_;
  std::map<int64_t, Partner> partners_;
  // Every token ever inserted, deleted included, in insertion order (the list tiebreak).
  std::vector<AppToken> tokens_;
  std::unordered_map<std::string, size_t> token_index_;  // id -> index in tokens_
  std::map<RevocationKey, RevocationRow> revocations_;
  std::map<std::string, AppTokenUsage> usage_;                  // by token id
  std::map<std::string, int64_t, std::less<>> session_counts_;  // by token id
  std::map<std::string, int64_t, std::less<>> cutoffs_;         // key -> issued_before
  // Every role ever inserted, deleted included, by id (ids only grow: the map's last key is the
  // highest id ever assigned).
  std::map<int64_t, UserRole> user_roles_;
};

}  // namespace ksgate::store
