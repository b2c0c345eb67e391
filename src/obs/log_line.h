// Helpers for the JSON lines ksgate writes (server log in JSON, access log, audit log): times in
// UTC with microseconds, a small builder of one flat-ish JSON object, and the request a thread is
// serving (its id and client address), which log lines written meanwhile carry.
//
//   std::string line;
//   JsonLine j(&line);
//   j.Time("time", unix_micros).String("request_id", id).Int("status", 200);
//   j.End();  // "}\n"
//
// Pure or thread-local: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ksgate::obs {

// Appends `unix_micros` as RFC 3339 UTC with microseconds: "2025-01-31T23:59:58.123456Z".
// Cheap when called again within the same second on the same thread (the date part is cached
// per thread).
void AppendTime(int64_t unix_micros, std::string* out);

// Microseconds since the Unix epoch, from the system clock.
int64_t NowUnixMicros();

// Builds one JSON object into a string, fields in the order written. Keys are written as given
// (callers pass literals: plain ASCII, no escaping needed); string values are escaped with
// AppendJsonQuoted (always valid JSON). Nested objects: Object(key) ... Close().
class JsonLine {
 public:
  // Appends "{" to *out, which must outlive *this.
  explicit JsonLine(std::string* out);

  JsonLine& String(std::string_view key, std::string_view value);
  JsonLine& Int(std::string_view key, int64_t value);
  JsonLine& Bool(std::string_view key, bool value);
  // `json` must already be valid JSON text (a number, an array, an object...).
  JsonLine& Raw(std::string_view key, std::string_view json);
  JsonLine& Time(std::string_view key, int64_t unix_micros);
  // Opens a nested object under `key`; Close() ends it.
  JsonLine& Object(std::string_view key);
  JsonLine& Close();
  // Closes the object and appends a newline.
  void End();

 private:
  void Key(std::string_view key);

  std::string* out_;
  bool first_ = true;
};

// The request the current thread is serving, for log lines written meanwhile. Set by the API
// layer for the time it works on a request (RequestScope), on whichever thread that is.
struct RequestContext {
  std::string_view request_id;
  std::string_view client_ip;
  // The caller of the API call being served, once it is admitted, for the audit log: the KS's
  // partner and user, its type (-1: no KS), the app token that minted it, and the KS itself,
  // which no log ever writes (the audit log writes its HMAC).
  int64_t caller_partner_id = 0;
  std::string_view caller_user_id;
  int caller_session_type = -1;
  std::string_view caller_app_token_id;
  std::string_view caller_ks;
};

// The current thread's request, or nullptr outside any RequestScope.
const RequestContext* CurrentRequest();

// Makes `context` the current thread's request for the scope's lifetime (scopes nest; the views
// must outlive the scope).
class RequestScope {
 public:
  explicit RequestScope(const RequestContext& context);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

 private:
  const RequestContext* previous_;
};

}  // namespace ksgate::obs
