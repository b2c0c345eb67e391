// AdminHandler: the operator's endpoints, in front of the API (docs/operations.md "Metrics",
// "Health"):
//
//   GET /metrics  200, every metric in the Prometheus text format (obs/metrics.h)
//   GET /healthz  200 "ok": the process is alive and serving
//   GET /readyz   200 "ready" when the store answers a probe (run on a store thread, never on
//                 an I/O thread) and the cache is fresh (App::NotReadyReason); else 503
//                 "not ready: <reason>". A probe's answer is reused for kProbeInterval.
//
// HEAD works as GET; other methods get 405. The paths are exact (a query string is ignored):
// nothing under /api_v3 or /ksgate is ever taken. Nothing they answer is a secret. Every answer
// carries X-Request-Id (from the exchange's facts, as the HTTP layer writes it).
//
// The HTTP layer routes these paths here (http::ServerOptions::admin_handler, api::IsAdminTarget)
// so that the API's requests never pass through this handler.
//
// Thread-safe, as api::RequestHandler requires. The App must outlive *this.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "api/handler.h"
#include "app/app.h"

namespace ksgate::app {

// Whether this handler answers the admin paths.
enum class AdminPaths {
  kServe,  // it does, and every other path is 404 (a listener of the admin paths alone, or,
           // as http::ServerOptions::admin_handler, beside the API on the main listener)
  kHide,   // every path is 404 (the main listener's admin_handler when --admin-listen is set)
};

// How long a readiness probe's answer is reused: a load balancer polling every second costs
// the database one query a second however many of them there are.
inline constexpr std::chrono::milliseconds kProbeInterval{1000};

class AdminHandler final : public api::RequestHandler {
 public:
  AdminHandler(App& app, AdminPaths paths);
  ~AdminHandler() override;

  std::unique_ptr<api::Exchange> Begin(api::Request&& request) const override;
  api::Response Reject(const api::Request& partial, std::string_view limit,
                       uint64_t max) const override;

  // Why the node is not ready ("" when it is): the cache's freshness, then a store probe,
  // reused for kProbeInterval. May wait for the store: call on a thread that may wait.
  std::string ReadinessProblem() const;

 private:
  struct Probe;

  App& app_;
  const AdminPaths paths_;
  std::unique_ptr<Probe> probe_;
};

}  // namespace ksgate::app
