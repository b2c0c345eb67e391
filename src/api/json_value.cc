#include "api/json_value.h"

// RapidJSON 1.1.0's internal::Stack computes nullptr + n before its first allocation, which
// Clang's UBSan reports (fixed upstream after 1.1.0); the arithmetic is never dereferenced.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

#include <charconv>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "api/utf8.h"

namespace ksgate::api {

void AppendParamJson(const Param& p, std::string* out) {
  switch (p.kind) {
    case Param::Kind::kNull:
      out->append("null");
      return;
    case Param::Kind::kNumber:
    case Param::Kind::kBool:
      out->append(p.text);
      return;
    case Param::Kind::kString:
      AppendJsonString(p.text, out);
      return;
    case Param::Kind::kMap:
      out->push_back('{');
      for (size_t i = 0; i < p.members.size(); ++i) {
        if (i) out->push_back(',');
        AppendJsonString(p.members[i].first, out);
        out->push_back(':');
        AppendParamJson(p.members[i].second, out);
      }
      out->push_back('}');
      return;
  }
}

namespace {

// Builds a Value with an explicit stack (the reader runs iteratively), stopping past the depth.
class ValueBuilder {
 public:
  explicit ValueBuilder(size_t max_depth) : max_depth_(max_depth) {}

  bool Null() { return Put(Value::Null()); }
  bool Bool(bool b) { return Put(Value::Bool(b)); }
  bool Int(int) { return false; }  // numbers arrive as RawNumber
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    const std::string_view text(s, n);
    if (text.find_first_of(".eE") == std::string_view::npos) {
      int64_t i = 0;
      auto [end, ec] = std::from_chars(s, s + n, i);
      if (ec == std::errc() && end == s + n) return Put(Value::Int(i));
    }
    double d = 0;
    auto [end, ec] = std::from_chars(s, s + n, d);
    if (ec != std::errc() && ec != std::errc::result_out_of_range) return false;
    return Put(Value::Float(d));
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (!IsValidUtf8(std::string_view(s, n))) return false;
    return Put(Value::String(std::string(s, n)));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (!IsValidUtf8(std::string_view(s, n))) return false;
    stack_.back().key.assign(s, n);
    return true;
  }
  bool StartObject() { return Open(Value::Map()); }
  bool EndObject(rapidjson::SizeType) { return Close(); }
  bool StartArray() { return Open(Value::Array()); }
  bool EndArray(rapidjson::SizeType) { return Close(); }

  std::optional<Value>& result() { return result_; }

 private:
  struct Frame {
    Value value;
    std::string key;  // objects: the key of the next member
  };

  bool Put(Value v) {
    if (stack_.empty()) {
      result_ = std::move(v);
    } else if (stack_.back().value.kind() == Value::Kind::kArray) {
      stack_.back().value.Push(std::move(v));
    } else {
      stack_.back().value.Add(std::move(stack_.back().key), std::move(v));
    }
    return true;
  }
  bool Open(Value v) {
    if (stack_.size() >= max_depth_) return false;
    stack_.push_back(Frame{std::move(v), {}});
    return true;
  }
  bool Close() {
    Value v = std::move(stack_.back().value);
    stack_.pop_back();
    return Put(Typed(std::move(v)));
  }
  // A map whose "objectType" is a string becomes a Kaltura object of that class.
  static Value Typed(Value map) {
    if (map.kind() != Value::Kind::kMap) return map;
    const Value* type = map.Find("objectType");
    if (type == nullptr || type->kind() != Value::Kind::kString) return map;
    Value object = Value::Object(type->string_value());
    for (const auto& [name, field] : map.fields()) {
      if (name != "objectType") object.Add(name, field);
    }
    return object;
  }

  size_t max_depth_;
  std::vector<Frame> stack_;
  std::optional<Value> result_;
};

std::string Text(const Value* v) {
  if (v == nullptr) return "";
  if (v->kind() == Value::Kind::kString) return v->string_value();
  if (v->kind() == Value::Kind::kInt) return std::to_string(v->int_value());
  return "";
}

}  // namespace

Result<Value, ApiError> ValueFromJson(std::string_view text, size_t max_depth,
                                      const ApiError& bad_answer) {
  ValueBuilder builder(max_depth);
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  const rapidjson::ParseResult parsed = reader.Parse<kFlags>(stream, builder);
  if (parsed.IsError() || !builder.result()) return bad_answer;
  // Only whitespace may follow the value.
  for (size_t i = stream.Tell(); i < text.size(); ++i) {
    const char c = text[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return bad_answer;
  }
  Value value = std::move(*builder.result());
  if (value.kind() == Value::Kind::kObject && value.string_value() == "KalturaAPIException") {
    ApiError error;
    error.code = Text(value.Find("code"));
    error.message = Text(value.Find("message"));
    if (const Value* args = value.Find("args"); args != nullptr) {
      for (const auto& [name, arg] : args->fields()) error.args.emplace_back(name, Text(&arg));
    }
    if (error.code.empty()) return bad_answer;
    return error;
  }
  return value;
}

}  // namespace ksgate::api
