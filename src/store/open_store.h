// Opening a store from a --db URL. Lives apart from store.h so the interface does not depend on
// any backend.
#pragma once

#include <memory>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace ksgate::store {

// "sqlite:PATH" (PATH ":memory:" for a private in-memory database; the parent directory of a
// file path is created if missing) or "memory:". kInvalidArgument for an unknown scheme or an
// unusable path, with a one-line message fit for a CLI error. Does not migrate.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url);

}  // namespace ksgate::store
