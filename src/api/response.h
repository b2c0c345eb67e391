// api::Response: what the API layer answers. http/ turns it into an HTTP message.
#pragma once

#include <string>
#include <string_view>
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
  // More header lines, "Name: value\r\n" each, written after fixed_lines as they are: lines made
  // valid by construction (api/identity.h AppendIdentityLines, http/response_head.h
  // AppendFieldLine), which need no pair of strings each.
  std::string head_lines;
  // Header lines of static storage, "Name: value\r\n" each, written after `headers` and before
  // head_lines as they are: the lines every API answer carries (api/output.cc), one text for
  // all answers rather than a copy in each. What is set here must outlive every response (a
  // static). Last, so that an aggregate initialiser that stops at head_lines leaves it empty.
  std::string_view fixed_lines;
};

}  // namespace ksgate::api
