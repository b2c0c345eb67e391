#include "app/observed_events.h"

#include <string>

namespace ksgate::app {

namespace {

obs::Credential CredentialOf(services::Credential credential) {
  return credential == services::Credential::kAppTokenHash ? obs::Credential::kAppTokenHash
                                                           : obs::Credential::kSessionSecret;
}

obs::LimitScope ScopeOf(services::LimitScope scope) {
  switch (scope) {
    case services::LimitScope::kAddress:
      return obs::LimitScope::kAddress;
    case services::LimitScope::kToken:
      return obs::LimitScope::kToken;
    case services::LimitScope::kPartner:
      return obs::LimitScope::kPartner;
  }
  return obs::LimitScope::kAddress;
}

}  // namespace

void ObservedSecurityEvents::Record(const services::SecurityEvent& event) {
  const bool limited = event.kind == services::SecurityEvent::Kind::kLimited;
  if (metrics_ != nullptr) {
    if (limited) {
      metrics_->CountLimited(CredentialOf(event.credential), ScopeOf(event.scope));
    } else {
      metrics_->CountAuthFailure(CredentialOf(event.credential));
    }
  }
  next_.Record(event);
  // Each refused attempt is audited by its own action (its error says ACTION_BLOCKED); this
  // line says when a limit engaged, once per bucket and window.
  if (audit_ == nullptr || !limited || !event.first_in_window) return;
  services::AuditEvent audit{.action = "auth.limited",
                             .error = std::string(errors::kActionBlocked.code),
                             .partner_id = event.partner_id};
  audit.details = {services::AuditString("credentialOf", services::ActionOf(event.credential)),
                   services::AuditString("scope", services::ScopeName(event.scope)),
                   services::AuditString("clientIp", event.client_ip)};
  if (event.credential == services::Credential::kAppTokenHash) {
    audit.object_type = "appToken";
    audit.object_id = ClipEcho(event.token_id);
  }
  audit_->Record(audit);
}

}  // namespace ksgate::app
