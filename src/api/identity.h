// The identity ksgate hands an upstream with a call it allowed: X-Ksgate-* header fields
// describing the KS, and optionally an HMAC-SHA256 signature over them, so an upstream can tell
// that a request came through the gate (docs/gateway.md, "Identity headers"). Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/request.h"
#include "services/caller.h"

namespace ksgate::api {

// A request id unique to this process's lifetime and, with overwhelming probability, among
// processes: 16 hex characters chosen at start-up (OS CSPRNG), '-', a counter. Thread-safe.
std::string NewRequestId();

// True if `id` may be taken from a request's X-Request-Id: 1-128 characters of
// [A-Za-z0-9._:-], so it is safe in every log line and header it is copied to.
bool IsValidRequestId(std::string_view id);

// The id of `request`: its X-Request-Id when the peer is a trusted proxy and the id
// IsValidRequestId, else NewRequestId(). It is the X-Request-Id of the answer, the
// X-Ksgate-Request-Id sent upstream, and the request_id of every log line about the request.
// Only a trusted proxy may name it: an upstream may refuse a request id it has seen before (a
// replay, docs/gateway.md), so a client that could choose ids could make other clients' requests
// look like replays.
std::string RequestIdFor(const Request& request);

// True if `name` is an X-Ksgate-* field (ASCII case-insensitive): those only the gate writes;
// a client's are dropped before anything is forwarded.
bool IsGateHeader(std::string_view name);

// A header value that carries any bytes: every byte outside 0x21-0x7E, and '%' itself, is
// written as %XX (uppercase hex), except a space that is neither the first nor the last byte
// (HTTP parsers trim spaces at either end of a field value); decode with ordinary
// percent-decoding.
std::string EncodeHeaderValue(std::string_view value);

// Appends to `lines` the X-Ksgate-* fields for a call made with `caller`'s KS, as header lines
// ("Name: value\r\n" each; names and values are valid by construction), in this order:
// Partner-Id, User-Id (empty when the KS has no user), Session-Type (the KS type: 0 user,
// 2 admin), Privileges (the KS's privileges string, entitlements included), App-Token (only when
// the KS came from an app token: its id), Request-Id. Values are encoded with
// EncodeHeaderValue. With a non-empty `signing_key`, also X-Ksgate-Timestamp (`now`, Unix
// seconds) and X-Ksgate-Signature: "v1=" + hex HMAC-SHA256 under the key of the lines
//   ksgate-v1, timestamp, METHOD, target, partner id, user id, session type, privileges,
//   app token id (empty when none), request id
// joined by '\n' (values exactly as sent; no trailing newline). `method` and `target` are the
// request the upstream receives (authorize endpoint: the original request's).
void AppendIdentityLines(const services::Caller& caller, std::string_view request_id,
                         std::string_view method, std::string_view target,
                         std::string_view signing_key, int64_t now, std::string* lines);

}  // namespace ksgate::api
