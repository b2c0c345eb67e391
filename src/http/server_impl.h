// Internal to http/: the state of an http::Server, shared by server.cc (listening, accepting,
// shutdown) and connection.cc (a connection's life, one request at a time). Parses Beast and
// Asio: include it from those two files only.
#pragma once

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "api/handler.h"
#include "api/response.h"
#include "common/ip_address.h"
#include "http/connection_quota.h"
#include "http/parsers.h"
#include "http/server.h"
#include "http/tls_context.h"
#include "http/upstream.h"

namespace ksgate::http::server_internal {

using SignalSet = asio::basic_signal_set<Executor>;
using Parser = RequestParser;
using TlsStream = beast::ssl_stream<Stream>;

template <typename S>
constexpr bool kIsTls = std::is_same_v<S, TlsStream>;

// Warnings about refused connections: at most one line per kind per this long.
inline constexpr std::chrono::seconds kWarnInterval{10};

// The connection's peer, computed once per connection.
struct Peer {
  IpAddress address;
  std::string ip;        // address.ToString()
  bool trusted = false;  // may name the client in X-Forwarded-For
};

// No deadline: Connection::deadline while the connection waits for nothing but itself.
inline constexpr std::chrono::steady_clock::time_point kNoDeadline =
    std::chrono::steady_clock::time_point::max();

// How often a worker looks for connections past their deadline (Worker::Sweep): a wait for a
// request ends up to this long after its deadline.
inline constexpr std::chrono::milliseconds kSweepInterval{100};

// One connection's state that shutdown and the worker's sweep need to see. Lives in ServeOn's
// frame; registered with its Worker; touched only on that worker's thread.
struct Connection {
  explicit Connection(Stream& tcp) : tcp(tcp) {}
  Stream& tcp;       // the TCP stream: the connection's stream, or the layer under TLS
  bool idle = true;  // in the handshake, waiting for a request's first byte, or lingering
  // When the connection's wait for a request (its first byte, or the rest of it) must end: past
  // it the worker's sweep cancels the socket's operations, which closes the connection. One
  // deadline per wait, checked by one timer per worker, rather than a timer armed and cancelled
  // on the stream for every read (1,370 of a session.get's 32,500 instructions, with the
  // cancelled wait's trip through the scheduler). kNoDeadline otherwise; the TLS handshake, a
  // write that waits for the socket and the linger before a close use the stream's own timer.
  std::chrono::steady_clock::time_point deadline = kNoDeadline;
};

// A connection's place in the global count and in its address's quota, given back when the
// connection's coroutine frame is destroyed (whether or not it ever ran). Move-only.
class Admission {
 public:
  Admission(std::atomic<size_t>& live, ConnectionQuota* quota, const IpAddress& key)
      : live_(&live), quota_(quota), key_(key) {}
  Admission(Admission&& other) noexcept
      : live_(std::exchange(other.live_, nullptr)),
        quota_(std::exchange(other.quota_, nullptr)),
        key_(other.key_) {}
  Admission& operator=(Admission&&) = delete;
  ~Admission() {
    if (quota_ != nullptr) quota_->Remove(key_);
    if (live_ != nullptr) live_->fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  std::atomic<size_t>* live_;
  ConnectionQuota* quota_;  // null when not counted per address (a trusted proxy)
  IpAddress key_;
};

// A connection the accepting thread hands to a worker.
struct Handoff {
  Socket socket;  // on the worker's io_context
  IpAddress address;
  bool trusted;
  Admission admission;
};

// Counts events of one kind (connections refused, failed accepts) for a warning logged at most
// once per kWarnInterval. Accepting thread only.
struct RateLimitedWarning {
  // Counts one event. Returns the number to report (this one included) when a line is due,
  // else 0.
  size_t Count() {
    ++count;
    const auto now = std::chrono::steady_clock::now();
    if (now - last < kWarnInterval) return 0;
    last = now;
    return std::exchange(count, 0);
  }
  std::chrono::steady_clock::time_point last{};
  size_t count = 0;
};

// One I/O thread: its event loop and the connections that live on it.
struct Worker {
  // Run() returns only once every coroutine has finished, so no frame outlives Run(). Should
  // an io_context still hold frames when destroyed, `connections` (touched by their scope
  // guards) outlives it; the timer and work guard, which need it, go first.
  std::list<Connection*> connections;  // this worker's thread only
  bool stopping = false;               // this worker's thread only
  bool sweeping = false;               // sweep_timer is armed; this worker's thread only
  asio::io_context ioc{1};
  Timer grace_timer{ioc.get_executor()};
  Timer sweep_timer{ioc.get_executor()};
  std::optional<asio::executor_work_guard<Executor>> work;
  std::unique_ptr<UpstreamClient> upstream;  // this worker's thread only
  std::thread thread;
  // Connections handed over by the accepting thread, started by the one task it posts when the
  // inbox was empty (one post per batch, not per connection; the two vectors keep their room).
  std::mutex inbox_mu;
  std::vector<Handoff> inbox;     // guarded by inbox_mu
  std::vector<Handoff> starting;  // this worker's thread only

