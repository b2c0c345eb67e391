// http::Server on Boost.Beast + Asio (1.74) with C++20 coroutines.
//
// Layout: one io_context per I/O thread ("Worker"), and one for the accepting thread, which owns
// the acceptor: it drains the kernel's accept queue in batches, closes at once what is over a
// limit (the global cap, the per-address quota of connection_quota.h) and hands the rest out
// round-robin; a connection's coroutine (Serve) is then spawned on its worker and never leaves
// it, so nothing a connection touches is shared between threads except the atomics and the
// quota of Impl. Serve is Beast's awaitable example plus the hardening of advanced_server.cpp:
// the TLS handshake when TLS is on (ServeOn is one template for both streams), wait for the
// first byte (first-byte or idle timeout), read one message with a fresh parser and a
// whole-request deadline, call the handler inline, write, loop while keep-alive. What needs no
// socket lives beside it: client_address.h (who the client is), connection_quota.h (connections
// per address) and response_head.h (the bytes of a response head).
#include "http/server.h"

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <exception>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "http/client_address.h"
#include "http/connection_quota.h"
#include "http/response_head.h"
#include "http/upstream.h"
#include "http/upstream_options.h"

#if defined(__GLIBC__)
#include <malloc.h>  // malloc_trim
#endif

namespace ksgate::http {
namespace {

using SignalSet = asio::basic_signal_set<Executor>;
using Parser = bhttp::request_parser<bhttp::string_body>;
using TlsContext = asio::ssl::context;
using TlsStream = beast::ssl_stream<Stream>;

template <typename S>
constexpr bool kIsTls = std::is_same_v<S, TlsStream>;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Connections taken from the accept queue in one go before the accepting thread's other work
// (the heap trim, signals) gets a turn.
constexpr int kAcceptBatch = 256;
// Freed heap is given back to the system at most this often, once this many connections (or a
// quarter of the peak, if more) closed since the last time.
constexpr std::chrono::seconds kTrimInterval{1};
constexpr size_t kTrimMinClosed = 256;
// Warnings about refused connections: at most one line per kind per this long.
constexpr std::chrono::seconds kWarnInterval{10};

// ---------------------------------------------------------------------------------------------
// Addresses and trusted proxies (the rule itself is in client_address.h).

std::optional<IpAddress> ToIpAddress(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET) {
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, 4);
    return IpAddress::FromV4Bytes(bytes);
  }
  if (peer.ss_family == AF_INET6) {
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr, 16);
    return IpAddress::FromV6Bytes(bytes);
  }
  return std::nullopt;
}

// Closes an accepted socket with a reset: the client learns at once, and no TIME_WAIT is left.
void CloseWithReset(int fd) {
  const linger abort{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd);
}

// The connection's peer, computed once per connection.
struct Peer {
  IpAddress address;
  std::string ip;        // address.ToString()
  bool trusted = false;  // may name the client in X-Forwarded-For
};

std::string ClientIp(const Peer& peer, const std::vector<CidrBlock>& trusted,
                     const bhttp::fields& fields) {
  if (!peer.trusted) return peer.ip;  // what ClientAddress would say, without the lookup
  std::vector<std::string_view> forwarded_for;
  auto [first, last] = fields.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) forwarded_for.push_back(it->value());
  if (forwarded_for.empty()) return peer.ip;
  return ClientAddress(peer.address, trusted, forwarded_for).ToString();
}

// ---------------------------------------------------------------------------------------------
// TLS.

// TLS 1.2 suites: ECDHE key exchange and AEAD only (Mozilla's "intermediate" list without DHE).
// TLS 1.3 keeps OpenSSL's default suites, all of them AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// ALPN: HTTP/1.1 when the client offers it; otherwise no protocol is agreed on.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
               unsigned int in_length, void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11, in, in_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

