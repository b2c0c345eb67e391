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
  // More header lines, "Name: value\r\n" each, written after `headers` as they are: lines made
  // valid by construction (api/identity.h AppendIdentityLines, http/response_head.h
  // AppendFieldLine), which need no pair of strings each.
  std::string head_lines;
};

}  // namespace ksgate::api
