// The status line and header block of an HTTP/1.1 response, written by hand into one string:
// server.cc sends it and the body with one gather write; upstream.cc writes the heads of relayed
// answers with it, their body framed apart. Pure functions over api::Response (the only side
// effect is a log line for a handler's mistakes); no HTTP library types. Thread-safe.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "api/response.h"

namespace ksgate::http {

// What a head announces of the body that follows it.
enum class BodyFraming {
  kResponseBody,  // response.body follows: "Content-Length: <its size>"
  kLength,        // a body sent apart follows (a relayed one): "Content-Length: <content_length>"
  kChunked,       // a body sent apart follows in chunks: "Transfer-Encoding: chunked"
};

struct HeadOptions {
  // "Connection: keep-alive" when true, else "Connection: close".
  bool keep_alive = true;
  // The request was HEAD: the head is the one a GET would get (same Content-Length), and no
  // body follows it.
  bool head_only = false;
  // The time for the Date header, in Unix seconds.
  std::time_t now = 0;
  // With kLength and kChunked, response.body is ignored: the caller sends the body itself.
  BodyFraming framing = BodyFraming::kResponseBody;
  uint64_t content_length = 0;  // the body's size with BodyFraming::kLength
  // The request's id (api::RequestFacts), written last as X-Request-Id when not empty (and a
  // valid header value).
  std::string_view request_id;
};

// Writes into `out`, replacing what it held, the head of `response`:
//   HTTP/1.1 <status> <reason>       reason as registered with IANA ("OK", "Not Found"), or
//                                    nothing after the space for an unregistered status
//   Server: ksgate
//   Date: <options.now as an IMF-fixdate>
//   Content-Type: <content_type>     unless it is empty or holds CR, LF or NUL
//   Content-Length: <body size>      or Transfer-Encoding: chunked, as options.framing says;
//                                    neither for 204 and 304
//   Connection: keep-alive | close
//   <name>: <value>                  each of response.headers in order, except those this
//                                    function writes itself (Content-Length, Transfer-Encoding,
//                                    Connection, Date, Server, in any case, and Content-Type
//                                    when content_type is set) and invalid ones (a name that is
//                                    not an HTTP token, a value with CR, LF or NUL: logged)
//   <response.fixed_lines>           as they are
//   <response.head_lines>            as they are
//   X-Request-Id: <request_id>       when options.request_id is set
//   <empty line>
// each line ending in CRLF. Returns what follows the head on the wire: a view of response.body
// (valid while `response` is), or an empty view for 204, 304, options.head_only and a body
// framed apart (kLength, kChunked).
//
// A status outside 200..999 is a handler bug: it is logged and the answer becomes a 500 with
// Content-Type text/plain, no other headers and the body "Internal Server Error\n" (the returned
// view is then of static storage, whatever options.framing says).
std::string_view FormatHead(const api::Response& response, const HeadOptions& options,
                            std::string& out);

// Appends "<name>: <value>\r\n" to `out` as FormatHead writes a field of response.headers: not
// when the name is one FormatHead writes itself (Content-Length, Transfer-Encoding, Connection,
// Date, Server, in any case, and Content-Type when `has_content_type`), nor when the name is not
// a token or the value holds CR, LF or NUL (logged). Returns whether it appended.
bool AppendFieldLine(std::string_view name, std::string_view value, bool has_content_type,
                     std::string& out);

// "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n" for `now` (Unix seconds; UTC). Formats only when
// `now` differs from this thread's previous call: the view is of a thread-local buffer, valid
// until the next call on the same thread.
std::string_view DateLine(std::time_t now);

// True for the characters of an HTTP token (RFC 9110 5.6.2), which header names and methods are.
bool IsTokenChar(char c);

// True for a non-empty string of token characters: a valid header name or method.
bool IsToken(std::string_view s);

// True for a header value this layer writes: one without CR, LF or NUL (obs-text allowed).
bool IsValidHeaderValue(std::string_view value);

}  // namespace ksgate::http
