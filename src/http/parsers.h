// RequestParser and ResponseParser: Beast's HTTP/1 parsers (their grammar checks, header_limit,
// body_limit) writing what they read straight into ksgate's types. Beast's own parsers keep the
// fields in a basic_fields, an allocated entry per field in an ordered index, which the server
// then copied into api::Request field by field, and which the gate read and copied again to
// relay an answer: about 2,000 instructions of a 42,000-instruction authorize request, and as
// much again per relayed answer. Internal to http/: include it from connection.cc, upstream.cc
// and their tests only.
#pragma once

// clang-format off
#include "http/asio_types.h"  // before any Asio header: it includes <utility> first (GCC 12)
// clang-format on

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/request.h"

namespace ksgate::http {

using FieldViews = std::vector<std::pair<std::string_view, std::string_view>>;

// The fields of one head, copied once into one string as they are parsed. Beast hands each
// field over as a view of its input buffer, which the read loop reuses (and moves) while a body
// is read: the views handed on must be of this copy.
class FieldStore {
 public:
  FieldStore() {
    // Room for a usual head: a few fields, a KS or two (header_limit bounds the growth).
    text_.reserve(1024);
    spans_.reserve(16);
  }
  FieldStore(const FieldStore&) = delete;
  FieldStore& operator=(const FieldStore&) = delete;

  void Add(std::string_view name, std::string_view value) {
    spans_.push_back({text_.size(), name.size(), value.size()});
    text_.append(name).append(value);
  }
  // Every field added, as views of this store, valid while it lives. Call once the head is
  // whole: the text no longer moves then.
  void ViewsInto(FieldViews& views) const {
    views.reserve(views.size() + spans_.size());
    for (const Span& span : spans_) {
      const std::string_view field = std::string_view(text_).substr(span.offset);
      views.emplace_back(field.substr(0, span.name_size),
                         field.substr(span.name_size, span.value_size));
    }
  }

 private:
  // Where each field's name and value are in text_ (names and values back to back).
  struct Span {
    size_t offset;
    size_t name_size;
    size_t value_size;
  };
  std::string text_;
  std::vector<Span> spans_;
};

class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser() = default;

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
    fields_.Add(name_string, value);
    if (name == bhttp::field::content_type && !typed_) {
      request_.content_type.assign(value);
      typed_ = true;
    }
    if (name == bhttp::field::expect && !expected_) {
      expects_continue_ = beast::iequals(value, "100-continue");
      expected_ = true;
    }
  }
  void on_header_impl(error_code&) override { fields_.ViewsInto(request_.headers); }
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

  FieldStore fields_;
  api::Request request_;
  int version_ = 11;
  bhttp::verb verb_ = bhttp::verb::unknown;
  bool typed_ = false;
  bool expected_ = false;
  bool expects_continue_ = false;
};

// An answer's head and body. The body goes where the caller says, before reading it: whole
// into a string (BodyTo), or piece by piece into a buffer of the caller's (PieceInto), which
// Beast's read stops at when full (error::need_buffer, as with its buffer_body).
class ResponseParser final : public bhttp::basic_parser<false> {
 public:
  ResponseParser() = default;

  int status() const { return status_; }
  // The fields, in order, as received; views valid while this parser lives. Empty until the
  // whole head was read.
  const FieldViews& fields() const { return views_; }
  // The first Content-Type field's value, or empty.
  std::string_view content_type() const { return content_type_; }

  // The body is appended to `*whole` (which must outlive the reads).
  void BodyTo(std::string* whole) {
    whole_ = whole;
    piece_ = nullptr;
  }
  // The body's next bytes go to [data, data + size); piece_left() says how much of it is left.
  void PieceInto(char* data, size_t size) {
    whole_ = nullptr;
    piece_ = data;
    piece_left_ = size;
  }
  size_t piece_left() const { return piece_left_; }

 private:
  void on_request_impl(bhttp::verb, std::string_view, std::string_view, int, error_code&) override {
  }  // a response parser
  void on_response_impl(int code, std::string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(bhttp::field name, std::string_view name_string, std::string_view value,
                     error_code&) override {
    fields_.Add(name_string, value);
    if (name == bhttp::field::content_type && !typed_) {
      content_type_.assign(value);
      typed_ = true;
    }
  }
  void on_header_impl(error_code&) override { fields_.ViewsInto(views_); }
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  size_t on_body_impl(std::string_view body, error_code& ec) override { return Take(body, ec); }
  void on_chunk_header_impl(std::uint64_t, std::string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, std::string_view body, error_code& ec) override {
    return Take(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  // basic_parser has bounded the body by body_limit before it hands a piece over.
  size_t Take(std::string_view body, error_code& ec) {
    if (whole_ != nullptr) {
      whole_->append(body);
      return body.size();
    }
    const size_t n = std::min(body.size(), piece_ != nullptr ? piece_left_ : 0);
    if (n > 0) std::memcpy(piece_, body.data(), n);
    piece_ += n;
    piece_left_ -= n;
    if (n < body.size()) ec = bhttp::error::need_buffer;
    return n;
  }

  FieldStore fields_;
  FieldViews views_;
  int status_ = 0;
  std::string content_type_;
  bool typed_ = false;
  std::string* whole_ = nullptr;
  char* piece_ = nullptr;
  size_t piece_left_ = 0;
};

}  // namespace ksgate::http
