// http::Server on Boost.Beast + Asio (1.74) with C++20 coroutines.
//
// Layout: one io_context per I/O thread ("Worker"). Worker 0 also owns the acceptor and accepts
// each connection straight into a socket of the next worker (round-robin); the connection's
// coroutine (Serve) is then spawned on that worker and never leaves it, so nothing a connection
// touches is shared between threads except the atomics of Impl. Serve is Beast's awaitable
// example plus the hardening of advanced_server.cpp: wait for the first byte (idle timeout),
// read one message with a fresh parser and a whole-request deadline, call the handler inline,
// write, loop while keep-alive. What needs no socket lives beside it: client_address.h (who
// the client is) and response_head.h (the bytes of a response head).
#include "http/server.h"

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <spdlog/spdlog.h>

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
#include <chrono>
#include <ctime>
#include <exception>
#include <limits>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "http/client_address.h"
#include "http/response_head.h"
#include "http/upstream.h"
#include "http/upstream_options.h"

namespace ksgate::http {
namespace {

using SignalSet = asio::basic_signal_set<Executor>;
using Parser = bhttp::request_parser<bhttp::string_body>;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// ---------------------------------------------------------------------------------------------
// Addresses and trusted proxies (the rule itself is in client_address.h).

IpAddress ToIpAddress(const asio::ip::address& a) {
  return a.is_v4() ? IpAddress::FromV4Bytes(a.to_v4().to_bytes())
                   : IpAddress::FromV6Bytes(a.to_v6().to_bytes());
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

// One connection's state that shutdown needs to see. Lives in Serve's frame; registered with
// its Worker; touched only on that worker's thread.
struct Connection {
  explicit Connection(Socket&& socket) : stream(std::move(socket)) {}
  Stream stream;
  bool idle = true;  // waiting for a request's first byte, or lingering: close on shutdown
};

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

  // Runs on this worker's thread once Shutdown() has stopped the acceptor.
  void BeginShutdown(std::chrono::seconds grace) {
    stopping = true;
    work.reset();
    if (upstream) upstream->CloseIdle();
    for (Connection* c : connections) {
      if (c->idle) c->stream.close();
    }
    if (connections.empty()) return;
    grace_timer.expires_after(grace);
    grace_timer.async_wait([this](error_code ec) {
      if (ec) return;  // every connection finished in time
      if (!connections.empty()) {
        spdlog::warn("http: shutdown grace over; closing {} connection(s)", connections.size());
      }
      for (Connection* c : connections) c->stream.close();
    });
  }
};

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const api::RequestHandler& handler)
      : options_(std::move(options)),
        handler_(handler),
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
  // Scope of one connection in Serve: registration with its worker and the global count.
  class ConnectionScope {
   public:
    ConnectionScope(Impl& impl, Worker& worker, Connection& connection)
        : impl_(impl),
          worker_(worker),
          it_(worker.connections.insert(worker.connections.end(), &connection)) {}
    ~ConnectionScope() {
      worker_.connections.erase(it_);
      impl_.live_connections_.fetch_sub(1, std::memory_order_relaxed);
      if (worker_.stopping && worker_.connections.empty()) worker_.grace_timer.cancel();
    }
    ConnectionScope(const ConnectionScope&) = delete;
    ConnectionScope& operator=(const ConnectionScope&) = delete;

   private:
    Impl& impl_;
    Worker& worker_;
    std::list<Connection*>::iterator it_;
  };

  Task<> Accept();
  Task<> Serve(Worker& worker, Socket socket);
  Task<> Refuse(Connection& connection, Parser& parser, const beast::flat_buffer& buffer,
                const Peer& peer, error_code ec);
  Task<> LingerAndClose(Connection& connection);
  Task<bool> Write(Connection& connection, api::Response response, bool keep_alive, bool head_only);

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
  Task<Served> ServeExchange(Worker& worker, Connection& connection, api::Request request,
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
  asio::thread_pool store_read_pool_;
  asio::thread_pool store_write_pool_;
  std::atomic<size_t> store_tasks_{0};  // queued or running on either pool
  std::vector<CidrBlock> trusted_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // Both live on worker 0 and are only touched there once Run() has started; declared after
  // workers_ so they are destroyed before its io_context.
  std::optional<Acceptor> acceptor_;
  std::optional<SignalSet> signals_;
  size_t next_worker_ = 0;                                    // accept loop only
  std::chrono::steady_clock::time_point last_cap_warning_{};  // accept loop only
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> live_connections_{0};
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

  Acceptor acceptor(workers_[0]->ioc.get_executor());
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
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec == asio::error::address_in_use) {
    return UnavailableError("http: " + where + " is already in use");
  }
  if (ec) return InternalError("http: listen on " + where + ": " + ec.message());
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return InternalError("http: getsockname: " + ec.message());

  trusted_ = std::move(trusted).value();
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
  asio::co_spawn(workers_[0]->ioc.get_executor(), Accept(), Fence("accept loop"));
  spdlog::info("http: listening on {} port {} with {} I/O thread(s)", options_.host, port(),
               workers_.size());
  for (size_t i = 1; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    w->thread = std::thread([w] { RunLoop(w->ioc); });
  }
  RunLoop(workers_[0]->ioc);
  for (size_t i = 1; i < workers_.size(); ++i) workers_[i]->thread.join();
  spdlog::info("http: stopped");
}

void Server::Impl::Shutdown() {
  if (stopping_.exchange(true)) return;
  asio::post(workers_[0]->ioc, [this] { StopAccepting(); });
}

