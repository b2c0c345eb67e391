// api::Request: an HTTP request as the API layer sees it, free of any HTTP library type.
#pragma once

#include <string>

namespace ksgate::api {

struct Request {
  std::string method;        // "GET", "POST", "OPTIONS", ...
  std::string target;        // path plus optional "?query", as received (still URL-encoded)
  std::string content_type;  // the Content-Type header value, or empty
  std::string body;
  std::string client_ip;  // the peer address (or X-Forwarded-For from a trusted proxy)
};

}  // namespace ksgate::api