Result<std::unique_ptr<TlsContext>> MakeTlsContext(const std::string& cert_file,
                                                   const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return InvalidArgumentError("http: TLS needs both a certificate file and a key file");
  }
  auto context = std::make_unique<TlsContext>(TlsContext::tls_server);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return InternalError("http: cannot configure TLS");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_SINGLE_ECDH_USE | SSL_OP_NO_SSLv3);
  // An idle connection does not keep OpenSSL's read and write buffers (about 34 KiB).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return InvalidArgumentError("http: TLS certificate file " + cert_file + ": " + ec.message());
  }
  // OpenSSL checks here that the key is the certificate's ("key values mismatch").
  context->use_private_key_file(key_file, TlsContext::pem, ec);
  if (ec) {
    return InvalidArgumentError("http: TLS key file " + key_file + " (for the certificate in " +
                                cert_file + "): " + ec.message());
  }
  return context;
}

// ---------------------------------------------------------------------------------------------
// Requests refused and exceptions (the response head is written by response_head.h).

api::Response PlainResponse(int status, std::string body) {
  return api::Response{status, "text/plain", std::move(body), {}};
}

// Best effort for Reject(): the request line, if it is complete in the buffered input and
// itself within the header limit.
void ParseRequestLine(std::string_view input, size_t header_limit, api::Request& partial) {
  const size_t eol = input.substr(0, header_limit).find("\r\n");
  if (eol == std::string_view::npos) return;
  const std::string_view line = input.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 <= sp1 + 1) return;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!std::all_of(method.begin(), method.end(), IsTokenChar)) return;
  if (std::any_of(target.begin(), target.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    return;
  }
  partial.method = std::string(method);
  partial.target = std::string(target);
}

const error_code& HttpErrorSample() {
  static const error_code ec = bhttp::make_error_code(bhttp::error::bad_method);
  return ec;
}

void LogException(std::string_view where, const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("http: {} threw: {}", where, ex.what());
  } catch (...) {
    spdlog::error("http: {} threw a non-standard exception", where);
  }
}

// The completion handler of every co_spawn: the exception fence of style convention 7.
auto Fence(const char* what) {
  return [what](std::exception_ptr e) {
    if (e) LogException(what, e);
  };
}

void RunLoop(asio::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("http: I/O thread: {}", e.what());
    }
  }
}

// One connection's state that shutdown needs to see. Lives in ServeOn's frame; registered with
// its Worker; touched only on that worker's thread.
struct Connection {
  explicit Connection(Stream& tcp) : tcp(tcp) {}
  Stream& tcp;       // the TCP stream: the connection's stream, or the layer under TLS
  bool idle = true;  // in the handshake, waiting for a request's first byte, or lingering
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

// The per-address limit in force: never more than half of max_connections, so that one address
// cannot take every slot whatever the two are set to; 0 (no limit) stays 0.
size_t PerAddressLimit(const HttpLimits& limits) {
  if (limits.max_connections_per_address == 0) return 0;
  return std::min(limits.max_connections_per_address,
                  std::max<size_t>(1, limits.max_connections / 2));
}

// One I/O thread: its event loop and the connections that live on it.
struct Worker {
  // Run() returns only once every coroutine has finished, so no frame outlives Run(). Should
  // an io_context still hold frames when destroyed, `connections` (touched by their scope
  // guards) outlives it; the timer and work guard, which need it, go first.
  std::list<Connection*> connections;  // this worker's thread only
  bool stopping = false;               // this worker's thread only
  asio::io_context ioc{1};
  Timer grace_timer{ioc.get_executor()};
  std::optional<asio::executor_work_guard<Executor>> work;
  std::unique_ptr<UpstreamClient> upstream;  // this worker's thread only
  std::thread thread;
  // Connections handed over by the accepting thread, started by the one task it posts when the
  // inbox was empty (one post per batch, not per connection; the two vectors keep their room).
  std::mutex inbox_mu;
  std::vector<Handoff> inbox;     // guarded by inbox_mu
  std::vector<Handoff> starting;  // this worker's thread only

