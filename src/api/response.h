// api::Response: what the API layer answers. http/ turns it into an HTTP message.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ksgate::api {

struct Response {
  int status = 200;  // always 200 for API results and API errors
  std::string content_type;
  std::string body;
  // Extra headers (CORS, cache control, X-Kaltura...). http/ adds Date, Server, Content-Length,
  // Connection.
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace ksgate::api
