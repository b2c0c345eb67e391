#include "http/response_head.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "common/strings.h"

namespace ksgate::http {
namespace {

constexpr std::string_view kInternalErrorBody = "Internal Server Error\n";

struct Reason {
  int status;
  std::string_view phrase;
};

// The reason phrases of the status codes 200..599 registered with IANA, spelled as Boost.Beast
// 1.74's obsolete_reason() spells them (the wire bytes did not change when this table replaced
// it), plus the three unofficial ones Beast also knows (444, 499, 599). Sorted by status.
constexpr Reason kReasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Payload Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Entity"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {444, "Connection Closed Without Response"},
    {451, "Unavailable For Legal Reasons"},
    {499, "Client Closed Request"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
    {599, "Network Connect Timeout Error"},
};
static_assert(std::is_sorted(std::begin(kReasons), std::end(kReasons),
                             [](const Reason& a, const Reason& b) { return a.status < b.status; }));

// The reason phrase of `status`, or "" for an unregistered one.
std::string_view ReasonPhrase(int status) {
  const auto it = std::lower_bound(std::begin(kReasons), std::end(kReasons), status,
                                   [](const Reason& r, int s) { return r.status < s; });
  return it != std::end(kReasons) && it->status == status ? it->phrase : std::string_view();
}

// ASCII case-insensitive equality (header names).
bool IEquals(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// Headers FormatHead writes itself; a handler's copies are dropped.
bool IsReservedHeader(std::string_view name, bool has_content_type) {
  return IEquals(name, "Content-Length") || IEquals(name, "Transfer-Encoding") ||
         IEquals(name, "Connection") || IEquals(name, "Date") || IEquals(name, "Server") ||
         (has_content_type && IEquals(name, "Content-Type"));
}

void AppendNumber(std::string& out, uint64_t n) {
  char digits[24];
  const auto [end, err] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

}  // namespace

namespace {

// RFC 9110 tchar, as a table: every header of every answer is checked.
constexpr std::array<bool, 256> MakeTokenChars() {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kTokenChars = MakeTokenChars();

}  // namespace

bool IsTokenChar(char c) { return kTokenChars[static_cast<unsigned char>(c)]; }

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

bool IsValidHeaderValue(std::string_view value) { return !HasCrLfOrNul(value); }

std::string_view DateLine(std::time_t now) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached = -1;
  thread_local char line[64];
  thread_local size_t length = 0;
  if (now != cached || length == 0) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    const int n = std::snprintf(line, sizeof line, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                                kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    length = n > 0 ? static_cast<size_t>(n) : 0;
    cached = now;
  }
  return {line, length};
}

bool AppendFieldLine(std::string_view name, std::string_view value, bool has_content_type,
                     std::string& out) {
  using std::literals::string_view_literals::operator""sv;
  if (IsReservedHeader(name, has_content_type)) return false;
  if (!IsToken(name) || !IsValidHeaderValue(value)) {
    spdlog::warn("http: dropping invalid response header '{}'",
                 std::all_of(name.begin(), name.end(), IsTokenChar) ? name : "?");
    return false;
  }
  out.append(name).append(": "sv).append(value).append("\r\n"sv);
  return true;
}

// Room for a head with a few headers at once (string literals appended as string_views: no
// strlen per line).
constexpr size_t kHeadRoom = 512;

std::string_view FormatHead(const api::Response& response, const HeadOptions& options,
                            std::string& out) {
  using std::literals::string_view_literals::operator""sv;
  static const api::Response kInternalError{500, "text/plain", std::string(kInternalErrorBody), {}};
  const api::Response* answer = &response;
  if (response.status < 200 || response.status > 999) {
    spdlog::error("http: handler returned HTTP status {}; sending 500", response.status);
    answer = &kInternalError;
  }
  const int status = answer->status;
  const bool has_body = status != 204 && status != 304;
  // The 500 that replaces a bad status carries its own body, whatever options.framing says.
  const BodyFraming framing = answer == &response ? options.framing : BodyFraming::kResponseBody;
  out.clear();
  out.reserve(kHeadRoom);
  out.append("HTTP/1.1 "sv);
  AppendNumber(out, static_cast<uint64_t>(status));
  out.push_back(' ');
  out.append(ReasonPhrase(status));
  out.append("\r\nServer: ksgate\r\n"sv);
  out.append(DateLine(options.now));
  const bool has_content_type = !answer->content_type.empty();
  if (has_content_type && IsValidHeaderValue(answer->content_type)) {
    out.append("Content-Type: "sv).append(answer->content_type).append("\r\n"sv);
  }
  if (has_body) {
    switch (framing) {
      case BodyFraming::kResponseBody:
        out.append("Content-Length: "sv);
        AppendNumber(out, answer->body.size());
        out.append("\r\n"sv);
        break;
      case BodyFraming::kLength:
        out.append("Content-Length: "sv);
        AppendNumber(out, options.content_length);
        out.append("\r\n"sv);
        break;
      case BodyFraming::kChunked:
        out.append("Transfer-Encoding: chunked\r\n"sv);
        break;
    }
  }
  out.append(options.keep_alive ? "Connection: keep-alive\r\n"sv : "Connection: close\r\n"sv);
  for (const auto& [name, value] : answer->headers) {
    AppendFieldLine(name, value, has_content_type, out);
  }
  if (!answer->fixed_lines.empty()) out.append(answer->fixed_lines);
  out.append(answer->head_lines);
  if (!options.request_id.empty() && IsValidHeaderValue(options.request_id)) {
    out.append("X-Request-Id: "sv).append(options.request_id).append("\r\n"sv);
  }
  out.append("\r\n"sv);
  if (!has_body || options.head_only || framing != BodyFraming::kResponseBody) return {};
  return answer->body;
}

}  // namespace ksgate::http
