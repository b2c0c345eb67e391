// Input checks shared by every Store backend, so they reject exactly the same inputs, and the
// records they build from those inputs.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "store/records.h"

namespace ksgate::store {

// OK, or kInvalidArgument unless `partner` has at least one admin secret and every admin secret
// is non-empty and free of line breaks ('\n', '\r': the SQL backends store the list
// newline-joined).
Status ValidateNewPartner(const NewPartner& partner);
// The partner CreatePartner stores for `partner` at `now`: status kActive, created/updated_at
// `now`, id 0 (the backend assigns it). ValidateNewPartner's error if `partner` is invalid.
Result<Partner> NewPartnerRecord(const NewPartner& partner, int64_t now);
// kInvalidArgument unless `secrets` is a non-empty list of non-empty secrets without line breaks.
Status ValidateAdminSecrets(const std::vector<std::string>& secrets);

// OK, or kInvalidArgument if `role` is inserted with status kDeleted (it could never be seen).
Status ValidateNewUserRole(const UserRole& role);

// OK, or kInvalidArgument if a compare-and-set update's `expected` and `updated` name different
// rows (differ in partner_id or id).
Status ValidateAppTokenUpdate(const AppToken& expected, const AppToken& updated);
Status ValidateUserRoleUpdate(const UserRole& expected, const UserRole& updated);

// OK, or kInvalidArgument unless limit > 0 (a KS's actionslimit:N, spec §4.6).
Status ValidateActionsLimit(int64_t limit);

// OK, or kInvalidArgument if an entry has an empty token id or a negative count.
Status ValidateAppTokenUsage(std::span<const AppTokenUsage> usage);

// OK, or kInvalidArgument for an empty token id or a negative cap (ClaimAppTokenSession).
Status ValidateSessionClaim(std::string_view token_id, int64_t max_sessions);

// OK, or kInvalidArgument for a cut-off without a key.
Status ValidateSessionCutoff(const SessionCutoff& cutoff);

}  // namespace ksgate::store
