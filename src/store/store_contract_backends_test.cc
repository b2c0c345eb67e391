// The backends the Store contract suite (store_contract_test.cc,
// store_contract_user_roles_test.cc) runs on in store_test: MemoryStore, SQLite ":memory:", a
// SQLite file, and the caching layer over a MemoryStore and over a SQLite file. PostgreSQL has
// its own instantiation in postgres/pg_contract_test.cc (store_postgres_test).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "common/clock.h"
#include "store/caching_store.h"
#include "store/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_contract_test.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::testing::Backend;
using ::ksgate::store::testing::StoreContractTest;

Status SqliteActionsLimit(Store& store, const Revocation& r, int64_t limit, int64_t now) {
  return static_cast<SqliteStore&>(store).SetActionsLimitForTesting(r, limit, now);
}

const Backend kMemory{"Memory",
                      [](const std::filesystem::path&) -> Result<std::unique_ptr<Store>> {
                        return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
                      },
                      false,
                      [](Store& store, const Revocation& r, int64_t limit, int64_t now) {
                        static_cast<MemoryStore&>(store).SetActionsLimitForTesting(r, limit, now);
                        return Status::Ok();
                      }};

const Backend kSqliteMemory{"SqliteInMemory",
                            [](const std::filesystem::path&) -> Result<std::unique_ptr<Store>> {
                              KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> s,
                                                      SqliteStore::Open(":memory:"));
                              return std::unique_ptr<Store>(std::move(s));
                            },
                            false, &SqliteActionsLimit};

const Backend kSqliteFile{"SqliteFile",
                          [](const std::filesystem::path& dir) -> Result<std::unique_ptr<Store>> {
                            KSGATE_ASSIGN_OR_RETURN(
                                std::unique_ptr<SqliteStore> s,
                                SqliteStore::Open((dir / "db" / "ksgate.db").string()));
                            return std::unique_ptr<Store>(std::move(s));
                          },
                          true, &SqliteActionsLimit};

// The caching layer must keep every contract of the store it wraps (all writes go through it).
const Backend kCachedMemory{
    "CachedMemory",
    [](const std::filesystem::path&) -> Result<std::unique_ptr<Store>> {
      return std::unique_ptr<Store>(
          std::make_unique<CachingStore>(std::make_unique<MemoryStore>(), SystemClock::Instance()));
    },
    false,
    [](Store& store, const Revocation& r, int64_t limit, int64_t now) {
      static_cast<MemoryStore&>(static_cast<CachingStore&>(store).BackendForTesting())
          .SetActionsLimitForTesting(r, limit, now);
      return Status::Ok();
    }};

const Backend kCachedSqliteFile{
    "CachedSqliteFile",
    [](const std::filesystem::path& dir) -> Result<std::unique_ptr<Store>> {
      KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> s,
                              SqliteStore::Open((dir / "db" / "ksgate.db").string()));
      return std::unique_ptr<Store>(
          std::make_unique<CachingStore>(std::move(s), SystemClock::Instance()));
    },
    true,
    [](Store& store, const Revocation& r, int64_t limit, int64_t now) {
      return SqliteActionsLimit(static_cast<CachingStore&>(store).BackendForTesting(), r, limit,
                                now);
    }};

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest,
                         ::testing::Values(kMemory, kSqliteMemory, kSqliteFile, kCachedMemory,
                                           kCachedSqliteFile),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace ksgate::store
