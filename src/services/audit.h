// AuditSink: where services report the security events an operator must be able to reconstruct
// later (docs/operations.md "Audit log"): partner, secret and app token management, every
// appToken.startSession and session.start with its outcome, session.end, user role changes,
// brute-force limits engaging. The App wires one in (app/app.h AppOptions::audit); app/
// writes them to the audit log (obs/audit_log.h).
//
// Events carry what changed — the object before and after — as fields; a field marked secret
// (a token value, an admin or user secret, a KS) is never written as is: the sink writes an
// HMAC of it. Who acted is not in the event: the sink takes it from the request being served
// (obs RequestContext: the API caller), or, outside any request, the operator (the CLI).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/api_error.h"
#include "common/result.h"
#include "store/records.h"

namespace ksgate::services {

struct AuditField {
  enum class Kind {
    kString,
    kInt,
    kBool,
    kSecret,      // written as an HMAC, never as is
    kSecretList,  // `list`, each written as an HMAC
    kNull,
  };
  std::string name;
  Kind kind = Kind::kString;
  std::string text;               // kString, kSecret
  int64_t number = 0;             // kInt, kBool (0 or 1)
  std::vector<std::string> list;  // kSecretList
};

// An object's fields as an event shows them, in order.
using AuditFields = std::vector<AuditField>;

struct AuditEvent {
  // What was done: "partner.add", "appToken.update", "appToken.startSession", "session.end",
  // "userRole.delete", "auth.limited", ... (docs/operations.md lists them all).
  std::string_view action;
  // The outcome: empty for success, else the Kaltura error code (or, for the CLI's partner
  // commands, a short reason such as "not_found").
  std::string error;
  int64_t partner_id = 0;
  // The object acted on: "partner", "appToken", "userRole", "session".
  std::string_view object_type;
  std::string object_id;
  // The object before and after the change (absent when it did not exist, or for events that
  // change nothing).
  std::optional<AuditFields> before;
  std::optional<AuditFields> after;
  // Whatever else says what happened (a grace period, the secret kind used, a limit's scope).
  AuditFields details;
};

// Receives audit events. Record writes the event before it returns (it may wait for the disk),
// so it must be called on a thread that may wait: a store thread or a CLI command, never an I/O
// thread (the services that audit ask for a store thread first when a sink is set). Thread-safe;
// must not throw.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(const AuditEvent& event) = 0;
};

// Field builders.
AuditField AuditString(std::string name, std::string_view value);
AuditField AuditInt(std::string name, int64_t value);
AuditField AuditBool(std::string name, bool value);
AuditField AuditSecret(std::string name, std::string_view value);
// A string field, or null when absent; the same for numbers.
AuditField AuditOptional(std::string name, const std::optional<std::string>& value);
AuditField AuditOptional(std::string name, const std::optional<int64_t>& value);

// The fields of each object kind an event shows: every field, secrets marked.
AuditFields AuditFieldsOf(const store::Partner& partner);
AuditFields AuditFieldsOf(const store::AppToken& token);
AuditFields AuditFieldsOf(const store::UserRole& role);

// The outcome of a service call, for AuditEvent::error: empty if `result` is OK, else its code.
template <typename T>
std::string AuditError(const Result<T, ApiError>& result) {
  return result.ok() ? std::string() : result.error().code;
}

}  // namespace ksgate::services
