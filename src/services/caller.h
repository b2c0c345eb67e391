// Caller: who is making an API call, once their KS (if any) has been parsed and checked.
#pragma once

#include <cstdint>
#include <string>

#include "ks/ks.h"
#include "ks/privileges.h"
#include "store/records.h"

namespace ksgate::services {

// Kaltura kCurrentContext session kinds.
enum class SessionKind : int { kNone = -1, kUser = 0, kWidget = 1, kAdmin = 2 };

struct Caller {
  SessionKind kind = SessionKind::kNone;
  std::string ks;               // the KS string exactly as sent (app-token hashes are over it)
  ks::ParsedKs parsed;          // meaningful unless kind == kNone
  store::Partner partner;       // the KS's partner
  ks::PrivilegeMap privileges;  // parsed.fields.privileges, parsed once

  bool has_ks() const { return kind != SessionKind::kNone; }
  int64_t partner_id() const { return partner.id; }
};

}  // namespace ksgate::services
