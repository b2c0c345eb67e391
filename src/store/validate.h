// Input checks shared by every Store backend, so they reject exactly the same inputs.
#pragma once

#include "common/status.h"
#include "store/records.h"

namespace ksgate::store {

// OK, or kInvalidArgument unless `partner` has at least one admin secret and every admin secret
// is non-empty and free of line breaks ('\n', '\r': the SQL backends store the list
// newline-joined).
Status ValidateNewPartner(const NewPartner& partner);

}  // namespace ksgate::store
