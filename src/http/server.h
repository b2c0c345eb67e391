// http::Server: an HTTP/1.0 and HTTP/1.1 server that turns each request into an api::Request,
// asks a RequestHandler for an api::Response and writes it back. It knows nothing of Kaltura.
//
//   MyHandler handler;
//   http::Server server({.host = "0.0.0.0", .port = 8080}, handler);
//   if (Status s = server.Listen(); !s.ok()) return Fail(s);
//   server.HandleSignals();  // SIGINT / SIGTERM -> Shutdown()
//   server.Run();            // blocks until Shutdown() has completed
//
// Threading: N I/O threads, each running its own event loop, and one more thread that accepts
// connections, closes at once those over a limit (HttpLimits::max_connections,
// max_connections_per_address), hands the rest out round-robin, and gives the heap freed by
// closed connections back to the system. A connection then lives on one I/O thread for its
// whole life, and its requests are served one at a time, in order (pipelined requests are read
// one message at a time, so at most one request per connection is ever buffered beyond the
// kernel's socket buffer). Each request is an api::Exchange the connection's coroutine advances
// (api/handler.h): inline on the I/O thread first; on a thread of the store executor when it
// needs the database, the coroutine waiting without holding its I/O thread; and around
// asynchronous calls to upstream services. No I/O thread ever waits for a database or an
// upstream. Plain and TLS connections are served alike (ServerOptions::tls_cert_file).
//
// Only this layer sees Boost.Beast / Asio; they stay inside server.cc and upstream.cc (and
// OpenSSL's TLS inside server.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/handler.h"
#include "api/request.h"
#include "api/response.h"
#include "common/status.h"
#include "http/limits.h"
#include "http/upstream_options.h"
#include "obs/access_log.h"
#include "obs/metrics.h"