  // Runs on this worker's thread once Shutdown() has stopped the acceptor.
  void BeginShutdown(std::chrono::seconds grace) {
    stopping = true;
    work.reset();
    if (upstream) upstream->CloseIdle();
    for (Connection* c : connections) {
      if (c->idle) c->tcp.close();
    }
    if (connections.empty()) return;
    grace_timer.expires_after(grace);
    grace_timer.async_wait([this](error_code ec) {
      if (ec) return;  // every connection finished in time
      if (!connections.empty()) {
        spdlog::warn("http: shutdown grace over; closing {} connection(s)", connections.size());
      }
      for (Connection* c : connections) c->tcp.close();
    });
  }
};

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const api::RequestHandler& handler)
      : options_(std::move(options)),
        handler_(handler),
        quota_(PerAddressLimit(options_.limits)),
        store_read_pool_(static_cast<size_t>(std::max(1, options_.store_threads))),
        store_write_pool_(static_cast<size_t>(std::max(1, options_.store_write_threads))) {
    int threads = options_.threads;
    if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
    if (threads <= 0) threads = 1;
    for (int i = 0; i < threads; ++i) {
      workers_.push_back(std::make_unique<Worker>());
      Worker& w = *workers_.back();
      w.upstream = std::make_unique<UpstreamClient>(w.ioc.get_executor(), options_.upstreams,
                                                    options_.upstream);
    }
  }
  // Every coroutine has finished when Run() returns, so no store task is left (each holds its
  // worker's io_context open until it has handed its result back).
  ~Impl() {
    store_read_pool_.join();
    store_write_pool_.join();
  }

  Status Listen();
  uint16_t port() const { return port_.load(std::memory_order_acquire); }
  void Run();
  void Shutdown();
  void HandleSignals();

 private:
  // Scope of one connection in ServeOn: its registration with its worker.
  class ConnectionScope {
   public:
    ConnectionScope(Worker& worker, Connection& connection)
        : worker_(worker), it_(worker.connections.insert(worker.connections.end(), &connection)) {}
    ~ConnectionScope() {
      worker_.connections.erase(it_);
      if (worker_.stopping && worker_.connections.empty()) worker_.grace_timer.cancel();
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
                const beast::flat_buffer& buffer, const Peer& peer, error_code ec);
  // Ends the connection after an answer with "Connection: close". Plain: half-closes and, with
  // `linger`, reads and drops what the client still sends until it closes, the linger timeout
  // passes or shutdown begins, so the answer is not destroyed by a reset. TLS: close_notify,
  // then waits for the client's for at most the linger timeout.
  template <typename S>
  Task<> EndConnection(Connection& connection, S& stream, bool linger);
  Task<bool> Write(ClientWriter& writer, api::Response response, bool keep_alive, bool head_only);
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
  Task<Served> ServeExchange(Worker& worker, ClientWriter& writer, api::Request request,
                             bool may_keep_alive, bool head_only);
  // Runs exchange.Advance(kMayBlock) on a store thread of `lane` while this coroutine waits;
  // the overload answer when the executor's queue is full.
  Task<api::Step> AdvanceOnStoreThread(api::Exchange& exchange, api::Step::Lane lane);
  void StopAccepting();

  // Calls the handler behind the second exception fence: a throw becomes a 500.
  template <typename F>
  api::Response CallHandler(const char* what, F&& f) {
    try {
      return f();
    } catch (...) {
      LogException(what, std::current_exception());
    }
    return PlainResponse(500, "Internal Server Error\n");
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

// ---------------------------------------------------------------------------------------------
// Listen / Run / Shutdown.

Status Server::Impl::Listen() {
  if (acceptor_) return InternalError("http: Listen() called twice");
  Result<std::vector<CidrBlock>> trusted = ParseTrustedProxies(options_.trusted_proxies);
  if (!trusted.ok()) return trusted.status();

  error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return InvalidArgumentError("http: host is not a numeric IP address: " + options_.host);
  const tcp::endpoint endpoint(address, options_.port);
  const std::string where = options_.host + ":" + std::to_string(options_.port);

  Acceptor acceptor(accept_ioc_.get_executor());
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return InternalError("http: cannot open a socket: " + ec.message());
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);  // not SO_REUSEPORT
  if (ec) return InternalError("http: setsockopt(SO_REUSEADDR): " + ec.message());
  acceptor.bind(endpoint, ec);
  if (ec == asio::error::address_in_use) {
    return UnavailableError("http: " + where + " is already in use");
  }
  if (ec == asio::error::access_denied) {
    return PermissionDeniedError("http: binding " + where + ": " + ec.message());
  }
  if (ec == boost::system::errc::address_not_available) {
    return InvalidArgumentError("http: " + options_.host + " is not a local address");
  }
  if (ec) return InternalError("http: binding " + where + ": " + ec.message());
  // Accept() takes connections with accept4() until the queue is empty.
  acceptor.non_blocking(true, ec);
  if (ec) return InternalError("http: cannot make the listening socket non-blocking");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec == asio::error::address_in_use) {
    return UnavailableError("http: " + where + " is already in use");
  }
  if (ec) return InternalError("http: listen on " + where + ": " + ec.message());
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return InternalError("http: getsockname: " + ec.message());

  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    Result<std::unique_ptr<TlsContext>> tls =
        MakeTlsContext(options_.tls_cert_file, options_.tls_key_file);
    if (!tls.ok()) return tls.status();
    tls_ = std::move(tls).value();
  }
  trusted_ = std::move(trusted).value();
  protocol_ = endpoint.protocol();
  acceptor_.emplace(std::move(acceptor));
  port_.store(bound.port(), std::memory_order_release);
  return Status::Ok();
}

