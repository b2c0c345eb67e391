// AuditLogSink: the services' audit events (services/audit.h) as lines of the audit log
// (obs/audit_log.h), one JSON object per event, in the schema docs/operations.md documents:
//
//   {"time":"2025-01-31T12:00:00.123456Z","event":"appToken.update","outcome":"success",
//    "request_id":"…","client_ip":"…","actor":{"type":"ks","partnerId":12,"userId":"admin",
//    "sessionType":2,"ks":"hmac-sha256:…"},"partnerId":12,
//    "object":{"type":"appToken","id":"0_abc"},"before":{…},"after":{…},"details":{…}}
//
// `outcome` is "success" or "failure" (then "error" is the code). The actor is the request's
// caller (obs RequestContext): {"type":"ks",…} with a KS, {"type":"anonymous"} without one, or
// {"type":"operator","user":…,"uid":…} outside any request (the CLI). Secret fields are written
// as "hmac-sha256:<hex>" under the install's audit key, never as they are.
//
// Thread-safe. Record writes before returning (it may wait for the disk); a failed write is
// logged and counted in the metrics (ksgate_audit_write_failures_total), and the action still
// answers. Inside the SQLite writer's batch (store::InsideUncommittedBatch) the line is written
// once the batch ended, before the action answers: as recorded if the batch committed, else
// with the error INTERNAL_DATABASE_ERROR, which is then what the action answers too.
#pragma once

#include <string>
#include <string_view>

#include "obs/audit_log.h"
#include "obs/metrics.h"
#include "services/audit.h"

namespace ksgate::app {

class AuditLogSink final : public services::AuditSink {
 public:
  // `log` (and `metrics`, when given) must outlive *this.
  explicit AuditLogSink(obs::AuditLog& log, obs::Metrics* metrics = nullptr)
      : log_(log), metrics_(metrics) {}

  // Where write failures are counted from now on; call before serving.
  void set_metrics(obs::Metrics* metrics) { metrics_ = metrics; }

  void Record(const services::AuditEvent& event) override;

  // The line Record would write for `event`, now (without the newline).
  std::string Format(const services::AuditEvent& event) const;

 private:
  void Write(const std::string& line, std::string_view action);

  obs::AuditLog& log_;
  obs::Metrics* metrics_;
};

}  // namespace ksgate::app
