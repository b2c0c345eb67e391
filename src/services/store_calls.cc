#include "services/store_calls.h"

#include <spdlog/spdlog.h>

namespace ksgate::services {

ApiError DatabaseError(const Status& status) {
  // A call refused on an I/O thread is not a failure: it runs again on a store thread.
  if (status.code() != StatusCode::kWouldBlock)
    spdlog::error("store failure: {}", status.ToString());
  return ApiError::Of(errors::kInternalDatabaseError);
}

Result<Void, ApiError> FromStore(const Status& status) {
  if (status.ok()) return Void{};
  return DatabaseError(status);
}

}  // namespace ksgate::services
