// A connection's life on http::Server (server_impl.h): Beast's awaitable example plus the
// hardening of advanced_server.cpp. The TLS handshake when TLS is on (ServeOn is one template
// for both streams), wait for the first byte (first-byte or idle timeout), read one message with
// a fresh parser and a whole-request deadline, advance its api::Exchange (inline, on the store
// executor, or around the upstream client), write, loop while keep-alive.

// clang-format off
#include "http/server_impl.h"  // first of the Asio headers: see asio_types.h
// clang-format on

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <ctime>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/api_error.h"
#include "http/client_address.h"
#include "http/read_message.h"
#include "http/response_head.h"
#include "http/upstream.h"

namespace ksgate::http {
namespace {

using server_internal::kIsTls;
using server_internal::kNoDeadline;
using server_internal::LogException;
using server_internal::Peer;
using server_internal::PlainResponse;
using server_internal::TlsStream;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string ClientIp(const Peer& peer, const std::vector<CidrBlock>& trusted,
                     const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  if (!peer.trusted) return peer.ip;  // what ClientAddress would say, without the lookup
  std::vector<std::string_view> forwarded_for;
  for (const auto& [name, value] : fields) {
    if (beast::iequals(name, "X-Forwarded-For")) forwarded_for.push_back(value);
  }
  if (forwarded_for.empty()) return peer.ip;
  return ClientAddress(peer.address, trusted, forwarded_for).ToString();
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

// The request id an answer carries, for an access log line that has no exchange's facts.
std::string_view RequestIdOf(const api::Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "X-Request-Id") return value;
  }
  return {};
}

obs::UpstreamError UpstreamErrorOf(api::UpstreamFailure failure) {
  switch (failure) {
    case api::UpstreamFailure::kTimeout:
      return obs::UpstreamError::kTimeout;
    case api::UpstreamFailure::kBadAnswer:
      return obs::UpstreamError::kBadAnswer;
    default:
      return obs::UpstreamError::kUnavailable;
  }
}

int64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

const error_code& HttpErrorSample() {
  static const error_code ec = bhttp::make_error_code(bhttp::error::bad_method);
  return ec;
}

}  // namespace

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
    tcp.expires_never();  // from here the waits for requests have the connection's deadline
  }
  StreamWriter<S> writer(stream, tcp, limits.write_timeout);

  beast::flat_buffer buffer;
  size_t served = 0;
  for (bool first = true;; first = false) {
    // Wait for the first byte of a request, unless a pipelined one is already buffered. The
    // waits for a request end at the connection's deadline (Worker::Sweep cancels them).
    if (buffer.size() == 0) {
      const size_t room = std::clamp<size_t>(buffer.capacity() - buffer.size(), 1024, 65536);
      const auto deadline = std::chrono::steady_clock::now() +
                            (first ? limits.first_byte_timeout : limits.idle_timeout);
      const auto become_idle = [&connection, deadline] {
        connection.idle = true;
        connection.deadline = deadline;
      };
      size_t n = 0;
      if (first) {
        become_idle();
        n = co_await stream.async_read_some(buffer.prepare(room), Into(ec));
      } else {
        // The next request on a keep-alive connection: its client sends it once it has our
        // answer, so it is read after the answers to the other ready connections (see
        // AsyncReadSomeLater). The connection counts as idle, with its deadline, only once the
        // read is under way, so that neither Sweep nor shutdown finds it idle with no read to
        // cancel; if shutdown began meanwhile, the read ends unstarted (operation_aborted).
        n = co_await AsyncReadSomeLater(stream, buffer.prepare(room), worker.stopping, become_idle,
                                        Into(ec));
      }
      connection.idle = false;
      if (ec) co_return;  // EOF, timeout, reset, or closed by shutdown: nothing to answer
      buffer.commit(n);
    }
    RequestRecord record;
    record.started = std::chrono::steady_clock::now();
    connection.deadline = record.started + limits.read_timeout;  // the whole request

    // One message, fresh parser and limits. Reading one message at a time bounds pipelining:
    // later requests wait in the socket buffer (and at most one read chunk in `buffer`).
    Parser parser;
    parser.header_limit(static_cast<uint32_t>(
        std::min<size_t>(limits.header_limit, std::numeric_limits<uint32_t>::max())));
    parser.body_limit(limits.body_limit);
    ec = co_await ReadMessage(stream, buffer, parser, /*whole=*/false);
    if (!ec && !parser.is_done()) {
      if (parser.version() >= 11 && parser.expects_continue()) {
        co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                                   Into(ec));
      }
      if (!ec) ec = co_await ReadMessage(stream, buffer, parser, /*whole=*/true);
    }
    connection.deadline = kNoDeadline;  // read (or refused): the answer's writes have their own
    if (ec) {
      co_await Refuse(connection, stream, writer, parser, buffer, peer, ec, std::move(record));
      co_return;
    }

    api::Request request = std::move(parser.request());
    request.client_ip = ClientIp(peer, trusted_, request.headers);
    request.peer_ip = peer.ip;
    request.trusted_peer = peer.trusted;
    // The parser's own reading of Connection and the version, made as it parsed.
    const bool client_keep_alive = parser.keep_alive();
    const bool head_only = parser.is_head();

    ++served;
    const bool may_keep_alive = client_keep_alive && served < limits.max_requests_per_connection;
    const Served outcome = co_await ServeExchange(worker, writer, std::move(request),
                                                  may_keep_alive, head_only, record);
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

