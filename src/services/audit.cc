#include "services/audit.h"

#include <utility>

namespace ksgate::services {

AuditField AuditString(std::string name, std::string_view value) {
  AuditField f{.name = std::move(name), .kind = AuditField::Kind::kString};
  f.text = std::string(value);
  return f;
}

AuditField AuditInt(std::string name, int64_t value) {
  return AuditField{.name = std::move(name), .kind = AuditField::Kind::kInt, .number = value};
}

AuditField AuditBool(std::string name, bool value) {
  return AuditField{.name = std::move(name), .kind = AuditField::Kind::kBool, .number = value};
}

AuditField AuditSecret(std::string name, std::string_view value) {
  AuditField f{.name = std::move(name), .kind = AuditField::Kind::kSecret};
  f.text = std::string(value);
  return f;
}

AuditField AuditOptional(std::string name, const std::optional<std::string>& value) {
  if (!value) return AuditField{.name = std::move(name), .kind = AuditField::Kind::kNull};
  return AuditString(std::move(name), *value);
}

AuditField AuditOptional(std::string name, const std::optional<int64_t>& value) {
  if (!value) return AuditField{.name = std::move(name), .kind = AuditField::Kind::kNull};
  return AuditInt(std::move(name), *value);
}

AuditFields AuditFieldsOf(const store::Partner& p) {
  AuditFields fields;
  fields.push_back(AuditInt("id", p.id));
  fields.push_back(AuditString("name", p.name));
  fields.push_back(
      AuditString("status", p.status == store::PartnerStatus::kActive ? "active" : "blocked"));
  fields.push_back(AuditInt("ksVersion", p.ks_version));
  fields.push_back(AuditInt("ksMaxExpiry", p.ks_max_expiry));
  fields.push_back(AuditField{
      .name = "adminSecrets", .kind = AuditField::Kind::kSecretList, .list = p.admin_secrets});
  fields.push_back(AuditSecret("secret", p.secret));
  fields.push_back(AuditBool("appTokenPrivilegeCeiling", p.settings.app_token_privilege_ceiling));
  fields.push_back(AuditBool("appTokenShowOnce", p.settings.app_token_show_once));
  fields.push_back(AuditString(
      "userSecretSetrole",
      p.settings.user_secret_setrole == store::UserSecretSetRole::kDeny ? "deny" : "allow"));
  return fields;
}

AuditFields AuditFieldsOf(const store::AppToken& t) {
  auto optional_int = [](const std::optional<int>& v) {
    return v ? std::optional<int64_t>(*v) : std::nullopt;
  };
  AuditFields fields;
  fields.push_back(AuditString("id", t.id));
  fields.push_back(AuditSecret("token", t.token));
  fields.push_back(AuditInt("status", static_cast<int>(t.status)));
  fields.push_back(AuditOptional("expiry", t.expiry));
  fields.push_back(AuditOptional("sessionType", optional_int(t.session_type)));
  fields.push_back(AuditOptional("sessionUserId", t.session_user_id));
  fields.push_back(AuditOptional("sessionDuration", t.session_duration));
  fields.push_back(AuditOptional("sessionPrivileges", t.session_privileges));
  fields.push_back(AuditOptional("hashType", t.hash_type));
  fields.push_back(AuditOptional("description", t.description));
  if (t.previous_token) {
    fields.push_back(AuditSecret("previousToken", *t.previous_token));
  } else {
    fields.push_back(AuditField{.name = "previousToken", .kind = AuditField::Kind::kNull});
  }
  fields.push_back(AuditOptional("previousTokenExpiresAt", t.previous_token_until));
  fields.push_back(AuditOptional("sessionsRevokedBefore", t.sessions_revoked_before));
  fields.push_back(AuditOptional("maxSessions", t.max_sessions));
  fields.push_back(AuditOptional("allowedCidrs", t.allowed_cidrs));
  fields.push_back(AuditOptional("exchangesPerMinute", t.exchanges_per_minute));
  fields.push_back(AuditOptional("maxSessionExpiry", t.max_session_expiry));
  return fields;
}

AuditFields AuditFieldsOf(const store::UserRole& r) {
  AuditFields fields;
  fields.push_back(AuditInt("id", r.id));
  fields.push_back(AuditString("name", r.name));
  fields.push_back(AuditString("systemName", r.system_name));
  fields.push_back(AuditOptional("description", r.description));
  fields.push_back(AuditInt("status", static_cast<int>(r.status)));
  fields.push_back(AuditString("permissionNames", r.permission_names));
  fields.push_back(AuditOptional("tags", r.tags));
  return fields;
}

}  // namespace ksgate::services
