#include "store/postgres/notify.h"

#include <charconv>

namespace ksgate::store::postgres {
namespace {

// A decimal number filling all of `text`, or nullopt.
std::optional<int64_t> ParseId(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string EncodeChange(const Change& change) {
  const std::string partner = std::to_string(change.partner_id);
  switch (change.kind) {
    case Change::Kind::kPartner:
      return "p:" + partner;
    case Change::Kind::kAppToken:
      return "t:" + partner + ":" + change.id;
    case Change::Kind::kUserRole:
      return "r:" + partner + ":" + change.id;
    case Change::Kind::kRevocation:
      return "k:" + change.id;
  }
  return std::string();
}

std::optional<Change> DecodeChange(std::string_view payload) {
  if (payload.size() < 3 || payload[1] != ':') return std::nullopt;
  const char kind = payload[0];
  std::string_view rest = payload.substr(2);
  Change change;
  if (kind == 'k') {
    change.kind = Change::Kind::kRevocation;
    change.id = std::string(rest);
    return change;
  }
  if (kind == 'p') {
    std::optional<int64_t> partner = ParseId(rest);
    if (!partner) return std::nullopt;
    change.kind = Change::Kind::kPartner;
    change.partner_id = *partner;
    return change;
  }
  if (kind != 't' && kind != 'r') return std::nullopt;
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::optional<int64_t> partner = ParseId(rest.substr(0, colon));
  std::string_view id = rest.substr(colon + 1);
  if (!partner || id.empty()) return std::nullopt;
  if (kind == 'r' && !ParseId(id)) return std::nullopt;
  change.kind = kind == 't' ? Change::Kind::kAppToken : Change::Kind::kUserRole;
  change.partner_id = *partner;
  change.id = std::string(id);
  return change;
}

}  // namespace ksgate::store::postgres
