// HttpLimits: every bound the HTTP layer puts on a client, in one place (style convention 12).
//
// The defaults suit an API whose requests are a few hundred bytes to a few KiB. A limit is
// enforced per connection; nothing here is global except max_connections.
#pragma once

#include <chrono>
#include <cstddef>

namespace ksgate::http {

struct HttpLimits {
  // Bytes of request line plus header fields (CRLFs included) of one request. Default 16 KiB.
  // Over it: api::RequestHandler::Reject(partial, "header_limit", header_limit), then close.
  // Values above 4 GiB are clamped (the parser counts in 32 bits).
  size_t header_limit = 16 * 1024;

  // Bytes of one request body after removing chunked encoding. Default 1 MiB. A Content-Length
  // over it is refused as soon as the header is read, without reading the body:
  // api::RequestHandler::Reject(partial, "body_limit", body_limit), then close.
  size_t body_limit = 1024 * 1024;

  // Time to receive one whole request (header and body) once its first byte arrived. For the
  // first request of a connection it runs from the accept, so a client that connects and sends
  // nothing is dropped after this too. Default 30 s. On expiry the connection is closed silently.
  std::chrono::seconds read_timeout{30};

  // Keep-alive: how long a connection may wait, between two requests, for the first byte of the
  // next one. Default 60 s. On expiry the connection is closed silently.
  std::chrono::seconds idle_timeout{60};

  // Time to send one response. Default 30 s. On expiry the connection is closed silently.
  std::chrono::seconds write_timeout{30};

  // Requests served on one connection; the last one is answered with "Connection: close".
  // Default 100000.
  size_t max_requests_per_connection = 100000;

  // On Server::Shutdown(), how long requests already in flight may take to finish and be
  // answered before their connections are closed anyway. Default 10 s. It cannot interrupt a
  // handler that is running: the connection is closed once the handler returns.
  std::chrono::seconds shutdown_grace{10};

  // Open client connections, over all I/O threads. Default 10000. Over it a new connection is
  // accepted and closed at once (the client sees a reset or EOF instead of waiting in the
  // kernel's listen backlog).
  size_t max_connections = 10000;

  // After refusing a request (limit exceeded, malformed), the server sends its answer, shuts
  // down its sending side and reads and discards what the client still sends for at most this
  // long before closing. Closing with unread input would make the kernel send a reset, which
  // can destroy the answer before the client reads it. Default 2 s.
  std::chrono::seconds linger_timeout{2};
};

}  // namespace ksgate::http
