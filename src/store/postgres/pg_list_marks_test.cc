// PgStore's marks for deep list pages (store/list_marks.h): a deep page starts at a mark while
// the partner's change count (kept by migration 0009's statement triggers) holds. That pages
// are right whichever way they are read is store_contract_app_token_pages_test.cc. Skips unless
// KSGATE_TEST_PG_DSN is set.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/list_marks_test_util.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/pg_test_util.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::postgres::testing::ScratchDatabase;
using ::ksgate::store::postgres::testing::TestDsn;
using ::ksgate::testing::IsOk;

TEST(PgListMarksTest, ADeepPageStartsAtAMarkWhileThePartnersChangeCountHolds) {
  if (TestDsn().empty()) GTEST_SKIP() << "KSGATE_TEST_PG_DSN is not set";
  Result<std::unique_ptr<ScratchDatabase>> db = ScratchDatabase::Create();
  ASSERT_THAT(db, IsOk());
  Result<std::unique_ptr<PgStore>> store = PgStore::Open((*db)->conninfo());
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Migrate(), IsOk());
  NewPartner p;
  p.name = "p";
  p.admin_secrets = {"admin"};
  p.secret = "user";
  Result<Partner> partner = (*store)->CreatePartner(p, 1'700'000'000);
  ASSERT_THAT(partner, IsOk());
  ASSERT_NO_FATAL_FAILURE(testing::InsertTokensAtOnce(**store, partner->id, 1100));
  testing::ExpectDeepPagesStartAtMarksWhileTheCountHolds(
      **store, (*store)->ListMarksForTesting(), partner->id,
      [&](const std::string& sql) { return (*db)->Exec(sql); });
}

}  // namespace
}  // namespace ksgate::store
