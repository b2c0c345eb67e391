// UpstreamClient: how the gate talks to the upstream services behind it — one client per I/O
// thread, with keep-alive connections pooled per upstream and reused by that thread's requests.
// Internal to http/ (it speaks Asio types): included by server.cc, upstream.cc
// and upstream_test.cc only.
//
// Every operation is bounded by UpstreamOptions::timeout (resolve, connect, send, the answer's
// head, and each read of its body), so a slow, dead or hostile upstream costs its own requests
// only.
//
// Upstreams. Each request names its upstream (api::UpstreamRequest host and port); the client
// keeps a pool per endpoint, made on the first call to it, so the set of upstreams can change
// (a reload) while the client lives.
//
// Connections. A call takes the most recently used idle connection of its upstream whose socket
// shows nothing to read (an upstream that closed it, or sent anything unasked, is seen before
// the request is written), else opens one. After the answer was read to its end, the connection
// goes back to the pool unless the answer ended it: "Connection: close", HTTP/1.0 without
// "Connection: keep-alive", a body delimited by the upstream closing, bytes after the answer, a
// failure, or CloseIdle() was called. A full pool closes its least recently used connection.
//
// Retry. A call that took a pooled connection and found it closed or reset by the upstream (not
// timed out) is made once more, on a new connection, when nothing of an answer was read and
// either the method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE: the upstream may have
// read the request, and may get it twice) or the write failed before one byte of the request
// was sent (the upstream cannot have read it). A call on a new connection is never retried.
//
// Names. A host that is not a numeric address is resolved with Asio's asynchronous resolver on
// first use and the addresses cached; they are forgotten when none of them takes a connection,
// so a name that moved is resolved again by the next call.
//
// The request sent is "<method> <target> HTTP/1.1", then Host (host:port, an IPv6 address in
// brackets), Content-Length (when the body is not empty or the method is POST, PUT or PATCH),
// "Connection: keep-alive", then request.headers in order less Host, Content-Length, the
// hop-by-hop fields (Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade)
// and invalid ones (logged), then the body. Interim (1xx) answers are read and skipped; a 101
// (a protocol switch nobody asked for) is kBadAnswer. An answer to HEAD, a 204 and a 304 have no
// body, whatever their fields say.
#pragma once

#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "api/handler.h"
#include "http/asio_types.h"
#include "http/upstream_options.h"

namespace ksgate::http {

// Where a Relay writes: the client's connection, plain or TLS. Used from its I/O thread only.
class ClientWriter {
 public:
  // Writes what the connection takes at once, without waiting, and adds its size to *written
  // (which starts at 0). Returns the error, or none: a socket that takes nothing yet is no
  // error. A writer that cannot write without waiting (TLS) writes nothing.
  virtual error_code WriteNow(std::span<const asio::const_buffer> buffers, size_t* written) = 0;
  // Writes `buffers` from byte `offset` on, within the client's write timeout. Returns the
  // error, or none when everything was written.
  virtual Task<error_code> WriteRest(std::span<const asio::const_buffer> buffers,
                                     size_t offset) = 0;

  // Writes all of `buffers` to the client within the client's write timeout: WriteNow, then
  // WriteRest for what it left. Returns the error, or none when everything was written. A
  // caller that wants no coroutine when WriteNow wrote everything calls the two itself.
  Task<error_code> WriteAll(std::span<const asio::const_buffer> buffers) {
    size_t written = 0;
    const error_code ec = WriteNow(buffers, &written);
    if (ec || written == asio::buffer_size(buffers)) co_return ec;
    co_return co_await WriteRest(buffers, written);
  }

 protected:
  ~ClientWriter() = default;
};

// A ClientWriter over a Beast stream `S` (Stream, or a TLS stream over one): each WriteAll that
// waits sets the timeout of `tcp`, the Stream under `stream`, to `timeout`. Both must outlive
// *this.
//
// On a plain Stream, WriteNow writes what the socket takes at once, with one non-blocking
// send (the constructor puts the socket in non-blocking mode; Asio's own operations on it are
// unaffected, and none of ksgate's blocks on a client's socket). So an answer that fits the
// socket's send buffer, nearly every answer, needs no Asio operation: no completion handed
// through the scheduler, no timer armed and cancelled (2,900 of the 38,500 instructions of a
// session.get, make bench-instr). Only the rest, if any, waits for the socket, within `timeout`.
template <typename S>
class StreamWriter final : public ClientWriter {
 public:
  StreamWriter(S& stream, Stream& tcp, std::chrono::milliseconds timeout)
      : stream_(stream), tcp_(tcp), timeout_(timeout) {
    if constexpr (std::is_same_v<S, Stream>) {
      error_code ec;
      tcp_.socket().non_blocking(true, ec);
      try_first_ = !ec;
    }
  }

