#include "store/validate.h"

#include <string>

namespace ksgate::store {

Status ValidateNewPartner(const NewPartner& partner) {
  if (partner.admin_secrets.empty()) {
    return InvalidArgumentError("a partner needs at least one admin secret");
  }
  for (const std::string& secret : partner.admin_secrets) {
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

Status ValidateActionsLimit(int64_t limit) {
  if (limit <= 0) {
    return InvalidArgumentError("actions limit " + std::to_string(limit) + " is not positive");
  }
  return Status::Ok();
}

}  // namespace ksgate::store
