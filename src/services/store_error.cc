#include "services/store_error.h"

#include <spdlog/spdlog.h>

namespace ksgate::services {

ApiError DatabaseError(const Status& status) {
  spdlog::error("store failure: {}", status.ToString());
  return ApiError::Of(errors::kInternalDatabaseError);
}

}  // namespace ksgate::services
