// Where the gate's upstream services are and how the HTTP layer talks to them: plain settings,
// free of Asio, so that server.h can take them (upstream.h has the client itself).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ksgate::http {

// Where an upstream is, as the HTTP layer connects to it (api::UpstreamRequest host and port).
struct UpstreamEndpoint {
  std::string host;  // numeric IPv4/IPv6 address, or a name resolved on first use
  uint16_t port = 80;
};

struct UpstreamOptions {
  // Bound on resolving a name, on connecting, on sending a request, on receiving the answer's
  // status line and headers (interim answers included), and on each read of the answer's body.
  // Default 30 s.
  std::chrono::milliseconds timeout{30000};
  // Idle keep-alive connections kept per upstream (per I/O thread); more are closed.
  size_t max_idle_per_upstream = 32;
  // Largest answer body a Fetch accepts (multirequest items); larger is kBadAnswer.
  size_t fetch_limit = 1024 * 1024;
  // Largest answer head (status line and header fields) accepted.
  size_t header_limit = 16 * 1024;
};

}  // namespace ksgate::http
