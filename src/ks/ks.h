// The KS (Kaltura Session): logical fields, and the v1/v2 codec.
//
// Formats are byte-compatible with Kaltura's kSessionBase (spec/apptoken-and-session.md §4).
// Encoding is pure: the caller supplies the random bytes (v2) or rand string (v1), so output is
// reproducible in tests. Everything here is thread-safe: nothing is shared between threads (each
// thread keeps its own cache of admin-secret ciphers, ks_cipher.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace ksgate::ks {

// KS `_t` values (Kaltura SessionType). 1 ("KAS") is parsed but never issued.
inline constexpr int kSessionTypeUser = 0;
inline constexpr int kSessionTypeAdmin = 2;

// What a KS says. Strings are raw (not URL-encoded).
struct KsFields {
  int64_t partner_id = 0;
  int64_t valid_until = 0;  // absolute Unix seconds; the KS is expired when valid_until <= now
  int type = kSessionTypeUser;
  // The user (puser id). nullopt: v2 omits `_u`; v1 writes an empty field.
  std::optional<std::string> user;
  std::string privileges;  // §2.7 syntax, e.g. "sessionid:0_ab,setrole:X"; "*" = all
  std::optional<std::string> master_partner_id;  // `_m`; impersonating partner
  std::optional<std::string> additional_data;    // `_d`
};

struct ParsedKs {
  int version = 2;  // 1 or 2
  KsFields fields;
  // v2: lowercase hex of the 16 random bytes. v1: the rand field as written.
  std::string rand;
  // Revocation key: lowercase 40-hex SHA1 (v2: the embedded hash; v1: the signature).
  std::string hash;
  // Index into the admin secrets that verified it (0 = primary).
  int secret_index = 0;
};

// Returns the v2 KS: base64url (with '=' padding) of "v2|<pid>|" + AES-128-CBC(...).
// Fields are encoded in §4.4 order: privileges (trimmed, '*' -> all=*), then _e, _t, _u, _m, _d.
// A privilege the decoder would not read back as itself is left out: a name with PHP array
// syntax, or one PHP's name mangling reads as a field ("_u\0", ".m"). Privileges that make the
// query longer than php::kMaxInputVars fields give a KS that Decode refuses.
std::string EncodeV2(const KsFields& fields, std::string_view admin_secret,
                     const std::array<uint8_t, 16>& rand);

// Returns the v1 KS: standard base64 of sha1hex(secret + info) + "|" + info.
// `rand` is written verbatim as the 5th info field (e.g. "1767139200.1234"). The format cannot
// escape its ';' separator: when a field holds one, Decode refuses the KS.
std::string EncodeV1(const KsFields& fields, std::string_view admin_secret, std::string_view rand);

// Longest KS string PeekPartnerId/Decode accept; longer input is kInvalidArgument.
inline constexpr size_t kMaxKsLength = 8192;

// Reads the partner id a KS claims, without verifying anything, so the caller can look up
// that partner's secrets. kInvalidArgument if the string is not a well-formed KS of either
// version (bad base64, missing separators, non-numeric or out-of-range partner id, a v1 KS with
// more than its 9 fields, longer than kMaxKsLength). Note that a v2 KS's partner id is not covered
// by its signature.
Result<int64_t> PeekPartnerId(std::string_view ks);

// Parses and verifies a KS against the partner's admin secrets (any of them; the first that
// verifies sets secret_index). Accepts '-'/'_' and '+'/'/' alphabets, with or without '='
// padding. Errors: kInvalidArgument for a malformed string (including a verified KS whose `_e`,
// `_t`, valid_until or type is not a decimal integer in range, or whose v2 query uses PHP array
// syntax or has more fields than parse_str reads, php::kMaxInputVars); kUnauthenticated when no
// secret verifies it (or `admin_secrets` is empty). Does not check expiry or revocation. Safe on
// any bytes; bad input never throws. Fields absent from the KS keep their KsFields defaults (a
// missing `_e` reads as 0: expired). v1: an empty master-partner or additional-data field reads as
// nullopt; the user field reads as written ("" when empty) and is nullopt only when the KS has
// fewer than 6 fields.
Result<ParsedKs> Decode(std::string_view ks, std::span<const std::string> admin_secrets);

// The session-id revocation key: lowercase hex sha1(partnerId + "_" + sessionId) (§4.7).
std::string SessionIdKey(int64_t partner_id, std::string_view session_id);

// True for widget sessions: type USER, user absent/empty/"0", privileges contain "widget:1".
bool IsWidgetSession(const KsFields& fields);

}  // namespace ksgate::ks