// On worker 0.
void Server::Impl::StopAccepting() {
  error_code ec;
  if (acceptor_) acceptor_->close(ec);
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
  signals_.emplace(workers_[0]->ioc.get_executor(), SIGINT, SIGTERM);
  signals_->async_wait([this](error_code ec, int signal) {
    if (ec) return;
    spdlog::info("http: signal {}: shutting down", signal);
    Shutdown();
  });
}

// ---------------------------------------------------------------------------------------------
// Accepting and serving.

Task<> Server::Impl::Accept() {
  for (;;) {
    Worker& worker = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    Socket socket(worker.ioc.get_executor());
    error_code ec;
    co_await acceptor_->async_accept(socket, Into(ec));
    if (!acceptor_->is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors or memory: back off instead of spinning on the pending connection.
      spdlog::warn("http: accept failed: {}", ec.message());
      Timer pause(workers_[0]->ioc.get_executor());
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(Into(ec));
      continue;
    }
    if (live_connections_.load(std::memory_order_relaxed) >= options_.limits.max_connections) {
      socket.close(ec);
      const auto now = std::chrono::steady_clock::now();
      if (now - last_cap_warning_ > std::chrono::seconds(10)) {
        last_cap_warning_ = now;
        spdlog::warn("http: max_connections ({}) reached; closing new connections",
                     options_.limits.max_connections);
      }
      continue;
    }
    live_connections_.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(worker.ioc.get_executor(), Serve(worker, std::move(socket)),
                   Fence("connection"));
  }
}

Task<> Server::Impl::Serve(Worker& worker, Socket socket) {
  Connection connection(std::move(socket));
  ConnectionScope scope(*this, worker, connection);
  if (worker.stopping) co_return;
  Stream& stream = connection.stream;
  const HttpLimits& limits = options_.limits;

  error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  const tcp::endpoint remote = stream.socket().remote_endpoint(ec);
  if (ec) co_return;  // already gone
  const IpAddress peer_address = ToIpAddress(remote.address());
  const Peer peer{.address = peer_address,
                  .ip = peer_address.ToString(),
                  .trusted = IsTrustedProxy(trusted_, peer_address)};

  beast::flat_buffer buffer;
  size_t served = 0;
  for (bool first = true;; first = false) {
    // Wait for the first byte of a request, unless a pipelined one is already buffered. The
    // first request's deadline runs from the accept and covers the whole request.
    if (buffer.size() == 0) {
      connection.idle = true;
      stream.expires_after(first ? limits.read_timeout : limits.idle_timeout);
      const size_t room = std::clamp<size_t>(buffer.capacity() - buffer.size(), 4096, 65536);
      const size_t n = co_await stream.async_read_some(buffer.prepare(room), Into(ec));
      connection.idle = false;
      if (ec) co_return;  // EOF, timeout, reset, or closed by shutdown: nothing to answer
      buffer.commit(n);
    }
    if (!first) stream.expires_after(limits.read_timeout);

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
      co_await Refuse(connection, parser, buffer, peer, ec);
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
        co_await ServeExchange(worker, connection, std::move(request), may_keep_alive, head_only);
    if (outcome == Served::kLost) co_return;
    if (outcome == Served::kCutShort) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    if (outcome == Served::kClose) {
      // We close: if the client expected to go on, it may have sent more already.
      if (client_keep_alive || buffer.size() > 0) {
        co_await LingerAndClose(connection);
      } else {
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      }
      co_return;
    }
    if (worker.stopping) co_return;  // shutdown began after the answer was formatted
  }
}

Task<Server::Impl::Served> Server::Impl::ServeExchange(Worker& worker, Connection& connection,
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
        const bool written = co_await Write(connection, std::move(step.response), keep, head_only);
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
        const RelayOutcome relayed = co_await worker.upstream->Relay(
            step.upstream, connection.stream, keep, head_only, options_.limits.write_timeout);
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
Task<> Server::Impl::Refuse(Connection& connection, Parser& parser,
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
  const bool written = co_await Write(connection, std::move(response), false, head_only);
  if (written) co_await LingerAndClose(connection);
}

Task<bool> Server::Impl::Write(Connection& connection, api::Response response, bool keep_alive,
                               bool head_only) {
  std::string head;
  head.reserve(256);
  const std::string_view body = FormatHead(
      response, {.keep_alive = keep_alive, .head_only = head_only, .now = std::time(nullptr)},
      head);
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head),
                                                     asio::buffer(body.data(), body.size())};
  error_code ec;
  connection.stream.expires_after(options_.limits.write_timeout);
  co_await asio::async_write(connection.stream, buffers, Into(ec));
  co_return !ec;
}

// Half-closes, then reads and drops what the client still sends until it closes, the linger
// timeout passes or shutdown begins, so the answer is not destroyed by a reset.
Task<> Server::Impl::LingerAndClose(Connection& connection) {
  error_code ec;
  connection.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec || stopping_.load(std::memory_order_relaxed)) co_return;
  connection.idle = true;
  connection.stream.expires_after(options_.limits.linger_timeout);
  std::array<char, 4096> sink;
  for (;;) {
    co_await connection.stream.async_read_some(asio::buffer(sink), Into(ec));
    if (ec) break;
  }
}

// ---------------------------------------------------------------------------------------------
// Server: forwards to Impl.

Server::Server(ServerOptions options, const api::RequestHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}
Server::~Server() = default;
Status Server::Listen() { return impl_->Listen(); }
uint16_t Server::port() const { return impl_->port(); }
void Server::Run() { impl_->Run(); }
void Server::Shutdown() { impl_->Shutdown(); }
void Server::HandleSignals() { impl_->HandleSignals(); }

}  // namespace ksgate::http
