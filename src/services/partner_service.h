// PartnerService: partners and their secrets, for operators (the `ksgate partner` commands).
// Kaltura's own partner services are not served over the API; this is ksgate's administration.
//
// Errors are Status values with one-line messages fit for an operator (no secret in them):
// kNotFound ("no partner N"), kInvalidArgument for bad input, and the store's failures.
// Thread-safe; the store and clock must outlive *this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "services/audit.h"
#include "store/records.h"
#include "store/store.h"

namespace ksgate::services {

struct NewPartnerRequest {
  std::string name;               // 1-256 bytes
  int ks_version = 2;             // 1 or 2
  int64_t ks_max_expiry = 86400;  // 1..kMaxRelativeSeconds
};

// Changes to a partner's settings (`ksgate partner update`): each set field replaces the
// setting, unset ones stay as they are.
struct PartnerSettingsUpdate {
  std::optional<bool> app_token_privilege_ceiling;
  std::optional<bool> app_token_show_once;
  std::optional<store::UserSecretSetRole> user_secret_setrole;
};

// Changes to a partner (`ksgate partner update`): each set field replaces the stored one, unset
// ones stay as they are. Bounds as NewPartnerRequest's.
struct PartnerUpdate {
  std::optional<std::string> name;
  std::optional<int> ks_version;
  std::optional<int64_t> ks_max_expiry;
  PartnerSettingsUpdate settings;
};

class PartnerService {
 public:
  // `audit`, when given, receives an event for every change (audit.h: partner.add, block,
  // unblock, update, rotateSecret, retireSecrets) with the partner before and after, its secrets
  // as HMACs. It must outlive *this.
  PartnerService(store::Store& store, const Clock& clock, AuditSink* audit = nullptr)
      : store_(store), clock_(clock), audit_(audit) {}

  // Creates an active partner with a fresh admin secret and a fresh user secret, each 32
  // lowercase hex characters (16 bytes from the OS CSPRNG). kInvalidArgument for a name, KS
  // version or maximum expiry out of range.
  Result<store::Partner> Create(const NewPartnerRequest& request) const;

  // The partner `id`; kNotFound.
  Result<store::Partner> Get(int64_t id) const;
  // Every partner, by id.
  Result<std::vector<store::Partner>> List() const;
  // Activates or blocks partner `id` (a blocked partner's KSs stop working); kNotFound.
  Status SetStatus(int64_t id, store::PartnerStatus status) const;

  // Gives partner `id` a fresh primary admin secret, which signs new KSs from now on; the old
  // secrets keep verifying the KSs they signed. Returns the partner as stored (the new secret
  // first). kNotFound.
  Result<store::Partner> RotateAdminSecret(int64_t id) const;
  // Applies `update` to partner `id` in one atomic step (fields it leaves unset keep their
  // stored values, even if another process changes them meanwhile) and returns the partner as
  // stored. Takes effect at once on this process and through the change feed (or within the
  // cache TTL without one) on others: a new name, KS version or maximum expiry applies to KSs
  // issued from then on; KSs issued before keep verifying until they expire. kInvalidArgument
  // (nothing written) for a value out of NewPartnerRequest's bounds; kNotFound.
  Result<store::Partner> Update(int64_t id, const PartnerUpdate& update) const;
  // Update with settings only.
  Result<store::Partner> UpdateSettings(int64_t id, const PartnerSettingsUpdate& update) const {
    return Update(id, {.settings = update});
  }

  // Drops every admin secret of partner `id` but the primary, so KSs signed with the old ones
  // stop working. Returns how many were dropped. kNotFound.
  Result<size_t> RetireAdminSecrets(int64_t id) const;

 private:
  Result<store::Partner> Find(int64_t id) const;
  // Create and Update, unaudited.
  Result<store::Partner> CreatePartner(const NewPartnerRequest& request) const;
  Result<store::Partner> ChangePartner(int64_t id, const PartnerUpdate& update) const;
  // The partner as stored, for an audit event; nullopt without a sink or when unreadable.
  std::optional<store::Partner> Snapshot(int64_t id) const;
  void Audit(std::string_view action, int64_t id, std::string error,
             const std::optional<store::Partner>& before,
             const std::optional<store::Partner>& after) const;

  store::Store& store_;
  const Clock& clock_;
  AuditSink* audit_;
};

}  // namespace ksgate::services
