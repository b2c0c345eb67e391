// How services report store failures to clients: one place, so the cause is logged and the
// client sees only INTERNAL_DATABASE_ERROR.
#pragma once

#include "common/api_error.h"
#include "common/status.h"

namespace ksgate::services {

// Logs `status` (it never contains secrets) and returns INTERNAL_DATABASE_ERROR.
ApiError DatabaseError(const Status& status);

}  // namespace ksgate::services
