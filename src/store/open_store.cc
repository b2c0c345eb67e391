#include "store/open_store.h"

#include <string>

#include "store/memory_store.h"
#include "store/sqlite/sqlite_store.h"

namespace ksgate::store {

Result<std::unique_ptr<Store>> OpenStore(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url == "memory:") return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  if (url.starts_with(kSqlite)) {
    std::string_view path = url.substr(kSqlite.size());
    if (path.empty()) {
      return InvalidArgumentError("store URL \"" + std::string(url) +
                                  "\" names no file; use sqlite:PATH or sqlite::memory:");
    }
    KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> sqlite, SqliteStore::Open(path));
    return std::unique_ptr<Store>(std::move(sqlite));
  }
  return InvalidArgumentError("unknown store URL \"" + std::string(url) +
                              "\"; use sqlite:PATH, sqlite::memory: or memory:");
}

}  // namespace ksgate::store