namespace ksgate::http {

struct ServerOptions {
  // Numeric IPv4 or IPv6 address to listen on ("0.0.0.0", "::", "127.0.0.1"). No name lookup.
  std::string host = "127.0.0.1";
  // TCP port; 0 picks a free one (read it back with Server::port()).
  uint16_t port = 8080;
  // I/O threads; 0 means std::thread::hardware_concurrency() (at least 1).
  int threads = 0;
  HttpLimits limits;
  // Peers allowed to name the client in X-Forwarded-For: exact addresses ("10.0.0.7", "::1")
  // and CIDR blocks ("10.0.0.0/8", "fd00::/8"; an IPv6 block holds no IPv4 peer, as in
  // common/ip_address.h). When the peer is one, client_ip is the rightmost X-Forwarded-For
  // address that is not itself trusted (all trusted: the leftmost; an entry that is not an IP
  // address ends the walk at the last good one). From any other peer the header is ignored and
  // client_ip is the peer's address. The rule is http/client_address.h's ClientAddress.
  std::vector<std::string> trusted_proxies;
  // How the gate's upstream services are called: one pooled client per I/O thread (upstream.h),
  // for whichever upstream each api::UpstreamRequest names.
  UpstreamOptions upstream;
  // Native TLS: the PEM files of the certificate chain (the server's certificate first) and of
  // its private key. TLS 1.2 and 1.3 only; TLS 1.2 with ECDHE and AEAD cipher suites only; no
  // renegotiation; ALPN "http/1.1" when the client offers it. Both empty (the default): plain
  // HTTP, as behind a TLS-terminating proxy. Read once, by Listen().
  std::string tls_cert_file;
  std::string tls_key_file;
  // The store executor: threads that run what may wait for the database
  // (api::Step::kNeedsStore) — reads on `store_threads`, writes on `store_write_threads` of
  // their own, so that writers held up by a lock never keep readers waiting — and how many such
  // tasks may be queued or running at once (both lanes together); past that, the request is
  // answered at once with api::Exchange::Overloaded().
  int store_threads = 8;
  int store_write_threads = 4;
  size_t store_queue = 1024;
  // The store's writer, when every write goes through one thread in group-committed batches
  // (SQLite: store::WriteLane). A write step then runs on that thread, inside its batch, instead
  // of on a write thread that would wait for the commit; it is answered once the batch
  // committed, or with api::Exchange::StoreFailed() when the batch failed (`done(false)`).
  // `submit` returns false when the writer's queue is full: answered with Overloaded(). Empty:
  // the write threads.
  std::function<bool(std::function<void()> task, std::function<void(bool committed)> done)>
      store_writer;
  // Answers wait for the handlers already queued on their I/O thread (the other connections
  // that were ready in the same reactor batch) and then go out one after another, as h2o
  // writes at the end of its loop's turn, instead of each as soon as it is made. A client
  // thread that sleeps until an answer comes is then woken once for the batch rather than once
  // per answer: on a loaded server each wake-up is an interrupt between CPUs, dear under
  // virtualisation (docs/benchmarks.md, "Results: stop 23": appToken.startSession from 0.36-0.39
  // of nginx to 0.55-0.58). The cost: one post per answer (about 1,100 instructions), and an
  // answer waits for at most the rest of its batch (the handlers ready with it, each bounded
  // by the work a request may do on an I/O thread). False: each answer is written at once.
  bool batch_answers = true;
  // Observability (obs/), each optional and owned by the caller, which keeps it alive while the
  // server runs: `access_log` gets one line per request answered (written by its own thread;
  // the I/O thread only queues it); `metrics` counts each request by the action and result code
  // its exchange reports (api::RequestFacts) with its latency, the time requests spend on store
  // threads, store queue overflows, and every upstream call's duration and failure.
  obs::AccessLog* access_log = nullptr;
  obs::Metrics* metrics = nullptr;
  // The operator's endpoints (api::IsAdminTarget: /metrics, /healthz, /readyz) go to this
  // handler instead of the main one (which then never sees them); null: the main handler gets
  // every path. Must outlive *this. Requests refused before they are read whole still go to the
  // main handler's Reject.
  const api::RequestHandler* admin_handler = nullptr;
};

// Raises this process's soft limit on open files (RLIMIT_NOFILE) to its hard limit: each
// connection holds a file descriptor, and the usual soft limit (1024) is far below
// HttpLimits::max_connections. Returns the soft limit in force afterwards (the old one if it
// could not be raised). Thread-safe, but meant for the start of main().
uint64_t RaiseOpenFileLimit();

class Server {
 public:
  // handler must outlive *this. Nothing is bound until Listen().
  Server(ServerOptions options, const api::RequestHandler& handler);
  // Must not run while Run() is running: call Shutdown() and wait for Run() to return first.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Returns OK, or
  //   kInvalidArgument: host is not a numeric IP address, the address is not local, a
  //                     trusted_proxies entry is not an address or CIDR block, only one of the
  //                     TLS files is given, or one cannot be read, is not PEM, or the key does
  //                     not match the certificate;
  //   kUnavailable:     the port is taken;
  //   kPermissionDenied: binding the port needs privileges;
  //   kInternal:        any other socket error, or Listen() was already called successfully.
  // On failure nothing stays bound and Listen() may be called again. Not thread-safe.
  Status Listen();

  // The bound port after a successful Listen() (the real one when options.port was 0), else 0.
  uint16_t port() const;

  // Serves until Shutdown() has completed, using options.threads I/O threads of which the
  // calling thread is one, plus the accepting thread. Returns at once (logging an error) if
  // Listen() has not succeeded.
  // Call it once.
  void Run();

  // Starts a graceful shutdown and returns at once: stop accepting (new connections are
  // refused), close idle keep-alive connections, let requests in flight finish and be answered
  // with "Connection: close" for up to limits.shutdown_grace, then close what is left (client
  // connections and upstream calls in progress); Run() then returns once the coroutines have
  // unwound (a handler running on a store thread is waited for: it cannot be interrupted).
  // Thread-safe, idempotent, may be called before Run() (Run() then returns promptly) and from a
  // handler. Not async-signal-safe: from a signal use HandleSignals().
  void Shutdown();

  // Connections open now, and store tasks queued or running now (gauges for the metrics).
  // Thread-safe.
  size_t open_connections() const;
  size_t store_queue_depth() const;

  // Makes SIGINT and SIGTERM call Shutdown(). Once shutdown starts the default dispositions
  // come back, so a second signal ends the process. Call it before Run(), at most once.
  void HandleSignals();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ksgate::http
