// The payloads PgStore sends with NOTIFY on the ksgate_changes channel in each write
// transaction (delivered on commit), and PgChangeFeed parses:
//   p:<partner_id>            partner created, status or admin secrets changed
//   t:<partner_id>:<token_id> app token inserted, updated or deleted
//   r:<partner_id>:<role_id>  user role inserted or updated
//   k:<key>                   revocation row written (Revoke, DeleteAppToken)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/change_feed.h"

namespace ksgate::store::postgres {

inline constexpr char kChangesChannel[] = "ksgate_changes";

// The payload for `change`.
std::string EncodeChange(const Change& change);
// The change a payload describes, or nullopt if it is not one of the forms above.
std::optional<Change> DecodeChange(std::string_view payload);

}  // namespace ksgate::store::postgres