void Server::Impl::Run() {
  if (!acceptor_) {
    spdlog::error("http: Run() called without a successful Listen()");
    return;
  }
  for (auto& w : workers_) w->work.emplace(w->ioc.get_executor());
  // Both end once StopAccepting() ran, and with them the accepting thread.
  asio::co_spawn(accept_ioc_, Accept(), Fence("accept loop"));
  trim_timer_.emplace(accept_ioc_.get_executor());
  asio::co_spawn(accept_ioc_, ReturnMemory(), Fence("memory trim"));
  spdlog::info("http: listening on {} port {} with {} I/O thread(s){}", options_.host, port(),
               workers_.size(), tls_ ? ", TLS" : "");
  accept_thread_ = std::thread([this] { RunLoop(accept_ioc_); });
  for (size_t i = 1; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    w->thread = std::thread([w] { RunLoop(w->ioc); });
  }
  RunLoop(workers_[0]->ioc);
  for (size_t i = 1; i < workers_.size(); ++i) workers_[i]->thread.join();
  accept_thread_.join();
  spdlog::info("http: stopped");
}

void Server::Impl::Shutdown() {
  if (stopping_.exchange(true)) return;
  asio::post(accept_ioc_, [this] { StopAccepting(); });
}

// On the accepting thread.
void Server::Impl::StopAccepting() {
  error_code ec;
  if (acceptor_) acceptor_->close(ec);
  if (trim_timer_) trim_timer_->cancel();
  if (signals_) {
    signals_->clear(ec);  // default dispositions again: a second signal ends the process
    signals_->cancel(ec);
  }
  for (auto& w : workers_) {
    asio::post(w->ioc,
               [w = w.get(), grace = options_.limits.shutdown_grace] { w->BeginShutdown(grace); });
  }
}

void Server::Impl::HandleSignals() {
  if (signals_ || stopping_.load()) return;
  signals_.emplace(accept_ioc_.get_executor(), SIGINT, SIGTERM);
  signals_->async_wait([this](error_code ec, int signal) {
    if (ec) return;
    spdlog::info("http: signal {}: shutting down", signal);
    Shutdown();
  });
}

// ---------------------------------------------------------------------------------------------
// Accepting and serving.

