// ReadMessage: one HTTP message read into a Beast parser, as Beast's async_read_header and
// async_read do, but with the input already buffered parsed in place; and AsyncReadSomeLater, the
// wait for a keep-alive connection's next request. Internal to http/, for .cc files (it includes
// the Asio types).
#pragma once

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <sys/socket.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <cstddef>
#include <utility>

namespace ksgate::http {

// Reads from `stream` into `parser` until it has the message's head (`whole` false) or the
// whole message, and returns what Beast's async_read_header / async_read would have failed with
// (the parser does all the checking; end_of_stream when the stream ended before any byte). The
// input left in `buffer` by an earlier read is parsed first, and a read is made only when the
// parser needs more. Beast's operations post their completion even when the buffer already held
// all they needed, as it does for a request that arrived whole: two composed operations and two
// scheduler round trips per request, for nothing (docs/benchmarks.md, "Results: stop 18").
template <typename AsyncReadStream, bool isRequest>
Task<error_code> ReadMessage(AsyncReadStream& stream, beast::flat_buffer& buffer,
                             bhttp::basic_parser<isRequest>& parser, bool whole) {
  parser.eager(whole);
  error_code ec;
  while (whole ? !parser.is_done() : !parser.is_header_done()) {
    if (buffer.size() > 0) {
      const size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != bhttp::error::need_more) co_return ec;
      if (!ec && used > 0) continue;  // progress: done yet?
      ec = {};                        // more input needed
    }
    const size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return bhttp::error::buffer_overflow;
    const size_t n = co_await stream.async_read_some(buffer.prepare(size), Into(ec));
    buffer.commit(n);
    if (ec == asio::error::eof) {
      if (!parser.got_some()) co_return bhttp::error::end_of_stream;
      ec = {};
      parser.put_eof(ec);  // the end of a message that may end with the stream, or an error
      co_return ec;
    }
    if (ec) co_return ec;
  }
  co_return ec;
}

// AsyncReadSomeLater's read on a plain TCP stream, called from a handler (so `handler` may be
// called here): one recv with MSG_DONTWAIT, whatever the socket's mode; on EAGAIN a wait for
// readability, then the same again.
template <typename PlainStream, typename Handler>
void ReadSomeInPlace(PlainStream& stream, asio::mutable_buffer buffers, Handler&& handler) {
  auto& socket = stream.socket();
  ssize_t n;
  do {
    n = ::recv(socket.native_handle(), buffers.data(), buffers.size(), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0 || (n == 0 && buffers.size() == 0)) {
    std::forward<Handler>(handler)(error_code(), static_cast<size_t>(n));
    return;
  }
  if (n == 0) {
    std::forward<Handler>(handler)(error_code(asio::error::eof), size_t{0});
    return;
  }
  if (errno != EAGAIN && errno != EWOULDBLOCK) {
    std::forward<Handler>(handler)(error_code(errno, boost::system::system_category()), size_t{0});
    return;
  }
  socket.async_wait(
      tcp::socket::wait_read,
      [&stream, buffers, handler = std::forward<Handler>(handler)](error_code ec) mutable {
        if (ec) {
          std::move(handler)(ec, size_t{0});
          return;
        }
        ReadSomeInPlace(stream, buffers, std::move(handler));  // readable: the recv takes it
      });
}

// async_read_some on `stream` into `buffers`, started only once the handlers already queued on
// the stream's executor have run, with `on_start()` called just before the read starts; if
// `abandon` is true by then, the read does not start and completes with operation_aborted
// (on_start is not called).
//
// Why: for the next request on a keep-alive connection. Its client sends that request only
// after it has our answer, so a read started at once finds nothing, and Asio tries every read
// before it waits for the socket: a recvmsg that fails with EAGAIN, one more system call per
// request than nginx makes (nginx reads again only after epoll says so). Started behind the
// answers to the other connections that were ready, a loaded server usually finds the request
// there and reads it with one recvmsg: 3 system calls per request become 2, and on this VM,
// where a system call is dear, that was 5-20% more requests per second (docs/benchmarks.md,
// "Results: stop 21"). An idle server pays the post (500-850 instructions) and the EAGAIN.
//
// On a plain TCP stream (one with a socket()) the read is made in place, by a non-blocking recv
// in the posted handler: what is there completes the read at once, without the trip through the
// scheduler that Asio's own read makes for a completion, however immediate; when nothing is
// there yet, the read waits for the socket to become readable (as nginx does) and then reads
// in place again, so an idle connection still costs one EAGAIN, not two.
template <typename AsyncReadStream, typename OnStart, typename Token>
auto AsyncReadSomeLater(AsyncReadStream& stream, asio::mutable_buffer buffers, const bool& abandon,
                        OnStart on_start, Token&& token) {
  return asio::async_initiate<Token, void(error_code, size_t)>(
      [&stream, buffers, &abandon](auto handler, OnStart start) {
        asio::post(stream.get_executor(), [&stream, buffers, &abandon, start = std::move(start),
                                           handler = std::move(handler)]() mutable {
          if (abandon) {
            std::move(handler)(error_code(asio::error::operation_aborted), size_t{0});
            return;
          }
          start();
          if constexpr (requires { stream.socket().native_handle(); }) {
            ReadSomeInPlace(stream, buffers, std::move(handler));
          } else {
            stream.async_read_some(buffers, std::move(handler));
          }
        });
      },
      token, std::move(on_start));
}

}  // namespace ksgate::http
