// The Store contract suite (store_contract_test.cc, store_contract_user_roles_test.cc) on
// PostgreSQL: each test gets a fresh database on the server KSGATE_TEST_PG_DSN names, dropped
// afterwards. Without KSGATE_TEST_PG_DSN every test here skips.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "store/postgres/pg_store.h"
#include "store/postgres/pg_test_util.h"
#include "store/store_contract_test.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::postgres::testing::ScratchDatabase;
using ::ksgate::store::postgres::testing::TestDsn;
using ::ksgate::store::postgres::testing::WithDatabase;
using ::ksgate::store::testing::Backend;
using ::ksgate::store::testing::StoreContractTest;

// The test's database name, kept in its scratch dir so that a reopened store finds it.
std::filesystem::path DatabaseFile(const std::filesystem::path& dir) { return dir / "pg_database"; }

Status PgActionsLimit(Store& store, const Revocation& r, int64_t limit, int64_t now) {
  return static_cast<PgStore&>(store).SetActionsLimitForTesting(r, limit, now);
}

const Backend kPostgres{
    "Postgres",
    [](const std::filesystem::path& dir) -> Result<std::unique_ptr<Store>> {
      std::string name;
      std::ifstream(DatabaseFile(dir)) >> name;
      if (name.empty()) return InternalError("no scratch database was prepared");
      KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<PgStore> store,
                              PgStore::Open(WithDatabase(TestDsn(), name)));
      return std::unique_ptr<Store>(std::move(store));
    },
    true,
    &PgActionsLimit,
    []() -> std::string { return TestDsn().empty() ? "KSGATE_TEST_PG_DSN is not set" : ""; },
    [](const std::filesystem::path& dir) -> Result<std::shared_ptr<void>> {
      KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<ScratchDatabase> db, ScratchDatabase::Create());
      std::ofstream(DatabaseFile(dir)) << db->name() << "\n";
      return std::shared_ptr<void>(std::move(db));
    }};

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, ::testing::Values(kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace ksgate::store
