// api::RequestHandler: what the HTTP layer asks of the API for every request, free of any HTTP
// library type. The Dispatcher implements it; http::Server drives it.
//
// A request is served as an Exchange, a small state machine the HTTP layer advances step by
// step, so that no I/O thread ever waits: work that needs the database runs on a thread that
// may wait for it, and calls to upstream services are made asynchronously by the HTTP layer.
//
//   std::unique_ptr<Exchange> ex = handler.Begin(std::move(request));
//   Step step = ex->Advance(Exchange::Mode::kInline);            // on the I/O thread
//   loop:
//     kRespond:    write step.response; done
//     kNeedsStore: step = ex->Advance(Exchange::Mode::kMayBlock) // on a store thread
//     kFetch:      ex->Deliver(<upstream's whole answer>); step = ex->Advance(kInline)
//     kForward:    relay the upstream's answer to the client; done. If it fails before any
//                  byte reached the client, write ex->UpstreamFailed(reason) instead.
//   A store executor that cannot take the work: write ex->Overloaded().
//   A write step run inside the store writer's batch (store::WriteLane) whose COMMIT failed:
//   write ex->StoreFailed() instead of the step it returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/request.h"
#include "api/response.h"

namespace ksgate::api {

// A request for an upstream service, as the gate sends it.
struct UpstreamRequest {
  // Where the upstream is (api/gateway.h Upstream): a numeric address or a name, and a port. The
  // request names it itself, so that the upstreams may be reloaded while requests are in flight.
  std::string host;
  uint16_t port = 80;
  std::string method;
  std::string target;  // path and query, as sent upstream
  // Header fields to send besides Host, Content-Length and Connection, which the HTTP layer
  // sets itself.
  std::vector<std::pair<std::string, std::string>> headers;
  // More header lines, "Name: value\r\n" each, sent as they are after `headers`: those the gate
  // writes itself (api/identity.h AppendIdentityLines), valid by construction.
  std::string head_lines;
  std::string body;
  // Header fields the gate adds to a relayed answer (kForward), replacing the upstream's
  // fields of the same names: X-Request-Id.
  std::vector<std::pair<std::string, std::string>> response_headers;
  // Where the upstream's calls are counted: its index among the upstreams of start-up (the
  // metrics' upstream labels, api/metric_actions.h); SIZE_MAX for one a reload added (uncounted).
  size_t metric_upstream = SIZE_MAX;
};

// Why an upstream call failed.
enum class UpstreamFailure {
  kNone,
  kUnavailable,  // refused, unreachable, or the connection broke before an answer
  kTimeout,      // no (complete) answer within the upstream timeout
  kBadAnswer,    // not HTTP, or an answer over the size limit
};

// An upstream's whole answer to a kFetch step.
struct UpstreamAnswer {
  UpstreamFailure failure = UpstreamFailure::kNone;
  int status = 0;
  std::string content_type;
  std::string body;
};

struct Step {
  enum class Kind { kRespond, kNeedsStore, kFetch, kForward };
  // kNeedsStore: whether the work will write (writers may wait for locks and fsyncs; the HTTP
  // layer runs them on threads of their own so that they never hold readers up).
  enum class Lane { kRead, kWrite };
  Kind kind = Kind::kRespond;
  Response response;         // kRespond
  UpstreamRequest upstream;  // kFetch, kForward
  Lane lane = Lane::kRead;   // kNeedsStore

  static Step Respond(Response r) { return Step{Kind::kRespond, std::move(r), {}, Lane::kRead}; }
  static Step NeedsStore(Lane lane) { return Step{Kind::kNeedsStore, {}, {}, lane}; }
};

// What the access log and the metrics learn about a request from the exchange serving it,
// filled in as it goes and read by the HTTP layer once the answer is written (obs/).
struct RequestFacts {
  // The request's id (api/identity.h RequestIdFor): the HTTP layer sends it back as the
  // answer's X-Request-Id (an exchange does not add that field itself).
  std::string request_id;
  // The request's method, target (as received) and client address: views into the exchange's
  // own copy of the request, valid while the exchange lives.
  std::string_view method;
  std::string_view target;
  std::string_view client_ip;
  // The call: an index into the metrics' action labels (api/metric_actions.h) and that label
  // ("session.start", "multirequest", ...; empty when nothing was resolved).
  size_t action = 0;
  std::string_view action_name;
  size_t items = 0;          // a multirequest's items
  int64_t partner_id = 0;    // the partner acted for; 0 when none
  std::string app_token_id;  // the app token behind the KS, or the one exchanged
  // "ok", the Kaltura error code of the answer, "forwarded" (an upstream's answer relayed
  // unread) or "none" (no API answer).
  std::string code = "none";
};

// One request in progress. Not thread-safe: the HTTP layer calls it from one thread at a time
// (the I/O thread, or a store thread while the connection waits), never concurrently.
class Exchange {
 public:
  enum class Mode {
    kInline,    // on an I/O thread: must not wait for a database (answers kNeedsStore instead)
    kMayBlock,  // on a store thread: may wait for the database
  };

  virtual ~Exchange() = default;

  // Serves the request as far as it can go in `mode`: the next thing the HTTP layer must do.
  virtual Step Advance(Mode mode) = 0;
  // The upstream's answer to the last kFetch step. Call Advance next.
  virtual void Deliver(UpstreamAnswer answer) = 0;
  // The answer to send when a kForward step failed before any byte reached the client.
  virtual Response UpstreamFailed(UpstreamFailure failure) = 0;
  // The answer to send when the store executor's queue was full (the work was not done).
  virtual Response Overloaded() = 0;
  // The answer to send when the exchange ran on the store's writer inside a batch whose COMMIT
  // failed, after it had advanced (or before it could): nothing it wrote was kept, so no result
  // of it may be reported as done.
  virtual Response StoreFailed() = 0;
  // What the exchange learned about its request so far; null if it keeps nothing.
  virtual const RequestFacts* facts() const { return nullptr; }
};

// Begin and Reject are called concurrently from every I/O thread, so implementations must be
// thread-safe. They must not block. An exception thrown by any method of the handler or an
// exchange is logged by the HTTP layer and answered with HTTP 500.
// True if `target`'s path (before any '?' or '#') is exactly /metrics, /healthz or /readyz:
// the operator's endpoints (app/admin_handler.h), which the HTTP layer hands to a handler of
// their own (http::ServerOptions::admin_handler). Answers most targets at their second byte.
inline bool IsAdminTarget(std::string_view target) {
  if (target.size() < 7 || target[0] != '/' ||
      (target[1] != 'm' && target[1] != 'h' && target[1] != 'r')) {
    return false;
  }
  size_t end = 0;
  while (end < target.size() && target[end] != '?' && target[end] != '#') ++end;
  const std::string_view path = target.substr(0, end);
  return path == "/metrics" || path == "/healthz" || path == "/readyz";
}

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // The exchange that serves a request read whole (request.body is decoded: no chunking); it
  // takes the request's contents (moved, not copied: a request is moved once, into its
  // exchange). Nothing runs until its first Advance.
  virtual std::unique_ptr<Exchange> Begin(Request&& request) const = 0;

  // The answer to a request refused before it was read whole, because it broke a limit:
  // `limit` is "header_limit" or "body_limit" and `max` that limit's value. partial.method and
  // partial.target are filled when the request line could be read (so the answer can honour
  // format=1); content_type may be; body and headers are always empty. The HTTP layer sends
  // the answer with "Connection: close" and closes without reading the rest of the request.
  virtual Response Reject(const Request& partial, std::string_view limit, uint64_t max) const = 0;
};

}  // namespace ksgate::api
