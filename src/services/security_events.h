// SecurityEvents: where ksgate reports what matters to an operator watching for attacks — a
// credential that did not check out, a caller refused by a brute-force limit. The App counts
// them in its metrics and writes limits engaging to the audit log (app/observed_events.h), then
// hands them to the sink it was given (app/app.h AppOptions::security_events); the default,
// LogSecurityEvents, writes a log line per limited caller and window (docs/security.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace ksgate::services {

// The credential an attempt presented.
enum class Credential {
  kAppTokenHash,   // appToken.startSession: the tokenHash
  kSessionSecret,  // session.start: an admin or user secret
};

// The bucket a brute-force limit keeps (services/failure_limiter.h).
enum class LimitScope {
  kAddress,  // the client address (IPv6: its /64)
  kToken,    // one app token
  kPartner,  // one partner's secrets
};

struct SecurityEvent {
  enum class Kind {
    kAuthFailure,  // a credential did not check out (counted by the limits)
    kLimited,      // an attempt was refused before checking: a limit is exhausted
  };
  Kind kind = Kind::kAuthFailure;
  Credential credential = Credential::kSessionSecret;
  std::string_view client_ip;  // as the request came (X-Forwarded-For already applied)
  int64_t partner_id = 0;      // the partner named by the attempt (it may not exist)
  std::string_view token_id;   // kAppTokenHash only
  // kLimited: the limit that refused, and whether this is the first refusal of that bucket in
  // the current log window (FailureLimits::log_window) — what a log line should be written for.
  LimitScope scope = LimitScope::kAddress;
  bool first_in_window = false;
};

// Receives security events. Called on the thread serving the request, from many threads at
// once: implementations must be thread-safe, must not block (no I/O that can wait; the one
// exception is the App's audit log, which the calls that report these events make possible by
// running on store threads when it is on), and must not throw. The views in an event live only
// during the call. Nothing here is a secret: events never carry a secret, a token value, a hash
// or a KS.
class SecurityEvents {
 public:
  virtual ~SecurityEvents() = default;
  virtual void Record(const SecurityEvent& event) = 0;
};

// The default sink: one spdlog warning for each kLimited event that is first in its window
// ("brute-force limit: session.start from 192.0.2.7 refused (per-address limit), partner 12"),
// nothing for the rest. Thread-safe.
class LogSecurityEvents final : public SecurityEvents {
 public:
  void Record(const SecurityEvent& event) override;
};

// "address", "token", "partner".
std::string_view ScopeName(LimitScope scope);
// "appToken.startSession", "session.start".
std::string_view ActionOf(Credential credential);

}  // namespace ksgate::services