  // Runs on this worker's thread once Shutdown() has stopped the acceptor: closes idle
  // connections at once and the rest after `grace`.
  void BeginShutdown(std::chrono::milliseconds grace);
  // Arms the sweep unless it is armed: every kSweepInterval while the worker has connections,
  // it cancels the socket operations of each connection past its deadline. (No connections, no
  // wake-ups.)
  void StartSweeping();
  void Sweep();
};

// What the access log and the metrics need to know of a request besides what its exchange
// reports (api::RequestFacts): when it began, and, for a request refused before it had an
// exchange, what could be read of it.
struct RequestRecord {
  std::chrono::steady_clock::time_point started;  // when its first byte was there to read
  std::string method;
  std::string target;
  std::string client_ip;
};

inline api::Response PlainResponse(int status, std::string body) {
  return api::Response{status, "text/plain", std::move(body), {}};
}

// Logs an exception that reached a fence: `where` it was caught, and its what().
void LogException(std::string_view where, const std::exception_ptr& e);

// The completion handler of every co_spawn: the exception fence of style convention 7.
inline auto Fence(const char* what) {
  return [what](std::exception_ptr e) {
    if (e) LogException(what, e);
  };
}

}  // namespace ksgate::http::server_internal

namespace ksgate::http {

class Server::Impl {
 public:
  using Admission = server_internal::Admission;
  using Connection = server_internal::Connection;
  using Handoff = server_internal::Handoff;
  using Parser = server_internal::Parser;
  using Peer = server_internal::Peer;
  using RequestRecord = server_internal::RequestRecord;
  using RateLimitedWarning = server_internal::RateLimitedWarning;
  using SignalSet = server_internal::SignalSet;
  using Worker = server_internal::Worker;

  Impl(ServerOptions options, const api::RequestHandler& handler);
  // Every coroutine has finished when Run() returns, so no store task is left (each holds its
  // worker's io_context open until it has handed its result back).
  ~Impl();

  Status Listen();
  uint16_t port() const { return port_.load(std::memory_order_acquire); }
  size_t open_connections() const { return live_connections_.load(std::memory_order_relaxed); }
  size_t store_queue_depth() const { return store_tasks_.load(std::memory_order_relaxed); }
  void Run();
  void Shutdown();
  void HandleSignals();

 private:
  // Scope of one connection in ServeOn: its registration with its worker.
  class ConnectionScope {
   public:
    ConnectionScope(Worker& worker, Connection& connection)
        : worker_(worker), it_(worker.connections.insert(worker.connections.end(), &connection)) {
      worker_.StartSweeping();
    }
    ~ConnectionScope() {
      worker_.connections.erase(it_);
      if (worker_.stopping && worker_.connections.empty()) {
        worker_.grace_timer.cancel();
        worker_.sweep_timer.cancel();
      }
    }
    ConnectionScope(const ConnectionScope&) = delete;
    ConnectionScope& operator=(const ConnectionScope&) = delete;

   private:
    Worker& worker_;
    std::list<Connection*>::iterator it_;
  };

  Task<> Accept();
  // Takes one accepted socket: closes it at once when over a limit, else spawns its Serve.
  void Admit(int fd, const sockaddr_storage& peer);
  void StartHandedOff(Worker& worker);
  Task<> Serve(Worker& worker, Socket socket, IpAddress address, bool trusted, Admission admission);
  // The connection's life on stream `S` (Stream, or TlsStream: the handshake first).
  template <typename S>
  Task<> ServeOn(Worker& worker, S& stream, const Peer& peer);
  template <typename S>
  Task<> Refuse(Connection& connection, S& stream, ClientWriter& writer, Parser& parser,
                const beast::flat_buffer& buffer, const Peer& peer, error_code ec,
                RequestRecord record);
  // Ends the connection after an answer with "Connection: close". Plain: half-closes and, with
  // `linger`, reads and drops what the client still sends until it closes, the linger timeout
  // passes or shutdown begins, so the answer is not destroyed by a reset. TLS: close_notify,
  // then waits for the client's for at most the linger timeout.
  template <typename S>
  Task<> EndConnection(Connection& connection, S& stream, bool linger);
  // `request_id`, when not empty, goes out as X-Request-Id (api::RequestFacts::request_id).
  Task<bool> Write(ClientWriter& writer, api::Response response, bool keep_alive, bool head_only,
                   std::string_view request_id = {});
  // Gives heap freed by closed connections back to the system (glibc keeps it otherwise).
  Task<> ReturnMemory();

