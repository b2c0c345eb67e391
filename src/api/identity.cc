#include "api/identity.h"

#include <atomic>
#include <charconv>

#include "common/strings.h"
#include "ks/crypto.h"
#include "ks/privileges.h"

namespace ksgate::api {

std::string NewRequestId() {
  static const std::string prefix = ks::RandomHex(8) + "-";
  static std::atomic<uint64_t> counter{0};
  // One allocation: every request takes one of these.
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits),
                                 counter.fetch_add(1, std::memory_order_relaxed) + 1)
                       .ptr;
  std::string id;
  id.reserve(prefix.size() + static_cast<size_t>(end - digits));
  id.append(prefix).append(digits, end);
  return id;
}

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string RequestIdFor(const Request& request) {
  if (request.trusted_peer) {
    const std::string_view given = request.Header("X-Request-Id");
    if (IsValidRequestId(given)) return std::string(given);
  }
  return NewRequestId();
}

bool IsGateHeader(std::string_view name) {
  constexpr std::string_view kPrefix = "x-ksgate-";
  return name.size() >= kPrefix.size() && EqualsIgnoreCase(name.substr(0, kPrefix.size()), kPrefix);
}

namespace {

// The bytes EncodeHeaderValue writes as they are, wherever they are: printable ASCII but '%'.
// (An inner space is kept too; it is decided by position.)
bool IsPlain(unsigned char b) { return b > 0x20 && b < 0x7f && b != '%'; }

}  // namespace

std::string EncodeHeaderValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto plain_at = [&](size_t i) {
    const auto b = static_cast<unsigned char>(value[i]);
    // A space at either end would be trimmed from the field value by the receiving parser.
    return IsPlain(b) || (b == ' ' && i != 0 && i + 1 != value.size());
  };
  // Values are almost always plain (ids, privileges): find the first byte to escape before
  // writing anything, and copy plain runs whole.
  size_t i = 0;
  while (i < value.size() && plain_at(i)) ++i;
  if (i == value.size()) return std::string(value);
  std::string out;
  out.reserve(value.size() + 16);
  out.append(value.substr(0, i));
  for (; i < value.size(); ++i) {
    if (plain_at(i)) {
      out.push_back(value[i]);
      continue;
    }
    const auto b = static_cast<unsigned char>(value[i]);
    const char escape[3] = {'%', kHex[b >> 4], kHex[b & 0x0f]};
    out.append(escape, 3);
  }
  return out;
}

void AppendIdentityLines(const services::Caller& caller, std::string_view request_id,
                         std::string_view method, std::string_view target,
                         std::string_view signing_key, int64_t now, std::string* lines) {
  const ks::KsFields& f = caller.parsed().fields;
  const std::string partner_id = std::to_string(caller.partner_id());
  const std::string user_id = EncodeHeaderValue(f.user.value_or(""));
  const std::string session_type = std::to_string(f.type);
  const std::string privileges = EncodeHeaderValue(f.privileges);
  const std::string* token = ks::FirstPrivilegeValue(caller.privileges(), "apptoken");
  const std::string app_token = token != nullptr ? EncodeHeaderValue(*token) : std::string();
  const std::string id = EncodeHeaderValue(request_id);
  const auto line = [&](std::string_view name, std::string_view value) {
    lines->append(name).append(": ").append(value).append("\r\n");
  };
  line("X-Ksgate-Partner-Id", partner_id);
  line("X-Ksgate-User-Id", user_id);
  line("X-Ksgate-Session-Type", session_type);
  line("X-Ksgate-Privileges", privileges);
  if (token != nullptr) line("X-Ksgate-App-Token", app_token);
  line("X-Ksgate-Request-Id", id);
  if (signing_key.empty()) return;
  const std::string timestamp = std::to_string(now);
  std::string text = "ksgate-v1\n" + timestamp + "\n";
  text.append(method).append("\n").append(target).append("\n");
  for (const std::string* value : {&partner_id, &user_id, &session_type, &privileges, &app_token}) {
    text.append(*value).append("\n");
  }
  text.append(id);
  line("X-Ksgate-Timestamp", timestamp);
  line("X-Ksgate-Signature", "v1=" + ks::HmacSha256Hex(signing_key, text));
}

}  // namespace ksgate::api
