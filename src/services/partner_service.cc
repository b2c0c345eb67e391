#include "services/partner_service.h"

#include <utility>

#include "ks/crypto.h"

namespace ksgate::services {

namespace {

// Bytes of CSPRNG output in a secret (written as twice as many hex characters).
constexpr size_t kSecretBytes = 16;
constexpr size_t kMaxNameLength = 256;

Status WithContext(const Status& s, int64_t id) {
  if (s.code() == StatusCode::kNotFound) return NotFoundError("no partner " + std::to_string(id));
  return s;
}

// The bounds of a partner's fields, on create and on update.
Status CheckName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return InvalidArgumentError("the partner name must be 1 to 256 bytes");
  }
  return Status::Ok();
}

Status CheckKsVersion(int ks_version) {
  if (ks_version != 1 && ks_version != 2) {
    return InvalidArgumentError("the KS version must be 1 or 2");
  }
  return Status::Ok();
}

Status CheckKsMaxExpiry(int64_t ks_max_expiry) {
  if (ks_max_expiry < 1 || ks_max_expiry > kMaxRelativeSeconds) {
    return InvalidArgumentError("the KS maximum expiry must be 1 to " +
                                std::to_string(kMaxRelativeSeconds) + " seconds");
  }
  return Status::Ok();
}

}  // namespace

Result<store::Partner> PartnerService::Create(const NewPartnerRequest& request) const {
  KSGATE_RETURN_IF_ERROR(CheckName(request.name));
  KSGATE_RETURN_IF_ERROR(CheckKsVersion(request.ks_version));
  KSGATE_RETURN_IF_ERROR(CheckKsMaxExpiry(request.ks_max_expiry));
  store::NewPartner partner;
  partner.name = request.name;
  partner.admin_secrets = {ks::RandomHex(kSecretBytes)};
  partner.secret = ks::RandomHex(kSecretBytes);
  partner.ks_version = request.ks_version;
  partner.ks_max_expiry = request.ks_max_expiry;
  return store_.CreatePartner(partner, clock_.NowSeconds());
}

Result<store::Partner> PartnerService::Find(int64_t id) const {
  Result<store::Partner> partner = store_.GetPartner(id);
  if (!partner.ok()) return WithContext(partner.error(), id);
  return partner;
}

Result<store::Partner> PartnerService::Get(int64_t id) const { return Find(id); }

Result<std::vector<store::Partner>> PartnerService::List() const { return store_.ListPartners(); }

Status PartnerService::SetStatus(int64_t id, store::PartnerStatus status) const {
  return WithContext(store_.SetPartnerStatus(id, status, clock_.NowSeconds()), id);
}

Result<store::Partner> PartnerService::RotateAdminSecret(int64_t id) const {
  KSGATE_ASSIGN_OR_RETURN(store::Partner partner, Find(id));
  partner.admin_secrets.insert(partner.admin_secrets.begin(), ks::RandomHex(kSecretBytes));
  const Status s = store_.SetPartnerAdminSecrets(id, partner.admin_secrets, clock_.NowSeconds());
  if (!s.ok()) return WithContext(s, id);
  return partner;
}

Result<store::Partner> PartnerService::Update(int64_t id, const PartnerUpdate& update) const {
  if (update.name) KSGATE_RETURN_IF_ERROR(CheckName(*update.name));
  if (update.ks_version) KSGATE_RETURN_IF_ERROR(CheckKsVersion(*update.ks_version));
  if (update.ks_max_expiry) KSGATE_RETURN_IF_ERROR(CheckKsMaxExpiry(*update.ks_max_expiry));
  store::PartnerChanges changes;
  changes.name = update.name;
  changes.ks_version = update.ks_version;
  changes.ks_max_expiry = update.ks_max_expiry;
  changes.app_token_privilege_ceiling = update.settings.app_token_privilege_ceiling;
  changes.app_token_show_once = update.settings.app_token_show_once;
  changes.user_secret_setrole = update.settings.user_secret_setrole;
  Result<store::Partner> updated = store_.UpdatePartner(id, changes, clock_.NowSeconds());
  if (!updated.ok()) return WithContext(updated.error(), id);
  return updated;
}

Result<size_t> PartnerService::RetireAdminSecrets(int64_t id) const {
  KSGATE_ASSIGN_OR_RETURN(store::Partner partner, Find(id));
  const size_t retired = partner.admin_secrets.size() - 1;
  const Status s =
      store_.SetPartnerAdminSecrets(id, {partner.admin_secrets.front()}, clock_.NowSeconds());
  if (!s.ok()) return WithContext(s, id);
  return retired;
}

}  // namespace ksgate::services
