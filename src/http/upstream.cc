// UpstreamClient on Boost.Beast + Asio (1.74) with C++20 coroutines, written in the idioms of
// server.cc: every operation gets its deadline from the stream's timer (expires_after), errors
// come back as values (Into(ec)), parsers are fresh per message and bounded.
//
// One call, Fetch or Relay, is: take an idle connection of the upstream or open one (Connect:
// the async resolver, cached, then connect), write the request, read the head of the final
// answer (Exchange, which also retries a stale pooled connection once), then read the body:
// whole into a string (Fetch), or piece by piece into a fixed buffer written on to the client
// as it comes (Relay, the shape of Beast's http_relay example). A connection whose answer was
// read to its end and that may be kept alive goes back to its upstream's pool.
#include "http/upstream.h"

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/basic_resolver.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <charconv>
#include <ctime>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_set>
#include <utility>

#include "http/parsers.h"
#include "http/response_head.h"
#include "http/upstream_request.h"

namespace ksgate::http {
namespace {

using Failure = api::UpstreamFailure;
using Resolver = asio::ip::basic_resolver<tcp, Executor>;

// A relayed body is read and written in pieces of at most this size.
constexpr size_t kRelayPiece = 64 * 1024;
// Beast reads at most this much into a connection's buffer at a time.
constexpr size_t kReadSize = 64 * 1024;
// The room a new connection's buffer starts with (it grows to kReadSize as answers need).
constexpr size_t kFirstReadSize = 16 * 1024;
constexpr std::string_view kCrLf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

// One connection to an upstream: in a call's frame while the call uses it, else in the pool.
// It is listed in its client's `live` set for its whole life (CloseAll closes them all).
struct UpstreamConnection {
  UpstreamConnection(const Executor& executor, size_t buffer_limit,
                     std::unordered_set<UpstreamConnection*>& live)
      : stream(executor), buffer(buffer_limit), live_(live) {
    // Beast reads at most the buffer's free capacity (512 bytes at least): room made now lets
    // one read take a whole small answer, instead of one read and one client write per 512.
    buffer.reserve(std::min(kFirstReadSize, buffer_limit));
    live_.insert(this);
  }
  ~UpstreamConnection() { live_.erase(this); }
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  Stream stream;
  // What was read and not yet parsed; empty between answers (or the connection is not reused).
  beast::flat_buffer buffer;

 private:
  std::unordered_set<UpstreamConnection*>& live_;
};
using ConnectionPtr = std::unique_ptr<UpstreamConnection>;

// RFC 9110 9.2.2: a request the upstream may receive twice with the effect of once.
bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

// "Host" for an endpoint: host:port, an IPv6 address in brackets.
std::string HostField(const UpstreamEndpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

// The answer's fields to relay, as head lines (response_head.h AppendFieldLine): all but the
// hop-by-hop ones, those the answer's Connection field names (RFC 9110 7.6.1), Content-Length
// (the client's framing is the gate's own) and those the gate sets itself (`own`, written last).
std::string RelayedLines(const FieldViews& fields,
                         const std::vector<std::pair<std::string, std::string>>& own) {
  std::vector<std::string_view> named;  // by Connection
  for (const auto& [name, value] : fields) {
    if (!beast::iequals(name, "Connection")) continue;
    for (const auto& token : bhttp::token_list(value)) named.push_back(token);
  }
  std::string lines;
  for (const auto& [name, value] : fields) {
    if (IsHopByHop(name) || beast::iequals(name, "Content-Length")) continue;
    bool listed = false;
    for (const std::string_view n : named) listed = listed || beast::iequals(name, n);
    for (const auto& mine : own) listed = listed || beast::iequals(name, mine.first);
    if (!listed) AppendFieldLine(name, value, /*has_content_type=*/false, lines);
  }
  for (const auto& [name, value] : own) AppendFieldLine(name, value, false, lines);
  return lines;
}

// What a failed operation on an upstream (resolve, connect, write, read) means to the caller.
Failure Classify(const error_code& ec) {
  if (ec == beast::error::timeout) return Failure::kTimeout;
  if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category()) {
    // The connection ended before the message did; every other HTTP error is a bad answer
    // (not HTTP, or over header_limit / fetch_limit).
    const bool broken = ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
    return broken ? Failure::kUnavailable : Failure::kBadAnswer;
  }
  return Failure::kUnavailable;  // refused, unreachable, reset, name not found
}

// The upstream closed or reset the connection.
bool IsConnectionLoss(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe;
}

// An idle connection may be reused when the upstream has neither closed it nor sent anything
// on it: a peek at the socket (non-blocking since Connect) finds nothing to read yet.
bool IsQuiet(Stream& stream) {
  char byte;
  error_code ec;
  stream.socket().receive(asio::buffer(&byte, 1), Socket::message_peek, ec);
  return ec == asio::error::would_block;
}

// "<size in hex>\r\n" into `out`, for a chunk of `size` bytes; the view is of `out`.
std::string_view ChunkSizeLine(size_t size, std::array<char, 24>& out) {
  const auto [end, err] = std::to_chars(out.data(), out.data() + out.size() - 2, size, 16);
  end[0] = '\r';
  end[1] = '\n';
  return {out.data(), static_cast<size_t>(end + 2 - out.data())};
}

asio::const_buffer Buffer(std::string_view s) { return asio::buffer(s.data(), s.size()); }

}  // namespace

class UpstreamClient::Impl {
 public:
  Impl(Executor executor, UpstreamOptions options);

