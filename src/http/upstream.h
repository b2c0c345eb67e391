// UpstreamClient: how the gate talks to the upstream services behind it — one client per I/O
// thread, with keep-alive connections pooled per upstream and reused by that thread's requests.
// Internal to http/ (it speaks Asio types): included by server.cc and upstream.cc only.
//
// Every operation is bounded by UpstreamOptions::timeout (connect, send, the answer's head, and
// each read of its body), so a slow, dead or hostile upstream costs its own requests only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/handler.h"
#include "http/asio_types.h"

namespace ksgate::http {

// Where an upstream is, as the HTTP layer connects to it. Index i is the upstream that
// api::UpstreamRequest::upstream == i names.
struct UpstreamEndpoint {
  std::string host;  // numeric IPv4/IPv6 address or a name resolved when the client starts
  uint16_t port = 80;
};

struct UpstreamOptions {
  // Bound on connecting, on sending a request, on receiving the answer's status line and
  // headers, and on each read of the answer's body. Default 30 s.
  std::chrono::milliseconds timeout{30000};
  // Idle keep-alive connections kept per upstream (per I/O thread); more are closed.
  size_t max_idle_per_upstream = 32;
  // Largest answer body a Fetch accepts (multirequest items); larger is kBadAnswer.
  size_t fetch_limit = 1024 * 1024;
  // Largest answer head (status line and header fields) accepted.
  size_t header_limit = 16 * 1024;
};

// How a Relay ended.
struct RelayOutcome {
  // kNone when the answer, or part of it, reached the client; otherwise why nothing did (the
  // caller then answers the client itself).
  api::UpstreamFailure failure = api::UpstreamFailure::kNone;
  // True when the whole answer was relayed and the client connection may serve another request.
  bool client_reusable = false;
};

class UpstreamClient {
 public:
  // `endpoints` are resolved on first use of each; the client lives on `executor`'s thread
  // and is used from that thread only. Not thread-safe.
  UpstreamClient(Executor executor, std::vector<UpstreamEndpoint> endpoints,
                 UpstreamOptions options);
  ~UpstreamClient();

  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Sends `request` (HTTP/1.1, with Host, Content-Length and keep-alive added) and returns the
  // upstream's whole answer: status, Content-Type and body (chunked encoding removed). A broken
  // pooled connection is retried once on a fresh one when nothing of the answer was read.
  // Failures are reported in the answer, never thrown: kUnavailable (cannot connect, reset),
  // kTimeout, kBadAnswer (not HTTP, head or body over the limits).
  Task<api::UpstreamAnswer> Fetch(const api::UpstreamRequest& request);

  // Sends `request` and relays the upstream's answer to `client` as it arrives: the status line
  // and header fields (hop-by-hop fields dropped: Connection, Keep-Alive, Proxy-*, TE, Trailer,
  // Transfer-Encoding, Upgrade), `Connection: keep-alive` or `close` as `client_keep_alive`
  // asks, then the body in pieces as they come (never held whole: at most one read buffer),
  // framed by Content-Length when the upstream gave one, else chunked (close-delimited for
  // HTTP/1.0 clients is not supported: the client connection is closed after the body). With
  // `head_only` (the client sent HEAD) no body is written. `client`'s own timeout is set for
  // each write from `client_write_timeout`.
  Task<RelayOutcome> Relay(const api::UpstreamRequest& request, Stream& client,
                           bool client_keep_alive, bool head_only,
                           std::chrono::seconds client_write_timeout);

  // Closes every pooled connection (shutdown).
  void CloseIdle();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ksgate::http
