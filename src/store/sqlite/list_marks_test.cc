// SqliteStore's marks for deep list pages (store/list_marks.h): a deep page starts at a mark
// while the partner's change count holds, and a list read inside a write batch neither uses
// nor leaves marks. That pages are right whichever way they are read is
// store_contract_app_token_pages_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <string>

#include "store/list_marks_test_util.h"
#include "store/sqlite/group_commit_test_fixture.h"

namespace ksgate::store {
namespace {

using group_commit_testing::GroupCommitTest;
using group_commit_testing::Token;
using ::ksgate::testing::IsOk;

class ListMarksTest : public GroupCommitTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Open());
    ASSERT_NO_FATAL_FAILURE(testing::InsertTokensAtOnce(*store_, partner_, 1100));
  }
};

TEST_F(ListMarksTest, ADeepPageStartsAtAMarkWhileThePartnersChangeCountHolds) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
  sqlite::DbHandle raw(db);  // another process's connection
  testing::ExpectDeepPagesStartAtMarksWhileTheCountHolds(
      *store_, store_->ListMarksForTesting(), partner_, [&](const std::string& sql) {
        return sqlite3_exec(raw.get(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK
                   ? Status::Ok()
                   : InternalError(sqlite3_errmsg(raw.get()));
      });
}

TEST_F(ListMarksTest, AListReadInsideAWriteBatchNeitherUsesNorLeavesMarks) {
  std::promise<Status> ended;
  std::future<Status> done = ended.get_future();
  size_t rows = 0;
  ASSERT_TRUE(writer().Submit(
      [&] {
        // The batch's own write is visible to the list, and could yet be rolled back.
        EXPECT_THAT(store_->InsertAppToken(Token(partner_, "0_inbatch")), IsOk());
        rows = testing::PageIds(*store_, partner_, 1000).size();
      },
      [&](const Status& s) { ended.set_value(s); }));
  ASSERT_EQ(done.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_THAT(done.get(), IsOk());
  EXPECT_EQ(rows, 30u);
  EXPECT_EQ(store_->ListMarksForTesting().Lists(), 0u);
}

}  // namespace
}  // namespace ksgate::store
