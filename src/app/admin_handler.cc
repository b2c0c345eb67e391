#include "app/admin_handler.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "api/identity.h"
#include "api/metric_actions.h"

namespace ksgate::app {

namespace {

std::string_view PathOf(std::string_view target) {
  // A loop, not find_first_of, which calls memchr once per byte: this runs for every request.
  size_t end = 0;
  while (end < target.size() && target[end] != '?' && target[end] != '#') ++end;
  return target.substr(0, end);
}

api::Response Text(int status, std::string body) {
  api::Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// One admin request (or the 404 of a path not served on this listener).
class AdminExchange final : public api::Exchange {
 public:
  AdminExchange(const AdminHandler& handler, const App& app, api::Request request, bool not_found)
      : handler_(handler), app_(app), request_(std::move(request)), not_found_(not_found) {
    facts_.request_id = api::RequestIdFor(request_);
    facts_.method = request_.method;
    facts_.target = request_.target;
    facts_.client_ip = request_.client_ip;
    facts_.action = not_found ? api::kMetricOther : api::kMetricAdmin;
    facts_.action_name = not_found ? "" : "admin";
  }

  api::Step Advance(Mode mode) override {
    const std::string_view path = PathOf(request_.target);
    if (not_found_) return Answer(Text(404, "Not Found\n"));
    if (request_.method != "GET" && request_.method != "HEAD") {
      api::Response r = Text(405, "Method Not Allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return Answer(std::move(r));
    }
    if (path == "/healthz") return Answer(Text(200, "ok\n"));
    if (path == "/metrics") {
      api::Response r = Text(200, app_.metrics().Expose());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return Answer(std::move(r));
    }
    // /readyz: the probe may wait for the database.
    if (mode == Mode::kInline) return api::Step::NeedsStore(api::Step::Lane::kRead);
    const std::string problem = handler_.ReadinessProblem();
    if (problem.empty()) return Answer(Text(200, "ready\n"));
    return Answer(Text(503, "not ready: " + problem + "\n"));
  }
  void Deliver(api::UpstreamAnswer) override {}
  api::Response UpstreamFailed(api::UpstreamFailure) override { return {}; }
  api::Response Overloaded() override {
    return Answer(Text(503, "not ready: the store queue is full\n")).response;
  }
  api::Response StoreFailed() override { return Overloaded(); }  // it never writes
  const api::RequestFacts* facts() const override { return &facts_; }

 private:
  api::Step Answer(api::Response response) {
    facts_.code = response.status < 400 ? "ok" : "none";
    return api::Step::Respond(std::move(response));
  }

  const AdminHandler& handler_;
  const App& app_;
  api::Request request_;
  const bool not_found_;
  api::RequestFacts facts_;
};

}  // namespace

struct AdminHandler::Probe {
  std::mutex mu;
  std::chrono::steady_clock::time_point at{};  // guarded by mu: when `problem` was found
  bool done = false;                           // guarded by mu
  std::string problem;                         // guarded by mu
};

AdminHandler::AdminHandler(App& app, AdminPaths paths)
    : app_(app), paths_(paths), probe_(std::make_unique<Probe>()) {}

AdminHandler::~AdminHandler() = default;

std::unique_ptr<api::Exchange> AdminHandler::Begin(api::Request&& request) const {
  const bool serve = paths_ == AdminPaths::kServe && api::IsAdminTarget(request.target);
  return std::make_unique<AdminExchange>(*this, app_, std::move(request), !serve);
}

api::Response AdminHandler::Reject(const api::Request&, std::string_view, uint64_t) const {
  api::Response r = Text(400, "Bad Request\n");
  r.headers.emplace_back("X-Request-Id", api::NewRequestId());
  return r;
}

std::string AdminHandler::ReadinessProblem() const {
  // The cache's freshness is a clock comparison: always current.
  if (std::string reason = app_.NotReadyReason(); !reason.empty()) return reason;
  // One probe at a time; callers meanwhile wait for its answer rather than send their own.
  std::lock_guard lock(probe_->mu);
  const auto now = std::chrono::steady_clock::now();
  if (probe_->done && now - probe_->at < kProbeInterval) return probe_->problem;
  // A read of the backend itself (the cache would answer from memory): a partner that does not
  // exist is a fine answer; anything else means the store cannot serve.
  Result<store::Partner> read = app_.backend().GetPartner(0);
  if (read.ok() || read.error().code() == StatusCode::kNotFound) {
    probe_->problem.clear();
  } else {
    spdlog::warn("readiness probe: the store failed: {}", read.error().ToString());
    probe_->problem =
        "the store failed a probe (" + std::string(StatusCodeName(read.error().code())) + ")";
  }
  probe_->done = true;
  probe_->at = std::chrono::steady_clock::now();
  return probe_->problem;
}

}  // namespace ksgate::app
