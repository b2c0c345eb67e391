#include "services/security_events.h"

#include <spdlog/spdlog.h>

namespace ksgate::services {

namespace {

// A token id fit for a log line: it comes from the caller, so anything but a plausible id (1-64
// letters, digits and '_') is not written as sent.
std::string_view LoggableId(std::string_view id) {
  if (id.empty() || id.size() > 64) return "(malformed)";
  for (char c : id) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!ok) return "(malformed)";
  }
  return id;
}

}  // namespace

std::string_view ScopeName(LimitScope scope) {
  switch (scope) {
    case LimitScope::kAddress:
      return "address";
    case LimitScope::kToken:
      return "token";
    case LimitScope::kPartner:
      return "partner";
  }
  return "?";
}

std::string_view ActionOf(Credential credential) {
  return credential == Credential::kAppTokenHash ? "appToken.startSession" : "session.start";
}

void LogSecurityEvents::Record(const SecurityEvent& event) {
  if (event.kind != SecurityEvent::Kind::kLimited || !event.first_in_window) return;
  if (event.credential == Credential::kAppTokenHash) {
    spdlog::warn("brute-force limit: {} from {} refused (per-{} limit), partner {} token {}",
                 ActionOf(event.credential), event.client_ip, ScopeName(event.scope),
                 event.partner_id, LoggableId(event.token_id));
  } else {
    spdlog::warn("brute-force limit: {} from {} refused (per-{} limit), partner {}",
                 ActionOf(event.credential), event.client_ip, ScopeName(event.scope),
                 event.partner_id);
  }
}

}  // namespace ksgate::services
