// HttpLimits: every bound the HTTP layer puts on a client, in one place (style convention 12).
//
// The defaults suit an API whose requests are a few hundred bytes to a few KiB. A limit is
// enforced per connection; nothing here is global except max_connections and, per client
// address, max_connections_per_address.
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

  // Time to receive one whole request (header and body) once its first byte arrived. Default
  // 30 s. On expiry the connection is closed silently. This, first_byte_timeout and
  // idle_timeout are checked by a sweep of the I/O thread's connections every 100 ms, so a
  // connection is closed up to 100 ms after its deadline.
  std::chrono::seconds read_timeout{30};

  // A new connection must send its first byte within this of the accept (with TLS: of the end
  // of the handshake), else it is closed silently: a connection that sends nothing holds a slot
  // for this long only. Default 5 s.
  std::chrono::milliseconds first_byte_timeout{5000};

  // With TLS (ServerOptions::tls_cert_file), the handshake must be over within this of the
  // accept, else the connection is closed silently, like a silent one. Default 10 s.
  std::chrono::milliseconds tls_handshake_timeout{10000};

  // Keep-alive: how long a connection may wait, between two requests, for the first byte of the
  // next one. Default 60 s. On expiry the connection is closed silently.
  std::chrono::seconds idle_timeout{60};

  // Time to send one response. Default 30 s. On expiry the connection is closed silently.
  std::chrono::seconds write_timeout{30};

  // Requests served on one connection; the last one is answered with "Connection: close".
  // Default 100000.
  size_t max_requests_per_connection = 100000;

  // On Server::Shutdown(), how long requests already in flight may take to finish and be
  // answered before their connections, and their calls to upstreams, are closed anyway. Default
  // 10 s. It cannot interrupt a handler that is running (on a store thread): the connection is
  // closed once the handler returns.
  std::chrono::milliseconds shutdown_grace{10000};

  // Open client connections, over all I/O threads. Default 10000. Over it a new connection is
  // accepted and closed at once with a reset (instead of waiting in the kernel's listen backlog).
  // Each connection holds a file descriptor: `ksgate serve` raises its soft RLIMIT_NOFILE to the
  // hard limit (RaiseOpenFileLimit in server.h).
  size_t max_connections = 10000;

  // Open connections from one client address: the TCP peer's (X-Forwarded-For names clients per
  // request, not per connection), an IPv6 peer counted by its /64 (ConnectionQuota::KeyOf).
  // Default 256; 0 means no per-address limit. A connection over it is accepted and closed at
  // once with a reset, before anything is read, so that one address cannot take every slot of
  // max_connections: for the same reason a limit over half of max_connections counts as half.
  // Trusted proxies (ServerOptions::trusted_proxies) are not limited per address: one carries many
  // clients, and limiting them per client is the proxy's job; only max_connections bounds them.
  size_t max_connections_per_address = 256;

  // After refusing a request (limit exceeded, malformed), the server sends its answer, shuts
  // down its sending side and reads and discards what the client still sends for at most this
  // long before closing. Closing with unread input would make the kernel send a reset, which
  // can destroy the answer before the client reads it. Default 2 s.
  std::chrono::seconds linger_timeout{2};
};

}  // namespace ksgate::http
