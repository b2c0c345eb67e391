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
  std::string body;
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
};

// Begin and Reject are called concurrently from every I/O thread, so implementations must be
// thread-safe. They must not block. An exception thrown by any method of the handler or an
// exchange is logged by the HTTP layer and answered with HTTP 500.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // The exchange that serves a request read whole (request.body is decoded: no chunking).
  // Nothing runs until its first Advance.
  virtual std::unique_ptr<Exchange> Begin(Request request) const = 0;

  // The answer to a request refused before it was read whole, because it broke a limit:
  // `limit` is "header_limit" or "body_limit" and `max` that limit's value. partial.method and
  // partial.target are filled when the request line could be read (so the answer can honour
  // format=1); content_type may be; body and headers are always empty. The HTTP layer sends
  // the answer with "Connection: close" and closes without reading the rest of the request.
  virtual Response Reject(const Request& partial, std::string_view limit, uint64_t max) const = 0;
};

}  // namespace ksgate::api