  Task<api::UpstreamAnswer> Fetch(const api::UpstreamRequest& request);
  Task<RelayOutcome> Relay(const api::UpstreamRequest& request, ClientWriter& client,
                           bool client_keep_alive, bool head_only);
  void CloseIdle();
  void CloseAll();

 private:
  struct Upstream {
    UpstreamEndpoint endpoint;
    std::string host_field;  // the Host field sent to it
    bool numeric = false;    // endpoint.host is an address: never resolved
    // Where it is: resolved on first use, forgotten when no address takes a connection (so a
    // name that moved is resolved again).
    std::vector<tcp::endpoint> addresses;
    std::vector<ConnectionPtr> idle;  // least recently used first
  };

  // The connection a call uses and the parser that has read its final answer's head.
  struct Answer {
    ConnectionPtr connection;
    std::optional<ResponseParser> parser;
  };

  Task<Failure> Exchange(Upstream& upstream, const api::UpstreamRequest& request,
                         std::string_view head, uint64_t body_limit, Answer& answer);
  Task<Failure> Connect(Upstream& upstream, ConnectionPtr& connection);
  Task<Failure> Resolve(Upstream& upstream);
  Upstream& Find(const std::string& host, uint16_t port);
  Upstream* Prepare(const api::UpstreamRequest& request, std::string& head);
  ConnectionPtr TakeIdle(Upstream& upstream);
  void Release(Upstream& upstream, ConnectionPtr connection, bool keep_alive);
  void LogFailure(const Upstream& upstream, std::string_view what, const error_code& ec) const;

  Executor executor_;
  UpstreamOptions options_;
  // Every connection alive, pooled or in a call (declared first: destroyed after the pools).
  std::unordered_set<UpstreamConnection*> live_;
  // One entry per endpoint ever called, in first-call order; a deque, never shrunk, because
  // calls hold references into it. Reloads may add endpoints; few are ever configured.
  std::deque<Upstream> upstreams_;
  bool closing_ = false;  // CloseIdle() was called: pool nothing more
};

UpstreamClient::Impl::Impl(Executor executor, UpstreamOptions options)
    : executor_(std::move(executor)), options_(options) {}

void UpstreamClient::Impl::LogFailure(const Upstream& upstream, std::string_view what,
                                      const error_code& ec) const {
  spdlog::warn("http: upstream {}: {}: {}", upstream.host_field, what, ec.message());
}

// The pool of the endpoint host:port, made on first use.
UpstreamClient::Impl::Upstream& UpstreamClient::Impl::Find(const std::string& host, uint16_t port) {
  for (Upstream& upstream : upstreams_) {
    if (upstream.endpoint.port == port && upstream.endpoint.host == host) return upstream;
  }
  Upstream& upstream = upstreams_.emplace_back();
  upstream.endpoint = UpstreamEndpoint{host, port};
  upstream.host_field = HostField(upstream.endpoint);
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    upstream.numeric = true;
    upstream.addresses.emplace_back(address, port);
  }
  return upstream;
}

// The upstream `request` names, its head written into `head`; null (logged) when it names no
// host or the request cannot be written.
UpstreamClient::Impl::Upstream* UpstreamClient::Impl::Prepare(const api::UpstreamRequest& request,
                                                              std::string& head) {
  if (request.host.empty()) {
    spdlog::error("http: an upstream request without a host");
    return nullptr;
  }
  Upstream& upstream = Find(request.host, request.port);
  if (!FormatRequestHead(request, upstream.host_field, head)) {
    spdlog::error("http: cannot send '{}' to upstream {}: invalid method or target",
                  IsToken(request.method) ? request.method : "?", upstream.host_field);
    return nullptr;
  }
  return &upstream;
}

