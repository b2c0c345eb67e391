// http::Server on Boost.Beast + Asio (1.74) with C++20 coroutines: listening, accepting and
// shutting down. A connection's life is in connection.cc; the state both share is server_impl.h.
//
// Layout: one io_context per I/O thread ("Worker"), and one for the accepting thread, which owns
// the acceptor: it drains the kernel's accept queue in batches, closes at once what is over a
// limit (the global cap, the per-address quota of connection_quota.h) and hands the rest out
// round-robin; a connection's coroutine (Serve) is then spawned on its worker and never leaves
// it, so nothing a connection touches is shared between threads except the atomics and the
// quota of Impl. What needs no socket lives beside it: client_address.h (who the client is),
// connection_quota.h (connections per address) and response_head.h (the bytes of a response
// head).
#include "http/server.h"

// clang-format off
#include "http/server_impl.h"  // first of the Asio headers: see asio_types.h
// clang-format on

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "http/client_address.h"
#include "http/connection_quota.h"
#include "http/tls_context.h"
#include "http/upstream.h"

#if defined(__GLIBC__)
#include <dlfcn.h>   // dlsym: mimalloc's mi_collect, when it is the allocator
#include <malloc.h>  // malloc_trim
#endif

namespace ksgate::http {

namespace server_internal {

void LogException(std::string_view where, const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("http: {} threw: {}", where, ex.what());
  } catch (...) {
    spdlog::error("http: {} threw a non-standard exception", where);
  }
}

void Worker::BeginShutdown(std::chrono::milliseconds grace) {
  stopping = true;
  work.reset();
  if (upstream) upstream->CloseIdle();
  for (Connection* c : connections) {
    if (c->idle) c->tcp.close();
  }
  if (connections.empty()) {
    sweep_timer.cancel();
    return;
  }
  grace_timer.expires_after(grace);
  grace_timer.async_wait([this](error_code ec) {
    if (ec) return;  // every connection finished in time
    if (!connections.empty()) {
      spdlog::warn("http: shutdown grace over; closing {} connection(s)", connections.size());
    }
    for (Connection* c : connections) c->tcp.close();
    // A connection waiting for an upstream would otherwise wait for its answer or timeout.
    if (upstream) upstream->CloseAll();
  });
}

void Worker::StartSweeping() {
  if (sweeping) return;
  sweeping = true;
  sweep_timer.expires_after(kSweepInterval);
  sweep_timer.async_wait([this](error_code ec) {
    sweeping = false;
    if (ec) return;  // cancelled: the worker is stopping and has no connections left
    Sweep();
  });
}

void Worker::Sweep() {
  const auto now = std::chrono::steady_clock::now();
  for (Connection* c : connections) {
    if (c->deadline > now) continue;
    c->deadline = kNoDeadline;
    error_code ec;
    c->tcp.socket().cancel(ec);  // its read ends with operation_aborted: the connection closes
  }
  if (!connections.empty()) StartSweeping();
}

}  // namespace server_internal

namespace {

using server_internal::Fence;

// Connections taken from the accept queue in one go before the accepting thread's other work
// (the heap trim, signals) gets a turn.
constexpr int kAcceptBatch = 256;
// Freed heap is given back to the system at most this often, once this many connections (or a
// quarter of the peak, if more) closed since the last time.
constexpr std::chrono::seconds kTrimInterval{1};
constexpr size_t kTrimMinClosed = 256;

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

// The per-address limit in force: never more than half of max_connections, so that one address
// cannot take every slot whatever the two are set to; 0 (no limit) stays 0.
size_t PerAddressLimit(const HttpLimits& limits) {
  if (limits.max_connections_per_address == 0) return 0;
  return std::min(limits.max_connections_per_address,
                  std::max<size_t>(1, limits.max_connections / 2));
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

}  // namespace

Server::Impl::Impl(ServerOptions options, const api::RequestHandler& handler)
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
    w.upstream = std::make_unique<UpstreamClient>(w.ioc.get_executor(), options_.upstream);
  }
}

Server::Impl::~Impl() {
  store_read_pool_.join();
  store_write_pool_.join();
}

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
// Accepting.

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

namespace {

// mimalloc's mi_collect when mimalloc is the process's allocator, else null. Looked up rather
// than linked, so that http (and its tests, on glibc's malloc) does not depend on mimalloc.
using CollectFn = void (*)(bool);
CollectFn MimallocCollect() {
  static const CollectFn collect = reinterpret_cast<CollectFn>(dlsym(RTLD_DEFAULT, "mi_collect"));
  return collect;
}

}  // namespace

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
    // mimalloc (which the ksgate binary links, CMakeLists.txt KSGATE_MIMALLOC) keeps a heap per
    // thread, and only a thread can free its own heap's pages: every I/O thread collects its own.
    if (MimallocCollect() != nullptr) {
      for (auto& w : workers_) asio::post(w->ioc, [] { MimallocCollect()(true); });
      MimallocCollect()(true);
      spdlog::debug("http: {} connection(s) closed; mimalloc heaps collected", closed);
      continue;
    }
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

size_t Server::open_connections() const { return impl_->open_connections(); }

size_t Server::store_queue_depth() const { return impl_->store_queue_depth(); }
void Server::Run() { impl_->Run(); }
void Server::Shutdown() { impl_->Shutdown(); }
void Server::HandleSignals() { impl_->HandleSignals(); }

}  // namespace ksgate::http