Task<> Server::Impl::Accept() {
  Acceptor& acceptor = *acceptor_;
  for (;;) {
    error_code ec;
    co_await acceptor.async_wait(tcp::acceptor::wait_read, Into(ec));
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
    // Drain the queue (up to a batch): a flood is taken, and its excess closed, as fast as the
    // kernel queues it, so that the queue never fills and other clients' connections are not
    // dropped by the kernel before the server sees them.
    for (int i = 0; i < kAcceptBatch; ++i) {
      sockaddr_storage peer{};
      socklen_t length = sizeof peer;
      const int fd = ::accept4(acceptor.native_handle(), reinterpret_cast<sockaddr*>(&peer),
                               &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        Admit(fd, peer);
        continue;
      }
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) break;
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        // Out of descriptors or memory: back off instead of spinning on the pending connection.
        if (const size_t n = accept_warning_.Count()) {
          spdlog::warn("http: accept failed ({} time(s) since the last warning): {}", n,
                       std::strerror(error));
        }
        Timer pause(acceptor.get_executor());
        pause.expires_after(std::chrono::milliseconds(100));
        co_await pause.async_wait(Into(ec));
        break;
      }
      // ECONNABORTED, EINTR, a network error on that connection: it is gone; take the next.
    }
  }
}

void Server::Impl::Admit(int fd, const sockaddr_storage& peer) {
  const std::optional<IpAddress> address = ToIpAddress(peer);
  if (!address) {
    ::close(fd);
    return;
  }
  const HttpLimits& limits = options_.limits;
  if (live_connections_.load(std::memory_order_relaxed) >= limits.max_connections) {
    CloseWithReset(fd);
    if (const size_t n = over_cap_warning_.Count()) {
      spdlog::warn("http: max_connections ({}) reached; closed {} new connection(s)",
                   limits.max_connections, n);
    }
    return;
  }
  const bool trusted = IsTrustedProxy(trusted_, *address);
  const IpAddress key = ConnectionQuota::KeyOf(*address);
  if (!trusted && !quota_.TryAdd(key)) {
    CloseWithReset(fd);
    if (const size_t n = over_quota_warning_.Count()) {
      spdlog::warn(
          "http: closed {} new connection(s) over max_connections_per_address ({}), the "
          "last from {}",
          n, PerAddressLimit(limits), address->ToString());
    }
    return;
  }
  Admission admission(live_connections_, trusted ? nullptr : &quota_, key);
  const size_t live = live_connections_.fetch_add(1, std::memory_order_relaxed) + 1;
  connections_peak_ = std::max(connections_peak_, live);

  Worker& worker = *workers_[next_worker_];
  next_worker_ = (next_worker_ + 1) % workers_.size();
  Socket socket(worker.ioc.get_executor());
  error_code ec;
  socket.assign(protocol_, fd, ec);
  if (ec) {
    ::close(fd);
    return;  // `admission` gives its place back
  }
  // The assign above allocated Asio's descriptor state, which outlives the connection (Asio
  // pools them). Nothing else is allocated here per connection, so the pooled states stay
  // packed together instead of pinning pages of freed memory after the connections close.
  bool wake = false;
  {
    std::lock_guard lock(worker.inbox_mu);
    wake = worker.inbox.empty();
    worker.inbox.push_back({std::move(socket), *address, trusted, std::move(admission)});
  }
  if (wake) asio::post(worker.ioc, [this, &worker] { StartHandedOff(worker); });
}

// On `worker`'s thread: the coroutine frames are made here.
void Server::Impl::StartHandedOff(Worker& worker) {
  {
    std::lock_guard lock(worker.inbox_mu);
    worker.starting.swap(worker.inbox);
  }
  for (Handoff& h : worker.starting) {
    asio::co_spawn(worker.ioc.get_executor(),
                   Serve(worker, std::move(h.socket), h.address, h.trusted, std::move(h.admission)),
                   Fence("connection"));
  }
  worker.starting.clear();
}

Task<> Server::Impl::Serve(Worker& worker, Socket socket, IpAddress address, bool trusted,
                           [[maybe_unused]] Admission admission) {
  const Peer peer{.address = address, .ip = address.ToString(), .trusted = trusted};
  if (tls_) {
    TlsStream stream(std::move(socket), *tls_);
    co_await ServeOn(worker, stream, peer);
  } else {
    Stream stream(std::move(socket));
    co_await ServeOn(worker, stream, peer);
  }
}

