#include "store/validate.h"

#include <string>

namespace ksgate::store {

Status ValidateNewPartner(const NewPartner& partner) {
  return ValidateAdminSecrets(partner.admin_secrets);
}

Result<Partner> NewPartnerRecord(const NewPartner& partner, int64_t now) {
  KSGATE_RETURN_IF_ERROR(ValidateNewPartner(partner));
  Partner p;
  p.name = partner.name;
  p.admin_secrets = partner.admin_secrets;
  p.secret = partner.secret;
  p.status = PartnerStatus::kActive;
  p.ks_version = partner.ks_version;
  p.ks_max_expiry = partner.ks_max_expiry;
  p.created_at = now;
  p.updated_at = now;
  return p;
}

Status ValidateAdminSecrets(const std::vector<std::string>& admin_secrets) {
  if (admin_secrets.empty()) {
    return InvalidArgumentError("a partner needs at least one admin secret");
  }
  for (const std::string& secret : admin_secrets) {
    if (secret.empty()) return InvalidArgumentError("an admin secret is empty");
    if (secret.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgumentError("an admin secret contains a line break");
    }
  }
  return Status::Ok();
}

Status ValidateNewUserRole(const UserRole& role) {
  if (role.status == UserRoleStatus::kDeleted) {
    return InvalidArgumentError("a user role cannot be inserted deleted");
  }
  return Status::Ok();
}

Status ValidateAppTokenUpdate(const AppToken& expected, const AppToken& updated) {
  if (expected.partner_id != updated.partner_id || expected.id != updated.id) {
    return InvalidArgumentError("app token update: expected (" +
                                std::to_string(expected.partner_id) + ", " + expected.id +
                                ") and updated (" + std::to_string(updated.partner_id) + ", " +
                                updated.id + ") are different tokens");
  }
  return Status::Ok();
}

Status ValidateUserRoleUpdate(const UserRole& expected, const UserRole& updated) {
  if (expected.partner_id != updated.partner_id || expected.id != updated.id) {
    return InvalidArgumentError(
        "user role update: expected (" + std::to_string(expected.partner_id) + ", " +
        std::to_string(expected.id) + ") and updated (" + std::to_string(updated.partner_id) +
        ", " + std::to_string(updated.id) + ") are different roles");
  }
  return Status::Ok();
}

Status ValidateActionsLimit(int64_t limit) {
  if (limit <= 0) {
    return InvalidArgumentError("actions limit " + std::to_string(limit) + " is not positive");
  }
  return Status::Ok();
}

Status ValidateAppTokenUsage(std::span<const AppTokenUsage> usage) {
  for (const AppTokenUsage& u : usage) {
    if (u.token_id.empty()) return InvalidArgumentError("app token usage without a token id");
    if (u.sessions_started < 0) return InvalidArgumentError("negative app token usage");
  }
  return Status::Ok();
}

Status ValidateSessionClaim(std::string_view token_id, int64_t max_sessions) {
  if (token_id.empty()) return InvalidArgumentError("session claim without a token id");
  if (max_sessions < 0) return InvalidArgumentError("negative session cap");
  return Status::Ok();
}

Status ValidateSessionCutoff(const SessionCutoff& cutoff) {
  if (cutoff.key.empty()) return InvalidArgumentError("session cut-off without a key");
  return Status::Ok();
}

}  // namespace ksgate::store
