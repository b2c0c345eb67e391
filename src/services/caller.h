// Caller: who is making an API call, once their KS (if any) has been parsed and checked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ks/ks.h"
#include "ks/privileges.h"
#include "store/records.h"

namespace ksgate::services {

// Kaltura kCurrentContext session kinds.
enum class SessionKind : int { kNone = -1, kUser = 0, kWidget = 1, kAdmin = 2 };

// What the checks of every request (Authenticator::Validate) look up for a KS, derived from the
// KS alone: worked out once, when it verifies, rather than per request.
struct KsChecks {
  // IssuedAt(fields), or INT64_MIN for a KS without an issue time (older than any cut-off).
  int64_t issued_at = INT64_MIN;
  // The revocation keys: the KS's hash (unless it counts actions: its own row then) and its
  // session id's key (ks::SessionIdKey), as it has them.
  std::vector<std::string> revocation_keys;
  // UserCutoffKey of its user; empty for a widget KS and a KS without a user.
  std::string user_cutoff_key;
};

// A KS as it verified: what is a pure function of the KS string and the admin secret that
// verified it (VerifiedKsCache keeps these, shared by every request that sends the KS).
struct VerifiedKs {
  std::string ks;      // the KS string exactly as sent
  std::string secret;  // the admin secret that verified it
  ks::ParsedKs parsed;
  ks::PrivilegeMap privileges;  // ks::ParsePrivileges(parsed.fields.privileges)
  KsChecks checks;
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
  // What every request's checks look up for the KS (none without a KS).
  const KsChecks& checks() const { return verified != nullptr ? verified->checks : NoKs().checks; }

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