template <typename S>
Task<> Server::Impl::ServeOn(Worker& worker, S& stream, const Peer& peer) {
  Connection connection(beast::get_lowest_layer(stream));
  ConnectionScope scope(worker, connection);
  if (worker.stopping) co_return;
  Stream& tcp = connection.tcp;
  const HttpLimits& limits = options_.limits;

  error_code ec;
  tcp.socket().set_option(tcp::no_delay(true), ec);
  if constexpr (kIsTls<S>) {
    tcp.expires_after(limits.tls_handshake_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server, Into(ec));
    if (ec) {
      // Silent, timed out, not TLS, or no common version or cipher: nothing to answer.
      spdlog::debug("http: TLS handshake with {} failed: {}", peer.ip, ec.message());
      co_return;
    }
  }
  StreamWriter<S> writer(stream, tcp, limits.write_timeout);

  beast::flat_buffer buffer;
  size_t served = 0;
  for (bool first = true;; first = false) {
    // Wait for the first byte of a request, unless a pipelined one is already buffered.
    if (buffer.size() == 0) {
      connection.idle = true;
      if (first) {
        tcp.expires_after(limits.first_byte_timeout);
      } else {
        tcp.expires_after(limits.idle_timeout);
      }
      const size_t room = std::clamp<size_t>(buffer.capacity() - buffer.size(), 1024, 65536);
      const size_t n = co_await stream.async_read_some(buffer.prepare(room), Into(ec));
      connection.idle = false;
      if (ec) co_return;  // EOF, timeout, reset, or closed by shutdown: nothing to answer
      buffer.commit(n);
    }
    tcp.expires_after(limits.read_timeout);

    // One message, fresh parser and limits. Reading one message at a time bounds pipelining:
    // later requests wait in the socket buffer (and at most one read chunk in `buffer`).
    Parser parser;
    parser.header_limit(static_cast<uint32_t>(
        std::min<size_t>(limits.header_limit, std::numeric_limits<uint32_t>::max())));
    parser.body_limit(limits.body_limit);
    co_await bhttp::async_read_header(stream, buffer, parser, Into(ec));
    if (!ec && !parser.is_done()) {
      const auto& header = parser.get();
      if (header.version() >= 11 && beast::iequals(header[bhttp::field::expect], "100-continue")) {
        co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                                   Into(ec));
      }
      if (!ec) co_await bhttp::async_read(stream, buffer, parser, Into(ec));
    }
    if (ec) {
      co_await Refuse(connection, stream, writer, parser, buffer, peer, ec);
      co_return;
    }

    auto& message = parser.get();
    api::Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    if (auto it = message.find(bhttp::field::content_type); it != message.end()) {
      request.content_type = std::string(it->value());
    }
    request.body = std::move(message.body());
    request.client_ip = ClientIp(peer, trusted_, message);
    request.peer_ip = peer.ip;
    request.headers.reserve(16);
    for (const auto& field : message)
      request.headers.emplace_back(field.name_string(), field.value());
    const bool client_keep_alive = message.keep_alive();
    const bool head_only = message.method() == bhttp::verb::head;

    ++served;
    const bool may_keep_alive = client_keep_alive && served < limits.max_requests_per_connection;
    const Served outcome =
        co_await ServeExchange(worker, writer, std::move(request), may_keep_alive, head_only);
    if (outcome == Served::kLost) co_return;
    if (outcome == Served::kCutShort) {
      // The client must see the answer cut: a plain end of stream, without TLS's close_notify.
      tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    if (outcome == Served::kClose) {
      // We close: if the client expected to go on, it may have sent more already.
      co_await EndConnection(connection, stream, client_keep_alive || buffer.size() > 0);
      co_return;
    }
    if (worker.stopping) co_return;  // shutdown began after the answer was formatted
  }
}

