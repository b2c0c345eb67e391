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

std::string ErrorOf(const Status& s) { return s.ok() ? "" : std::string(StatusCodeName(s.code())); }
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return r.ok() ? "" : std::string(StatusCodeName(r.error().code()));
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

void PartnerService::Audit(std::string_view action, int64_t id, std::string error,
                           const std::optional<store::Partner>& before,
                           const std::optional<store::Partner>& after) const {
  if (audit_ == nullptr) return;
  AuditEvent event{.action = action,
                   .error = std::move(error),
                   .partner_id = id,
                   .object_type = "partner",
                   .object_id = id != 0 ? std::to_string(id) : ""};
  if (before) event.before = AuditFieldsOf(*before);
  if (after) event.after = AuditFieldsOf(*after);
  audit_->Record(event);
}

std::optional<store::Partner> PartnerService::Snapshot(int64_t id) const {
  if (audit_ == nullptr) return std::nullopt;
  Result<store::Partner> partner = store_.GetPartner(id);
  if (!partner.ok()) return std::nullopt;
  return std::move(partner).value();
}

Result<store::Partner> PartnerService::Create(const NewPartnerRequest& request) const {
  Result<store::Partner> created = CreatePartner(request);
  Audit("partner.add", created.ok() ? created->id : 0, ErrorOf(created), std::nullopt,
        created.ok() ? std::optional(*created) : std::nullopt);
  return created;
}

Result<store::Partner> PartnerService::CreatePartner(const NewPartnerRequest& request) const {
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
  const std::optional<store::Partner> before = Snapshot(id);
  const Status s = WithContext(store_.SetPartnerStatus(id, status, clock_.NowSeconds()), id);
  Audit(status == store::PartnerStatus::kActive ? "partner.unblock" : "partner.block", id,
        ErrorOf(s), before, s.ok() ? Snapshot(id) : std::nullopt);
  return s;
}

Result<store::Partner> PartnerService::RotateAdminSecret(int64_t id) const {
  const std::optional<store::Partner> before = Snapshot(id);
  Result<store::Partner> rotated = [&]() -> Result<store::Partner> {
    KSGATE_ASSIGN_OR_RETURN(store::Partner partner, Find(id));
    partner.admin_secrets.insert(partner.admin_secrets.begin(), ks::RandomHex(kSecretBytes));
    const Status s = store_.SetPartnerAdminSecrets(id, partner.admin_secrets, clock_.NowSeconds());
    if (!s.ok()) return WithContext(s, id);
    return partner;
  }();
  Audit("partner.rotateSecret", id, ErrorOf(rotated), before,
        rotated.ok() ? std::optional(*rotated) : std::nullopt);
  return rotated;
}

Result<store::Partner> PartnerService::Update(int64_t id, const PartnerUpdate& update) const {
  const std::optional<store::Partner> before = Snapshot(id);
  Result<store::Partner> updated = ChangePartner(id, update);
  Audit("partner.update", id, ErrorOf(updated), before,
        updated.ok() ? std::optional(*updated) : std::nullopt);
  return updated;
}

Result<store::Partner> PartnerService::ChangePartner(int64_t id,
                                                     const PartnerUpdate& update) const {
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
  const std::optional<store::Partner> before = Snapshot(id);
  Result<size_t> retired = [&]() -> Result<size_t> {
    KSGATE_ASSIGN_OR_RETURN(store::Partner partner, Find(id));
    const size_t count = partner.admin_secrets.size() - 1;
    const Status s =
        store_.SetPartnerAdminSecrets(id, {partner.admin_secrets.front()}, clock_.NowSeconds());
    if (!s.ok()) return WithContext(s, id);
    return count;
  }();
  Audit("partner.retireSecrets", id, ErrorOf(retired), before,
        retired.ok() ? Snapshot(id) : std::nullopt);
  return retired;
}

}  // namespace ksgate::services
