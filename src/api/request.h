// api::Request: an HTTP request as the API layer sees it, free of any HTTP library type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace ksgate::api {

struct Request {
  std::string method;        // "GET", "POST", "OPTIONS", ...
  std::string target;        // path plus optional "?query", as received (still URL-encoded)
  std::string content_type;  // the Content-Type header value, or empty
  std::string body;
  std::string client_ip;  // the peer address (or X-Forwarded-For from a trusted proxy)
  std::string peer_ip;    // the TCP peer's address (empty when not from a socket)
  // The TCP peer is a trusted proxy (--trusted-proxy): what it says of the request is believed
  // (X-Forwarded-For for client_ip, X-Request-Id for the request's id).
  bool trusted_peer = false;
  // Every header field as received, in order, names as sent. Views into the HTTP layer's copy
  // of the message: valid while the request is being served.
  std::vector<std::pair<std::string_view, std::string_view>> headers;

  // The value of the first header field called `name` (ASCII case-insensitive), or empty.
  std::string_view Header(std::string_view name) const {
    for (const auto& [field, value] : headers) {
      if (EqualsIgnoreCase(field, name)) return value;
    }
    return {};
  }
};

}  // namespace ksgate::api