Task<Server::Impl::Served> Server::Impl::ServeExchange(Worker& worker, ClientWriter& writer,
                                                       api::Request request, bool may_keep_alive,
                                                       bool head_only) {
  // Decided when the answer starts, so that a shutdown begun meanwhile closes the connection.
  auto keep_alive = [&] { return may_keep_alive && !stopping_.load(std::memory_order_relaxed); };
  auto internal_error = [] {
    return api::Step::Respond(PlainResponse(500, "Internal Server Error\n"));
  };
  std::unique_ptr<api::Exchange> exchange;
  api::Step step;
  try {
    exchange = handler_.Begin(std::move(request));
    step = exchange->Advance(api::Exchange::Mode::kInline);
  } catch (...) {
    LogException("handler", std::current_exception());
    step = internal_error();
  }
  for (;;) {
    switch (step.kind) {
      case api::Step::Kind::kRespond: {
        const bool keep = keep_alive();
        const bool written = co_await Write(writer, std::move(step.response), keep, head_only);
        if (!written) co_return Served::kLost;
        co_return keep ? Served::kKeepAlive : Served::kClose;
      }
      case api::Step::Kind::kNeedsStore:
        step = co_await AdvanceOnStoreThread(*exchange, step.lane);
        break;
      case api::Step::Kind::kFetch: {
        api::UpstreamAnswer answer = co_await worker.upstream->Fetch(step.upstream);
        try {
          exchange->Deliver(std::move(answer));
          step = exchange->Advance(api::Exchange::Mode::kInline);
        } catch (...) {
          LogException("handler", std::current_exception());
          step = internal_error();
        }
        break;
      }
      case api::Step::Kind::kForward: {
        const bool keep = keep_alive();
        const RelayOutcome relayed =
            co_await worker.upstream->Relay(step.upstream, writer, keep, head_only);
        if (relayed.failure == api::UpstreamFailure::kNone) {
          if (!relayed.client_reusable) co_return keep ? Served::kCutShort : Served::kClose;
          co_return keep ? Served::kKeepAlive : Served::kClose;
        }
        try {
          step = api::Step::Respond(exchange->UpstreamFailed(relayed.failure));
        } catch (...) {
          LogException("handler", std::current_exception());
          step = internal_error();
        }
        break;
      }
    }
  }
}

Task<api::Step> Server::Impl::AdvanceOnStoreThread(api::Exchange& exchange, api::Step::Lane lane) {
  if (store_tasks_.fetch_add(1, std::memory_order_relaxed) >= options_.store_queue) {
    store_tasks_.fetch_sub(1, std::memory_order_relaxed);
    co_return api::Step::Respond(exchange.Overloaded());
  }
  // The task runs on the pool; its result is handed back on this connection's I/O thread. The
  // work guard keeps that io_context running until then.
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<Executor>&, void(api::Step)>(
      [this, &exchange, lane](auto handler) {
        auto io = asio::get_associated_executor(handler);
        asio::thread_pool& pool =
            lane == api::Step::Lane::kWrite ? store_write_pool_ : store_read_pool_;
        asio::post(pool, [this, &exchange, handler = std::move(handler),
                          work = asio::make_work_guard(io)]() mutable {
          api::Step step;
          try {
            step = exchange.Advance(api::Exchange::Mode::kMayBlock);
          } catch (...) {
            LogException("handler (store thread)", std::current_exception());
            step = api::Step::Respond(PlainResponse(500, "Internal Server Error\n"));
          }
          store_tasks_.fetch_sub(1, std::memory_order_relaxed);
          auto io = work.get_executor();
          asio::post(io,
                     [handler = std::move(handler), step = std::move(step),
                      work = std::move(work)]() mutable { std::move(handler)(std::move(step)); });
        });
      },
      kAwait);
}

