// Caller: who is making an API call, once their KS (if any) has been parsed and checked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ks/ks.h"
#include "ks/privileges.h"
#include "store/records.h"

namespace ksgate::services {

// Kaltura kCurrentContext session kinds.
enum class SessionKind : int { kNone = -1, kUser = 0, kWidget = 1, kAdmin = 2 };

// A KS as it verified: what is a pure function of the KS string and the admin secret that
// verified it (VerifiedKsCache keeps these, shared by every request that sends the KS).
struct VerifiedKs {
  std::string ks;      // the KS string exactly as sent
  std::string secret;  // the admin secret that verified it
  ks::ParsedKs parsed;
  ks::PrivilegeMap privileges;  // ks::ParsePrivileges(parsed.fields.privileges)
};

struct Caller {
  SessionKind kind = SessionKind::kNone;
  // The KS, shared with the verified-KS cache rather than copied per request; null without a KS.
  std::shared_ptr<const VerifiedKs> verified;
  // Which of the partner's admin secrets verifies the KS now (0 = primary); the cached entry's
  // parsed().secret_index is the one of its first verification.
  int secret_index = 0;
  // The KS's partner: the store's shared snapshot (store::Store::GetSharedPartner), not a copy
  // per request; null without a KS.
  std::shared_ptr<const store::Partner> shared_partner;

  bool has_ks() const { return kind != SessionKind::kNone; }
  // The KS's partner; a default Partner (id 0) without a KS.
  const store::Partner& partner() const {
    return shared_partner != nullptr ? *shared_partner : NoPartner();
  }
  int64_t partner_id() const { return partner().id; }
  // The KS string exactly as sent (app-token hashes are over it); "" without a KS.
  const std::string& ks() const { return verified != nullptr ? verified->ks : NoKs().ks; }
  // Meaningful unless kind == kNone.
  const ks::ParsedKs& parsed() const {
    return verified != nullptr ? verified->parsed : NoKs().parsed;
  }
  // parsed().fields.privileges, parsed once.
  const ks::PrivilegeMap& privileges() const {
    return verified != nullptr ? verified->privileges : NoKs().privileges;
  }

 private:
  static const VerifiedKs& NoKs() {
    static const VerifiedKs none;
    return none;
  }
  static const store::Partner& NoPartner() {
    static const store::Partner none;
    return none;
  }
};

}  // namespace ksgate::services