// ---------------------------------------------------------------------------------------------
// Connections: resolve, connect, pool.

Task<Failure> UpstreamClient::Impl::Resolve(Upstream& upstream) {
  // The resolver's deadline is a timer that cancels it; the resolver is shared with the timer's
  // handler, which may run after this frame is gone.
  auto resolver = std::make_shared<Resolver>(executor_);
  Timer deadline(executor_);
  deadline.expires_after(options_.timeout);
  deadline.async_wait([weak = std::weak_ptr<Resolver>(resolver)](error_code ec) {
    if (ec) return;  // cancelled: the resolver finished first
    if (auto r = weak.lock()) r->cancel();
  });
  error_code ec;
  const auto results = co_await resolver->async_resolve(upstream.endpoint.host,
                                                        std::to_string(upstream.endpoint.port),
                                                        Resolver::numeric_service, Into(ec));
  const bool timed_out = ec == asio::error::operation_aborted;
  deadline.cancel();
  if (timed_out) ec = beast::error::timeout;
  if (!ec && results.empty()) ec = asio::error::host_not_found;
  if (ec) {
    LogFailure(upstream, "resolving " + upstream.endpoint.host, ec);
    co_return Classify(ec);
  }
  upstream.addresses.clear();
  for (const auto& entry : results) upstream.addresses.push_back(entry.endpoint());
  co_return Failure::kNone;
}

Task<Failure> UpstreamClient::Impl::Connect(Upstream& upstream, ConnectionPtr& connection) {
  if (upstream.addresses.empty()) {
    const Failure failure = co_await Resolve(upstream);
    if (failure != Failure::kNone) co_return failure;
  }
  // Room for a whole head plus one read: a head over header_limit fails as such, not as an
  // overflow of this buffer.
  connection =
      std::make_unique<UpstreamConnection>(executor_, options_.header_limit + kReadSize, live_);
  error_code ec;
  connection->stream.expires_after(options_.timeout);
  co_await connection->stream.async_connect(upstream.addresses, Into(ec));  // copied by Asio
  if (ec) {
    LogFailure(upstream, "connect", ec);
    connection.reset();
    if (!upstream.numeric) upstream.addresses.clear();
    co_return Classify(ec);
  }
  Socket& socket = connection->stream.socket();
  socket.set_option(tcp::no_delay(true), ec);
  socket.non_blocking(true, ec);  // for IsQuiet's peek; Asio's async operations ignore it
  co_return Failure::kNone;
}

ConnectionPtr UpstreamClient::Impl::TakeIdle(Upstream& upstream) {
  while (!upstream.idle.empty()) {
    ConnectionPtr connection = std::move(upstream.idle.back());  // the most recently used
    upstream.idle.pop_back();
    if (IsQuiet(connection->stream)) return connection;
  }
  return nullptr;
}

void UpstreamClient::Impl::Release(Upstream& upstream, ConnectionPtr connection, bool keep_alive) {
  // Bytes after the answer are not HTTP we asked for: such a connection is not reused either.
  if (!keep_alive || closing_ || connection->buffer.size() != 0 ||
      options_.max_idle_per_upstream == 0) {
    return;  // destroyed: closed
  }
  if (upstream.idle.size() >= options_.max_idle_per_upstream) {
    upstream.idle.erase(upstream.idle.begin());  // the least recently used goes
  }
  connection->stream.expires_never();
  upstream.idle.push_back(std::move(connection));
}

void UpstreamClient::Impl::CloseIdle() {
  closing_ = true;
  for (Upstream& upstream : upstreams_) {
    for (ConnectionPtr& connection : upstream.idle) connection->stream.close();
    upstream.idle.clear();
  }
}

void UpstreamClient::Impl::CloseAll() {
  CloseIdle();
  // Closing cancels what each call in progress waits for: it ends with a failure at once.
  for (UpstreamConnection* connection : live_) connection->stream.close();
}

// ---------------------------------------------------------------------------------------------
// One exchange: send the request, read the final answer's head.