  // How serving one request ended, for the connection loop.
  enum class Served {
    kLost,       // the connection failed: close it silently
    kKeepAlive,  // answered with "Connection: keep-alive": read the next request
    kClose,      // answered with "Connection: close"
    kCutShort,   // a relayed answer was cut short: close without lingering
  };
  // Serves one request through its api::Exchange: inline steps here, store steps on the store
  // executor, upstream steps through the worker's UpstreamClient. The answer keeps the
  // connection alive if `may_keep_alive` and shutdown has not begun by the time it is written.
  // `request` (the caller's, which it awaits at once) is moved into the exchange.
  Task<Served> ServeExchange(Worker& worker, ClientWriter& writer, api::Request&& request,
                             bool may_keep_alive, bool head_only, const RequestRecord& record);
  // The access log line and the metrics of an answered request: its `status`, the `bytes` of
  // body written, and what `facts` say (null when no exchange reported any).
  void Observe(const RequestRecord& record, const api::RequestFacts* facts, int status,
               uint64_t bytes);
  // The metrics of an upstream call made at `called`, which ended with `failure`.
  void ObserveUpstream(size_t upstream, std::chrono::steady_clock::time_point called,
                       api::UpstreamFailure failure);
  // Runs exchange.Advance(kMayBlock) on a store thread of `lane` while this coroutine waits;
  // the overload answer when the executor's queue is full.
  Task<api::Step> AdvanceOnStoreThread(api::Exchange& exchange, api::Step::Lane lane);
  // AdvanceOnStoreThread's write step on the store's writer (ServerOptions::store_writer):
  // `handler` gets the step once the writer's batch ended, on the I/O thread `work` keeps
  // running.
  template <typename Handler, typename Work>
  void OnStoreWriter(api::Exchange& exchange, Handler handler, Work work);
  void StopAccepting();

  // Calls the handler behind the second exception fence: a throw becomes a 500.
  template <typename F>
  api::Response CallHandler(const char* what, F&& f) {
    try {
      return f();
    } catch (...) {
      server_internal::LogException(what, std::current_exception());
    }
    return server_internal::PlainResponse(500, "Internal Server Error\n");
  }

  ServerOptions options_;
  const api::RequestHandler& handler_;
  // Before workers_: connections not yet started, or whose frames an io_context destroys, give
  // their places back to these.
  ConnectionQuota quota_;
  std::atomic<size_t> live_connections_{0};
  std::unique_ptr<TlsContext> tls_;  // set by Listen() when TLS is on; read-only afterwards
  asio::thread_pool store_read_pool_;
  asio::thread_pool store_write_pool_;
  std::atomic<size_t> store_tasks_{0};  // queued or running on either pool
  std::vector<CidrBlock> trusted_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // The accepting thread: its event loop runs the accept loop, the heap trim and the signal
  // wait, nothing else, so that accepting never waits behind serving and what it allocates for
  // each connection (Asio's pooled descriptor states) sits apart from the connections' memory.
  asio::io_context accept_ioc_{1};
  std::thread accept_thread_;
  // These live on accept_ioc_ and are only touched on its thread once Run() has started;
  // declared after it so they are destroyed first.
  std::optional<Acceptor> acceptor_;
  std::optional<SignalSet> signals_;
  std::optional<Timer> trim_timer_;
  tcp protocol_ = tcp::v4();               // the acceptor's, set by Listen()
  size_t next_worker_ = 0;                 // accepting thread only
  size_t connections_peak_ = 0;            // accepting thread only: most open since the last trim
  RateLimitedWarning over_cap_warning_;    // accepting thread only
  RateLimitedWarning over_quota_warning_;  // accepting thread only
  RateLimitedWarning accept_warning_;      // accepting thread only
  std::atomic<bool> stopping_{false};
  std::atomic<uint16_t> port_{0};
};

}  // namespace ksgate::http
