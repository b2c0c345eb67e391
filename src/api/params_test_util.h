// Helpers shared by the parameter decoder's tests (params_test.cc, params_limits_test.cc).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "api/params.h"
#include "testing/matchers.h"

namespace ksgate::api::params_test {

inline Request Get(std::string target) {
  Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

inline Request Post(std::string target, std::string content_type, std::string body) {
  Request r;
  r.method = "POST";
  r.target = std::move(target);
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// A compact, order-preserving picture of a tree: strings quoted, numbers and booleans bare,
// null as null, maps as {k:v,...}.
inline std::string Dump(const Param& p) {
  switch (p.kind) {
    case Param::Kind::kNull:
      return "null";
    case Param::Kind::kString:
      return "\"" + p.text + "\"";
    case Param::Kind::kNumber:
    case Param::Kind::kBool:
      return p.text;
    case Param::Kind::kMap: {
      std::string out = "{";
      for (const auto& [key, value] : p.members) {
        if (out.size() > 1) out += ",";
        out += key + ":" + Dump(value);
      }
      return out + "}";
    }
  }
  return "?";
}

// Decodes `r`, failing the test on an error.
inline std::string Decoded(const Request& r, const DecodeLimits& limits = {}) {
  Result<Param, ApiError> result = DecodeRequestParams(r, limits);
  EXPECT_THAT(result, ::ksgate::testing::IsOk());
  return result.ok() ? Dump(*result) : "<error>";
}

// The error of decoding `r` (a default ApiError, with a test failure, if it succeeds).
inline ApiError DecodeError(const Request& r, const DecodeLimits& limits = {}) {
  Result<Param, ApiError> result = DecodeRequestParams(r, limits);
  if (result.ok()) {
    ADD_FAILURE() << "decoded: " << Dump(*result);
    return ApiError{};
  }
  return result.error();
}

inline ApiError LimitError(std::string_view limit, std::string_view max) {
  return ApiError::Of(errors::kRequestTooLarge, {limit, max});
}

inline std::string Multipart(std::string_view boundary,
                             std::initializer_list<std::pair<std::string, std::string>> parts) {
  // Each part: (Content-Disposition parameters, content).
  std::string body;
  for (const auto& [disposition, content] : parts) {
    body += "--" + std::string(boundary) + "\r\n";
    body += "Content-Disposition: form-data; " + disposition + "\r\n";
    body += "\r\n" + content + "\r\n";
  }
  body += "--" + std::string(boundary) + "--\r\n";
  return body;
}

}  // namespace ksgate::api::params_test
