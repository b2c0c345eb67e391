// ReadMessage: one HTTP message read into a Beast parser, as Beast's async_read_header and
// async_read do, but with the input already buffered parsed in place. Internal to http/, for .cc
// files (it includes the Asio types).
#pragma once

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>

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

}  // namespace ksgate::http
