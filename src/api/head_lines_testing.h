// For tests of head lines (api/response.h Response::head_lines, api/handler.h
// UpstreamRequest::head_lines, api/identity.h AppendIdentityLines): the lines split back into
// fields, each line checked to be "Name: value\r\n".
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksgate::api {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

// `fields`, then the fields of `lines` in order.
inline HeaderFields WithHeadLines(HeaderFields fields, std::string_view lines) {
  while (!lines.empty()) {
    const size_t end = lines.find("\r\n");
    EXPECT_NE(end, std::string_view::npos) << "a head line without CRLF";
    const std::string_view line = lines.substr(0, end);
    const size_t colon = line.find(": ");
    EXPECT_NE(colon, std::string_view::npos) << line;
    fields.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 2);
  }
  return fields;
}

}  // namespace ksgate::api
