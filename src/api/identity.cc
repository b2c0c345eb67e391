#include "api/identity.h"

#include <array>
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

namespace {

// EncodeHeaderValue, appended to *out.
void AppendHeaderValue(std::string_view value, std::string* out) {
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
  out->append(value.substr(0, i));
  if (i == value.size()) return;
  for (; i < value.size(); ++i) {
    if (plain_at(i)) {
      out->push_back(value[i]);
      continue;
    }
    const auto b = static_cast<unsigned char>(value[i]);
    const char escape[3] = {'%', kHex[b >> 4], kHex[b & 0x0f]};
    out->append(escape, 3);
  }
}

}  // namespace

std::string EncodeHeaderValue(std::string_view value) {
  std::string out;
  AppendHeaderValue(value, &out);
  return out;
}

void AppendIdentityLines(const services::Caller& caller, std::string_view request_id,
                         std::string_view method, std::string_view target,
                         std::string_view signing_key, int64_t now, std::string* lines) {
  const ks::KsFields& f = caller.parsed().fields;
  const std::string* token = ks::FirstPrivilegeValue(caller.privileges(), "apptoken");
  // Each value is encoded straight into `lines` (no string per value); where each one landed is
  // kept for the signature, which signs them as sent.
  struct Span {
    size_t at = 0;
    size_t size = 0;
  };
  enum { kPartner, kUser, kType, kPrivileges, kAppToken, kRequestId, kValues };
  std::array<Span, kValues> spans;
  using std::literals::string_view_literals::operator""sv;
  // Room for the fields at once: names and separators, the values, a signature.
  lines->reserve(lines->size() + 256 + f.privileges.size() + request_id.size() +
                 (f.user ? f.user->size() : 0) + (token != nullptr ? token->size() : 0));
  const auto line = [&](std::string_view name, int which, auto&& append_value) {
    lines->append(name).append(": "sv);
    spans[which].at = lines->size();
    append_value();
    spans[which].size = lines->size() - spans[which].at;
    lines->append("\r\n"sv);
  };
  const auto number = [&](int64_t n) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    lines->append(digits, end);
  };
  line("X-Ksgate-Partner-Id"sv, kPartner, [&] { number(caller.partner_id()); });
  const std::string_view user = f.user ? std::string_view(*f.user) : std::string_view();
  line("X-Ksgate-User-Id"sv, kUser, [&] { AppendHeaderValue(user, lines); });
  line("X-Ksgate-Session-Type"sv, kType, [&] { number(f.type); });
  line("X-Ksgate-Privileges"sv, kPrivileges, [&] { AppendHeaderValue(f.privileges, lines); });
  if (token != nullptr) {
    line("X-Ksgate-App-Token"sv, kAppToken, [&] { AppendHeaderValue(*token, lines); });
  }
  line("X-Ksgate-Request-Id"sv, kRequestId, [&] { AppendHeaderValue(request_id, lines); });
  if (signing_key.empty()) return;
  const std::string timestamp = std::to_string(now);
  std::string text = "ksgate-v1\n" + timestamp + "\n";
  text.append(method).append("\n").append(target).append("\n");
  const auto value = [&](int which) {
    return std::string_view(*lines).substr(spans[which].at, spans[which].size);
  };
  for (int which : {kPartner, kUser, kType, kPrivileges, kAppToken}) {
    text.append(value(which)).append("\n");  // the app token's span is empty when there is none
  }
  text.append(value(kRequestId));
  lines->append("X-Ksgate-Timestamp: ").append(timestamp).append("\r\n");
  lines->append("X-Ksgate-Signature: v1=").append(ks::HmacSha256Hex(signing_key, text));
  lines->append("\r\n");
}

}  // namespace ksgate::api
