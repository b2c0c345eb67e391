// RequestParser: Beast's HTTP/1 request parser (its grammar checks, header_limit, body_limit)
// writing the request straight into an api::Request. Beast's own request_parser keeps the fields
// in a basic_fields, an allocated entry per field in an ordered index, which connection.cc then
// copied into api::Request field by field: about 2,000 instructions of a 42,000-instruction
// authorize request. Internal to http/: include it from connection.cc (and its test) only.
#pragma once

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/request.h"

namespace ksgate::http {

class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser() {
    // Room for a usual head: a few fields, a KS or two (header_limit bounds the growth).
    fields_.reserve(1024);
    spans_.reserve(16);
  }
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // What has been read: method and target once the request line was, the fields once the
  // whole head was (in order, as received), the body once the message was. Content-Type is
  // the first such field's value. client_ip and the peer facts are the caller's to fill.
  // request().headers are views into this parser: valid while it lives, wherever the request
  // is moved (Beast's input buffer, which the views Beast hands over point into, is reused
  // while the body is read).
  api::Request& request() { return request_; }
  // The request line's HTTP version: 10 or 11.
  int version() const { return version_; }
  bool is_head() const { return verb_ == bhttp::verb::head; }
  // The first Expect field is "100-continue" (any case).
  bool expects_continue() const { return expects_continue_; }

 private:
  void on_request_impl(bhttp::verb method, std::string_view method_string, std::string_view target,
                       int version, error_code&) override {
    request_.method.assign(method_string);
    request_.target.assign(target);
    version_ = version;
    verb_ = method;
  }
  void on_response_impl(int, std::string_view, int, error_code&) override {}  // a request parser
  void on_field_impl(bhttp::field name, std::string_view name_string, std::string_view value,
                     error_code&) override {
    spans_.push_back({fields_.size(), name_string.size(), value.size()});
    fields_.append(name_string).append(value);
    if (name == bhttp::field::content_type && !typed_) {
      request_.content_type.assign(value);
      typed_ = true;
    }
    if (name == bhttp::field::expect && !expected_) {
      expects_continue_ = beast::iequals(value, "100-continue");
      expected_ = true;
    }
  }
  void on_header_impl(error_code&) override {
    // fields_ is whole now: it no longer moves.
    request_.headers.reserve(spans_.size());
    for (const Span& span : spans_) {
      const std::string_view field = std::string_view(fields_).substr(span.offset);
      request_.headers.emplace_back(field.substr(0, span.name_size),
                                    field.substr(span.name_size, span.value_size));
    }
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code&) override {
    // basic_parser has checked the length against body_limit before this call.
    if (content_length) request_.body.reserve(static_cast<size_t>(*content_length));
  }
  size_t on_body_impl(std::string_view body, error_code&) override {
    request_.body.append(body);
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, std::string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, std::string_view body, error_code&) override {
    request_.body.append(body);  // basic_parser bounds each chunk by what body_limit has left
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  // Where each field's name and value are in fields_ (names and values back to back).
  struct Span {
    size_t offset;
    size_t name_size;
    size_t value_size;
  };
  std::string fields_;
  std::vector<Span> spans_;
  api::Request request_;
  int version_ = 11;
  bhttp::verb verb_ = bhttp::verb::unknown;
  bool typed_ = false;
  bool expected_ = false;
  bool expects_continue_ = false;
};

}  // namespace ksgate::http