  error_code WriteNow(std::span<const asio::const_buffer> buffers, size_t* written) override {
    error_code ec;
    if (!try_first_) return ec;
    *written += tcp_.socket().write_some(buffers, ec);
    if (ec == asio::error::would_block) ec = {};
    return ec;
  }

  Task<error_code> WriteRest(std::span<const asio::const_buffer> buffers, size_t offset) override {
    error_code ec;
    beast::buffers_suffix<std::span<const asio::const_buffer>> rest(buffers);
    rest.consume(offset);
    tcp_.expires_after(timeout_);
    co_await asio::async_write(stream_, rest, Into(ec));
    tcp_.expires_never();  // the stream's later operations set their own deadlines
    co_return ec;
  }

 private:
  S& stream_;
  Stream& tcp_;
  std::chrono::milliseconds timeout_;
  bool try_first_ = false;  // the socket is non-blocking: WriteNow tries a send
};

// How a Relay ended.
struct RelayOutcome {
  // kNone when the answer, or part of it, reached the client; otherwise why nothing did (the
  // caller then answers the client itself).
  api::UpstreamFailure failure = api::UpstreamFailure::kNone;
  // True when the whole answer was relayed and the client connection may serve another request.
  bool client_reusable = false;
  // When failure is kNone: the upstream's status, and the bytes of its body written to the
  // client.
  int status = 0;
  uint64_t bytes = 0;
};

class UpstreamClient {
 public:
  // The client lives on `executor`'s thread and is used from that thread only. Not
  // thread-safe. It must outlive every Fetch and Relay in progress, and each call's `request`
  // (and `client`) must outlive the call.
  UpstreamClient(Executor executor, UpstreamOptions options);
  ~UpstreamClient();

  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Sends `request` (HTTP/1.1, with Host, Content-Length and keep-alive added as said above)
  // and returns the upstream's whole answer: status, Content-Type and body (chunked encoding
  // removed). A broken pooled connection is retried once on a fresh one when nothing of the
  // answer was read (see Retry above). Failures are reported in the answer (status 0, content_type
  // and body empty), never thrown: kUnavailable (no host named, a request that cannot be
  // written, the name does not resolve, connection refused or unreachable, closed or reset before
  // the answer ended), kTimeout (an operation took longer than options.timeout), kBadAnswer (not
  // HTTP, a 101, head over header_limit, body over fetch_limit).
  Task<api::UpstreamAnswer> Fetch(const api::UpstreamRequest& request);

  // Sends `request` and relays the upstream's answer through `client` as it arrives: the status
  // line and header fields (hop-by-hop fields dropped: Connection, Keep-Alive, Proxy-*, TE,
  // Trailer, Transfer-Encoding, Upgrade), `Connection: keep-alive` or `close` as
  // `client_keep_alive` asks, then the body in pieces as they come (never held whole: at most one
  // read buffer), framed by Content-Length when the upstream gave one, else chunked (also for an
  // HTTP/1.0 client, which cannot read it: close-delimited framing is not supported). With
  // `head_only` (the client sent HEAD) no body is written. Each write to `client` is one
  // WriteAll, bounded by the client's write timeout.
  //
  // The head is written by FormatHead (response_head.h): "HTTP/1.1", the status with the
  // gate's reason phrase, the gate's Server and Date, the framing above; fields the upstream's
  // Connection names and Content-Length are dropped too, the rest is relayed in order, then
  // request.response_headers (which replace the upstream's fields of the same names). Upstream
  // trailers are dropped. request.method "HEAD" implies `head_only`; `head_only` with another
  // method writes the head and closes the upstream connection (its body is not read).
  //
  // Returns {failure, false} when the upstream failed before its head arrived (as Fetch's
  // failures; nothing was written to `client`: the caller answers it). Otherwise failure is
  // kNone and client_reusable is `client_keep_alive` when the whole answer was written, false
  // when the upstream failed mid-body (what arrived was relayed, then the answer is cut: the
  // caller must close the client's connection without writing to it) or a write to `client`
  // failed. The client's timer is left armed: the caller sets it again before its next
  // operation.
  Task<RelayOutcome> Relay(const api::UpstreamRequest& request, ClientWriter& client,
                           bool client_keep_alive, bool head_only);

  // Closes every pooled connection (shutdown). Connections in use are closed, not pooled, when
  // their call ends; calls made later still work, on connections of their own.
  void CloseIdle();

  // CloseIdle, and also closes the connections of calls in progress, which end at once with a
  // failure (kUnavailable, or a relay cut mid-body): the end of a shutdown's grace period.
  void CloseAll();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ksgate::http
