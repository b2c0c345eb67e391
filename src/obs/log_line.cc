#include "obs/log_line.h"

#include <charconv>
#include <chrono>
#include <ctime>

#include "common/json_text.h"

namespace ksgate::obs {

namespace {

thread_local const RequestContext* current_request = nullptr;

void AppendDigits(int64_t value, int width, std::string* out) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  for (int n = static_cast<int>(result.ptr - buf); n < width; ++n) out->push_back('0');
  out->append(buf, result.ptr);
}

}  // namespace

void AppendTime(int64_t unix_micros, std::string* out) {
  // Floor division, so times before 1970 still format (they do not happen, but are not UB).
  int64_t seconds = unix_micros / 1000000;
  int64_t micros = unix_micros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --seconds;
  }
  // "YYYY-MM-DDTHH:MM:SS" of the last second this thread formatted.
  thread_local int64_t cached_second = INT64_MIN;
  thread_local char cached[32];
  thread_local size_t cached_size = 0;
  if (seconds != cached_second) {
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    cached_size = std::strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = seconds;
  }
  out->append(cached, cached_size);
  out->push_back('.');
  AppendDigits(micros, 6, out);
  out->push_back('Z');
}

int64_t NowUnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

JsonLine::JsonLine(std::string* out) : out_(out) { out_->push_back('{'); }

void JsonLine::Key(std::string_view key) {
  out_->append(first_ ? "\"" : ",\"", first_ ? 1 : 2);
  first_ = false;
  out_->append(key);
  out_->append("\":", 2);
}

JsonLine& JsonLine::String(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonQuoted(value, out_);
  return *this;
}

JsonLine& JsonLine::Int(std::string_view key, int64_t value) {
  Key(key);
  AppendDigits(value, 0, out_);
  return *this;
}

JsonLine& JsonLine::Bool(std::string_view key, bool value) {
  Key(key);
  out_->append(value ? "true" : "false");
  return *this;
}

JsonLine& JsonLine::Raw(std::string_view key, std::string_view json) {
  Key(key);
  out_->append(json);
  return *this;
}

JsonLine& JsonLine::Time(std::string_view key, int64_t unix_micros) {
  Key(key);
  out_->push_back('"');
  AppendTime(unix_micros, out_);
  out_->push_back('"');
  return *this;
}

JsonLine& JsonLine::Object(std::string_view key) {
  Key(key);
  out_->push_back('{');
  first_ = true;
  return *this;
}

JsonLine& JsonLine::Close() {
  out_->push_back('}');
  first_ = false;
  return *this;
}

void JsonLine::End() { out_->append("}\n"); }

const RequestContext* CurrentRequest() { return current_request; }

RequestScope::RequestScope(const RequestContext& context) : previous_(current_request) {
  current_request = &context;
}

RequestScope::~RequestScope() { current_request = previous_; }

}  // namespace ksgate::obs
