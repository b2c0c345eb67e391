// The security events the App's brute-force limits report (services/security_events.h), seen
// three ways: each counted in the metrics (ksgate_auth_failures_total, ksgate_limited_total),
// passed on to the sink the App was given (by default one log line per limited caller and
// window), and, with an audit log, each limit's first refusal in a window written to it as an
// "auth.limited" event.
//
// Thread-safe. Record does not block unless an audit sink is attached: the events come from
// appToken.startSession and session.start, which then run on store threads (audit.h).
#pragma once

#include "obs/metrics.h"
#include "services/audit.h"
#include "services/security_events.h"

namespace ksgate::app {

class ObservedSecurityEvents final : public services::SecurityEvents {
 public:
  // `next` must outlive *this.
  explicit ObservedSecurityEvents(services::SecurityEvents& next) : next_(next) {}

  // Where events are counted and audited from now on (either may be null). Call before
  // serving; both must outlive *this.
  void Attach(obs::Metrics* metrics, services::AuditSink* audit) {
    metrics_ = metrics;
    audit_ = audit;
  }

  void Record(const services::SecurityEvent& event) override;

 private:
  services::SecurityEvents& next_;
  obs::Metrics* metrics_ = nullptr;
  services::AuditSink* audit_ = nullptr;
};

}  // namespace ksgate::app
