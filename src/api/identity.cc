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

std::string EncodeHeaderValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const auto b = static_cast<unsigned char>(c);
    // A space at either end would be trimmed from the field value by the receiving parser.
    const bool inner_space = b == ' ' && i != 0 && i + 1 != value.size();
    if ((b > 0x20 && b < 0x7f && b != '%') || inner_space) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0f]);
    }
  }
  return out;
}

HeaderFields IdentityHeaders(const services::Caller& caller, std::string_view request_id,
                             std::string_view method, std::string_view target,
                             std::string_view signing_key, int64_t now) {
  const ks::KsFields& f = caller.parsed.fields;
  const std::string* app_token = ks::FirstPrivilegeValue(caller.privileges, "apptoken");
  HeaderFields fields;
  fields.reserve(8);
  fields.emplace_back("X-Ksgate-Partner-Id", std::to_string(caller.partner_id()));
  fields.emplace_back("X-Ksgate-User-Id", EncodeHeaderValue(f.user.value_or("")));
  fields.emplace_back("X-Ksgate-Session-Type", std::to_string(f.type));
  fields.emplace_back("X-Ksgate-Privileges", EncodeHeaderValue(f.privileges));
  const std::string token = app_token != nullptr ? EncodeHeaderValue(*app_token) : std::string();
  if (app_token != nullptr) fields.emplace_back("X-Ksgate-App-Token", token);
  fields.emplace_back("X-Ksgate-Request-Id", EncodeHeaderValue(request_id));
  if (!signing_key.empty()) {
    const std::string timestamp = std::to_string(now);
    std::string signed_text = "ksgate-v1\n" + timestamp + "\n";
    signed_text.append(method).append("\n").append(target).append("\n");
    signed_text += fields[0].second + "\n" + fields[1].second + "\n" + fields[2].second + "\n" +
                   fields[3].second + "\n" + token + "\n" + fields.back().second;
    fields.emplace_back("X-Ksgate-Timestamp", timestamp);
    fields.emplace_back("X-Ksgate-Signature", "v1=" + ks::HmacSha256Hex(signing_key, signed_text));
  }
  return fields;
}

}  // namespace ksgate::api