// Answers a request that failed to read, when there is someone to answer.
template <typename S>
Task<> Server::Impl::Refuse(Connection& connection, S& stream, ClientWriter& writer, Parser& parser,
                            const beast::flat_buffer& buffer, const Peer& peer, error_code ec) {
  std::string_view limit;
  uint64_t max = 0;
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    limit = "header_limit";
    max = options_.limits.header_limit;
  } else if (ec == bhttp::error::body_limit) {
    limit = "body_limit";
    max = options_.limits.body_limit;
  } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
             &ec.category() != &HttpErrorSample().category()) {
    co_return;  // the client left, timed out or the socket failed: close silently
  }

  api::Response response;
  bool head_only = false;
  if (limit.empty()) {
    response = PlainResponse(400, "Bad Request\n");  // malformed HTTP
  } else {
    const auto& header = parser.get();
    api::Request partial;
    if (!header.method_string().empty()) {  // the parser got the request line
      partial.method = std::string(header.method_string());
      partial.target = std::string(header.target());
      if (auto it = header.find(bhttp::field::content_type); it != header.end()) {
        partial.content_type = std::string(it->value());
      }
    } else {
      const auto data = buffer.data();
      ParseRequestLine({static_cast<const char*>(data.data()), data.size()},
                       options_.limits.header_limit, partial);
    }
    partial.client_ip = ClientIp(peer, trusted_, header);
    head_only = partial.method == "HEAD";
    response = CallHandler("Reject", [&] { return handler_.Reject(partial, limit, max); });
  }
  const bool written = co_await Write(writer, std::move(response), false, head_only);
  if (written) co_await EndConnection(connection, stream, true);
}

Task<bool> Server::Impl::Write(ClientWriter& writer, api::Response response, bool keep_alive,
                               bool head_only) {
  std::string head;
  head.reserve(256);
  const std::string_view body = FormatHead(
      response, {.keep_alive = keep_alive, .head_only = head_only, .now = std::time(nullptr)},
      head);
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head),
                                                     asio::buffer(body.data(), body.size())};
  const error_code ec = co_await writer.WriteAll(buffers);
  co_return !ec;
}

template <typename S>
Task<> Server::Impl::EndConnection(Connection& connection, S& stream, bool linger) {
  error_code ec;
  if constexpr (kIsTls<S>) {
    if (stopping_.load(std::memory_order_relaxed)) co_return;
    connection.idle = true;
    connection.tcp.expires_after(options_.limits.linger_timeout);
    co_await stream.async_shutdown(Into(ec));
  } else {
    connection.tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!linger || ec || stopping_.load(std::memory_order_relaxed)) co_return;
    connection.idle = true;
    connection.tcp.expires_after(options_.limits.linger_timeout);
    std::array<char, 4096> sink;
    for (;;) {
      co_await connection.tcp.async_read_some(asio::buffer(sink), Into(ec));
      if (ec) break;
    }
  }
}

Task<> Server::Impl::ReturnMemory() {
  Timer& timer = *trim_timer_;
  // stopping_ is set before StopAccepting() is posted to this thread, which cancels the wait.
  while (!stopping_.load(std::memory_order_relaxed)) {
    timer.expires_after(kTrimInterval);
    error_code ec;
    co_await timer.async_wait(Into(ec));
    if (ec) continue;
    const size_t live = live_connections_.load(std::memory_order_relaxed);
    const size_t closed = connections_peak_ > live ? connections_peak_ - live : 0;
    if (closed < std::max(kTrimMinClosed, connections_peak_ / 4)) continue;
    connections_peak_ = live;
#if defined(__GLIBC__)
    const auto start = std::chrono::steady_clock::now();
    malloc_trim(0);
    spdlog::debug("http: {} connection(s) closed; heap trimmed in {} us", closed,
                  std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count());
#endif
  }
}

// ---------------------------------------------------------------------------------------------
// Server: forwards to Impl.

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    const rlim_t old = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return old;
  }
  return limit.rlim_cur;
}

Server::Server(ServerOptions options, const api::RequestHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}
Server::~Server() = default;
Status Server::Listen() { return impl_->Listen(); }
uint16_t Server::port() const { return impl_->port(); }
void Server::Run() { impl_->Run(); }
void Server::Shutdown() { impl_->Shutdown(); }
void Server::HandleSignals() { impl_->HandleSignals(); }

}  // namespace ksgate::http