// On success, answer.connection is the connection and answer.parser has read the head of the
// final (non-1xx) answer. On failure, answer.connection is null or must be dropped.
//
// The retry rule: a call that took an idle connection from the pool and saw it closed or reset
// by the upstream (not timed out) is made once more, on a new connection, when nothing of an
// answer was read and either the request is idempotent (the upstream may have read it, but
// may receive it twice) or the write failed before a single byte of it was sent (the upstream
// cannot have read it). A call on a new connection is never retried.
Task<Failure> UpstreamClient::Impl::Exchange(Upstream& upstream,
                                             const api::UpstreamRequest& request,
                                             std::string_view head, uint64_t body_limit,
                                             Answer& answer) {
  const std::array<asio::const_buffer, 2> wire = {Buffer(head), Buffer(request.body)};
  const bool head_request = request.method == "HEAD";
  bool may_retry = true;
  for (;;) {
    answer.parser.reset();
    answer.connection = may_retry ? TakeIdle(upstream) : nullptr;
    const bool pooled = answer.connection != nullptr;
    if (!pooled) {
      const Failure failure = co_await Connect(upstream, answer.connection);
      if (failure != Failure::kNone) co_return failure;
    }
    UpstreamConnection& connection = *answer.connection;

    error_code ec;
    connection.stream.expires_after(options_.timeout);
    const size_t written = co_await asio::async_write(connection.stream, wire, Into(ec));
    const bool write_failed = static_cast<bool>(ec);

    // The head of the final answer, interim (1xx) answers skipped: one deadline for them all.
    bool got_some = false;
    if (!write_failed) connection.stream.expires_after(options_.timeout);
    while (!ec) {
      auto& parser = answer.parser.emplace();
      parser.header_limit(static_cast<uint32_t>(
          std::min<size_t>(options_.header_limit, std::numeric_limits<uint32_t>::max())));
      parser.body_limit(body_limit);
      parser.skip(head_request);  // an answer to HEAD has no body, whatever its fields say
      co_await bhttp::async_read_header(connection.stream, connection.buffer, parser, Into(ec));
      got_some = got_some || parser.got_some();
      if (ec) break;
      const int status = parser.status();
      if (status >= 200) co_return Failure::kNone;
      if (status < 100 || status == 101) {  // not a status, or a protocol switch not asked for
        spdlog::warn("http: upstream {}: answered status {}", upstream.host_field, status);
        co_return Failure::kBadAnswer;
      }
    }

    const bool retry = may_retry && pooled && IsConnectionLoss(ec) && !got_some &&
                       (IsIdempotent(request.method) || (write_failed && written == 0));
    if (!retry) {
      LogFailure(upstream, write_failed ? "sending the request" : "reading the answer", ec);
      co_return Classify(ec);
    }
    spdlog::debug("http: upstream {}: pooled connection lost ({}); retrying", upstream.host_field,
                  ec.message());
    may_retry = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Fetch and Relay.

Task<api::UpstreamAnswer> UpstreamClient::Impl::Fetch(const api::UpstreamRequest& request) {
  api::UpstreamAnswer result;
  std::string head;
  Upstream* upstream = Prepare(request, head);
  if (upstream == nullptr) {
    result.failure = Failure::kUnavailable;
    co_return result;
  }
  Answer answer;
  result.failure = co_await Exchange(*upstream, request, head, options_.fetch_limit, answer);
  if (result.failure != Failure::kNone) co_return result;

  UpstreamConnection& connection = *answer.connection;
  auto& parser = *answer.parser;
  parser.BodyTo(&result.body);
  parser.eager(true);
  while (!parser.is_done()) {
    error_code ec;
    connection.stream.expires_after(options_.timeout);
    co_await bhttp::async_read_some(connection.stream, connection.buffer, parser, Into(ec));
    if (ec) {
      LogFailure(*upstream, "reading the answer's body", ec);
      result.failure = Classify(ec);
      result.body.clear();  // a part of a body is no answer
      co_return result;
    }
  }
  result.status = parser.status();
  result.content_type = std::string(parser.content_type());
  Release(*upstream, std::move(answer.connection), parser.keep_alive());
  co_return result;
}

Task<RelayOutcome> UpstreamClient::Impl::Relay(const api::UpstreamRequest& request,
                                               ClientWriter& client, bool client_keep_alive,
                                               bool head_only) {
  std::string head;
  Upstream* upstream = Prepare(request, head);
  if (upstream == nullptr) co_return RelayOutcome{Failure::kUnavailable, false};
  Answer answer;
  const Failure failure =
      co_await Exchange(*upstream, request, head, std::numeric_limits<uint64_t>::max(), answer);
  if (failure != Failure::kNone) co_return RelayOutcome{failure, false};
  UpstreamConnection& connection = *answer.connection;
  auto& parser = *answer.parser;

  // The head: the upstream's status and end-to-end fields, the gate's framing.
  head_only = head_only || request.method == "HEAD";
  const int status = parser.status();
  HeadOptions options{
      .keep_alive = client_keep_alive, .head_only = head_only, .now = std::time(nullptr)};
  if (const auto length = parser.content_length()) {
    options.framing = BodyFraming::kLength;
    options.content_length = *length;
  } else {
    options.framing = BodyFraming::kChunked;  // chunked or close-delimited upstream
  }
  const api::Response relayed{
      .status = status, .head_lines = RelayedLines(parser.fields(), request.response_headers)};
  FormatHead(relayed, options, head);  // status is 200..999: the head is relayed's
  const bool chunked = options.framing == BodyFraming::kChunked;
  // 204, 304, answers to HEAD and empty Content-Length bodies are done at the head.
  const bool body_follows = !head_only && !parser.is_done();

  // From here on the answer reaches the client (or the client left): failure stays kNone.
  RelayOutcome outcome{Failure::kNone, false, status, 0};
  // When body bytes came with the head (a small answer usually arrives whole), the head leaves
  // with the first piece of the body, in one write; else at once, on its own.
  bool head_pending = body_follows && connection.buffer.size() > 0;
  error_code ec;
  if (!head_pending) {
    const asio::const_buffer head_buffer = Buffer(head);
    ec = co_await client.WriteAll({&head_buffer, 1});
    if (ec) co_return outcome;  // the client left; so does upstream
  }
  if (!body_follows) {
    // A HEAD from the client sent upstream as another method leaves a body unread.
    if (parser.is_done()) Release(*upstream, std::move(answer.connection), parser.keep_alive());
    outcome.client_reusable = client_keep_alive;
    co_return outcome;
  }

  // The body, piece by piece: each upstream read bounded by options_.timeout, each client
  // write by the client's write timeout, nothing held beyond one piece.
  const auto piece = std::make_unique_for_overwrite<char[]>(kRelayPiece);
  std::array<char, 24> size_line;
  parser.eager(true);
  while (!parser.is_done()) {
    parser.PieceInto(piece.get(), kRelayPiece);
    connection.stream.expires_after(options_.timeout);
    co_await bhttp::async_read_some(connection.stream, connection.buffer, parser, Into(ec));
    if (ec == bhttp::error::need_buffer) ec = {};  // the piece is full
    const error_code upstream_ec = ec;
    // What arrived before a failure is relayed too: the client keeps what it can (to resume a
    // download by range, say), then sees the answer cut.
    const size_t n = kRelayPiece - parser.piece_left();
    const bool last = !upstream_ec && parser.is_done();
    if (n > 0 || (last && chunked) || head_pending) {
      const bool framed = n > 0 && chunked;
      const std::array<asio::const_buffer, 5> out = {
          Buffer(head_pending ? std::string_view(head) : std::string_view()),
          Buffer(framed ? ChunkSizeLine(n, size_line) : std::string_view()),
          asio::buffer(piece.get(), n), Buffer(framed ? kCrLf : std::string_view()),
          Buffer(last && chunked ? kLastChunk : std::string_view())};
      head_pending = false;
      ec = co_await client.WriteAll(out);
      if (ec) co_return outcome;  // the client left
      outcome.bytes += n;
    }
    if (upstream_ec) {
      LogFailure(*upstream, "relaying the answer's body", upstream_ec);
      co_return outcome;  // the client must see the answer cut
    }
  }
  Release(*upstream, std::move(answer.connection), parser.keep_alive());
  outcome.client_reusable = client_keep_alive;
  co_return outcome;
}

// ---------------------------------------------------------------------------------------------
// UpstreamClient: forwards to Impl.

UpstreamClient::UpstreamClient(Executor executor, UpstreamOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), options)) {}
UpstreamClient::~UpstreamClient() = default;

Task<api::UpstreamAnswer> UpstreamClient::Fetch(const api::UpstreamRequest& request) {
  return impl_->Fetch(request);
}

Task<RelayOutcome> UpstreamClient::Relay(const api::UpstreamRequest& request, ClientWriter& client,
                                         bool client_keep_alive, bool head_only) {
  return impl_->Relay(request, client, client_keep_alive, head_only);
}

void UpstreamClient::CloseIdle() { impl_->CloseIdle(); }
void UpstreamClient::CloseAll() { impl_->CloseAll(); }

}  // namespace ksgate::http