void Server::Impl::Observe(const RequestRecord& record, const api::RequestFacts* facts, int status,
                           uint64_t bytes) {
  const int64_t latency = MicrosSince(record.started);
  static const api::RequestFacts kNoFacts;
  const api::RequestFacts& f = facts != nullptr ? *facts : kNoFacts;
  if (options_.metrics != nullptr) options_.metrics->CountRequest(f.action, f.code, latency);
  if (options_.access_log == nullptr) return;
  obs::AccessRecord line;
  line.start = record.started;
  line.request_id = f.request_id;
  // The exchange's views when it has any (no copy per request), else what the HTTP layer kept.
  line.client_ip = facts != nullptr ? f.client_ip : std::string_view(record.client_ip);
  line.method = facts != nullptr ? f.method : std::string_view(record.method);
  line.target = facts != nullptr ? f.target : std::string_view(record.target);
  line.status = status;
  line.action = f.action_name;
  line.items = f.items;
  line.partner_id = f.partner_id;
  line.app_token_id = f.app_token_id;
  line.code = f.code;
  line.bytes_out = bytes;
  line.latency_us = latency;
  options_.access_log->Append(line);
}

Task<Server::Impl::Served> Server::Impl::ServeExchange(Worker& worker, ClientWriter& writer,
                                                       api::Request&& request, bool may_keep_alive,
                                                       bool head_only,
                                                       const RequestRecord& record) {
  // Decided when the answer starts, so that a shutdown begun meanwhile closes the connection.
  auto keep_alive = [&] { return may_keep_alive && !stopping_.load(std::memory_order_relaxed); };
  auto internal_error = [] {
    return api::Step::Respond(PlainResponse(500, "Internal Server Error\n"));
  };
  std::unique_ptr<api::Exchange> exchange;
  api::Step step;
  try {
    const api::RequestHandler& handler =
        options_.admin_handler != nullptr && api::IsAdminTarget(request.target)
            ? *options_.admin_handler
            : handler_;
    exchange = handler.Begin(std::move(request));
    step = exchange->Advance(api::Exchange::Mode::kInline);
  } catch (...) {
    LogException("handler", std::current_exception());
    step = internal_error();
  }
  for (;;) {
    switch (step.kind) {
      case api::Step::Kind::kRespond: {
        const bool keep = keep_alive();
        const int status = step.response.status;
        const uint64_t bytes = head_only ? 0 : step.response.body.size();
        const api::RequestFacts* facts = exchange ? exchange->facts() : nullptr;
        // A plain local (GCC 12 mishandles a conditional expression in a co_await's arguments).
        std::string_view request_id;
        if (facts != nullptr) request_id = facts->request_id;
        const bool written =
            co_await Write(writer, std::move(step.response), keep, head_only, request_id);
        if (!written) co_return Served::kLost;
        Observe(record, facts, status, bytes);
        co_return keep ? Served::kKeepAlive : Served::kClose;
      }
      case api::Step::Kind::kNeedsStore:
        step = co_await AdvanceOnStoreThread(*exchange, step.lane);
        break;
      case api::Step::Kind::kFetch: {
        const auto called = std::chrono::steady_clock::now();
        api::UpstreamAnswer answer = co_await worker.upstream->Fetch(step.upstream);
        ObserveUpstream(step.upstream.metric_upstream, called, answer.failure);
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
        const auto called = std::chrono::steady_clock::now();
        const RelayOutcome relayed =
            co_await worker.upstream->Relay(step.upstream, writer, keep, head_only);
        ObserveUpstream(step.upstream.metric_upstream, called, relayed.failure);
        if (relayed.failure == api::UpstreamFailure::kNone) {
          Observe(record, exchange->facts(), relayed.status, relayed.bytes);
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

template <typename Handler, typename Work>
void Server::Impl::OnStoreWriter(api::Exchange& exchange, Handler handler, Work work) {
  // Shared by the task and its end, which the writer calls (std::function: copyable); the
  // handler resumes the connection on its I/O thread, which the work guard keeps running. The
  // step is set by the task, or by its end when the batch failed.
  struct Handoff {
    Handler handler;
    api::Step step;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  };
  auto handoff = std::make_shared<Handoff>(Handoff{std::move(handler)});
  const auto resume = [handoff](Work& guard) {
    auto io = guard.get_executor();
    asio::post(io, [handoff, guard = std::move(guard)]() mutable {
      std::move(handoff->handler)(std::move(handoff->step));
    });
  };
  const bool taken = options_.store_writer(
      [&exchange, handoff] {
        try {
          handoff->step = exchange.Advance(api::Exchange::Mode::kMayBlock);
        } catch (...) {
          LogException("handler (store writer)", std::current_exception());
          handoff->step = api::Step::Respond(PlainResponse(500, "Internal Server Error\n"));
        }
      },
      [this, &exchange, handoff, work, resume](bool committed) mutable {
        if (!committed) {
          try {
            handoff->step = api::Step::Respond(exchange.StoreFailed());
          } catch (...) {
            LogException("handler (store writer)", std::current_exception());
            handoff->step = api::Step::Respond(PlainResponse(500, "Internal Server Error\n"));
          }
        }
        if (options_.metrics != nullptr) {
          options_.metrics->ObserveStore(obs::StoreLane::kWrite, MicrosSince(handoff->started));
        }
        store_tasks_.fetch_sub(1, std::memory_order_relaxed);
        resume(work);
      });
  if (taken) return;
  store_tasks_.fetch_sub(1, std::memory_order_relaxed);
  if (options_.metrics != nullptr) options_.metrics->CountStoreOverloaded();
  handoff->step = api::Step::Respond(exchange.Overloaded());
  resume(work);
}

void Server::Impl::ObserveUpstream(size_t upstream, std::chrono::steady_clock::time_point called,
                                   api::UpstreamFailure failure) {
  if (options_.metrics == nullptr) return;
  options_.metrics->ObserveUpstream(upstream, MicrosSince(called));
  if (failure != api::UpstreamFailure::kNone) {
    options_.metrics->CountUpstreamError(upstream, UpstreamErrorOf(failure));
  }
}

Task<api::Step> Server::Impl::AdvanceOnStoreThread(api::Exchange& exchange, api::Step::Lane lane) {
  if (store_tasks_.fetch_add(1, std::memory_order_relaxed) >= options_.store_queue) {
    store_tasks_.fetch_sub(1, std::memory_order_relaxed);
    if (options_.metrics != nullptr) options_.metrics->CountStoreOverloaded();
    co_return api::Step::Respond(exchange.Overloaded());
  }
  // The task runs on the pool; its result is handed back on this connection's I/O thread. The
  // work guard keeps that io_context running until then.
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<Executor>&, void(api::Step)>(
      [this, &exchange, lane](auto handler) {
        auto io = asio::get_associated_executor(handler);
        if (lane == api::Step::Lane::kWrite && options_.store_writer) {
          OnStoreWriter(exchange, std::move(handler), asio::make_work_guard(io));
          return;
        }
        asio::thread_pool& pool =
            lane == api::Step::Lane::kWrite ? store_write_pool_ : store_read_pool_;
        asio::post(pool, [this, &exchange, lane, handler = std::move(handler),
                          work = asio::make_work_guard(io)]() mutable {
          api::Step step;
          const auto started = std::chrono::steady_clock::now();
          try {
            step = exchange.Advance(api::Exchange::Mode::kMayBlock);
          } catch (...) {
            LogException("handler (store thread)", std::current_exception());
            step = api::Step::Respond(PlainResponse(500, "Internal Server Error\n"));
          }
          if (options_.metrics != nullptr) {
            options_.metrics->ObserveStore(
                lane == api::Step::Lane::kWrite ? obs::StoreLane::kWrite : obs::StoreLane::kRead,
                MicrosSince(started));
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
                            const beast::flat_buffer& buffer, const Peer& peer, error_code ec,
                            RequestRecord record) {
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
    // What the parser read: the request line, and the fields when the whole head was read.
    api::Request partial = std::move(parser.request());
    partial.body.clear();
    if (partial.method.empty()) {  // the parser did not get the request line
      const auto data = buffer.data();
      ParseRequestLine({static_cast<const char*>(data.data()), data.size()},
                       options_.limits.header_limit, partial);
    }
    partial.client_ip = ClientIp(peer, trusted_, partial.headers);
    head_only = partial.method == "HEAD";
    response = CallHandler("Reject", [&] { return handler_.Reject(partial, limit, max); });
    record.method = partial.method;
    record.target = partial.target;
    record.client_ip = partial.client_ip;
  }
  if (record.client_ip.empty()) record.client_ip = peer.ip;
  const int status = response.status;
  const uint64_t bytes = head_only ? 0 : response.body.size();
  api::RequestFacts facts;
  facts.request_id = std::string(RequestIdOf(response));
  facts.method = record.method;
  facts.target = record.target;
  facts.client_ip = record.client_ip;
  facts.code = limit.empty() ? "none" : errors::kRequestTooLarge.code;
  const bool written = co_await Write(writer, std::move(response), false, head_only);
  if (!written) co_return;
  Observe(record, &facts, status, bytes);
  co_await EndConnection(connection, stream, true);
}

Task<bool> Server::Impl::Write(ClientWriter& writer, api::Response response, bool keep_alive,
                               bool head_only, std::string_view request_id) {
  std::string head;  // FormatHead makes room for a head with a few headers
  const std::string_view body = FormatHead(response,
                                           {.keep_alive = keep_alive,
                                            .head_only = head_only,
                                            .now = std::time(nullptr),
                                            .request_id = request_id},
                                           head);
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(head),
                                                     asio::buffer(body.data(), body.size())};
  // Behind the handlers already queued on this thread: ServerOptions::batch_answers.
  if (options_.batch_answers) co_await asio::post(co_await asio::this_coro::executor, kAwait);
  // WriteNow, then WriteRest only if the socket left some: no coroutine of WriteAll's for the
  // answer the socket takes whole, nearly every answer.
  size_t written = 0;
  error_code ec = writer.WriteNow(buffers, &written);
  if (!ec && written < head.size() + body.size()) ec = co_await writer.WriteRest(buffers, written);
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

}  // namespace ksgate::http
