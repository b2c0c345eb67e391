// The fixture of the group-commit tests (group_commit_test.cc, group_commit_tasks_test.cc): a
// SqliteStore on a file with one partner, and a connection of its own to look at what is
// committed.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/group_commit.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::store::group_commit_testing {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::ScratchDir;

constexpr int64_t kNow = 1'700'000'000;

inline AppToken Token(int64_t partner_id, std::string id) {
  AppToken t;
  t.id = std::move(id);
  t.token = "0123456789abcdef0123456789abcdef";
  t.partner_id = partner_id;
  t.created_at = kNow;
  t.updated_at = kNow;
  return t;
}

// A connection of its own, as another process would have: it sees only committed data.
class Observer {
 public:
  explicit Observer(const std::string& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    db_.reset(db);
  }
  // How many app tokens have this id (0 or 1), or -1 on error.
  int Tokens(const std::string& id) { return Count("WHERE id = '" + id + "'"); }
  int AllTokens() { return Count(""); }

 private:
  int Count(const std::string& where) {
    const std::string sql = "SELECT count(*) FROM app_tokens " + where;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) return -1;
    sqlite::StmtHandle stmt(raw);
    if (sqlite3_step(stmt.get()) != SQLITE_ROW) return -1;
    return sqlite3_column_int(stmt.get(), 0);
  }
  sqlite::DbHandle db_;
};

class GroupCommitTest : public ::testing::Test {
 protected:
  void Open(const SqliteOptions& options = {}) {
    Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(DbPath(), options);
    ASSERT_THAT(opened, IsOk());
    store_ = *std::move(opened);
    ASSERT_THAT(store_->Migrate(), IsOk());
    NewPartner p;
    p.name = "p";
    p.admin_secrets = {"admin"};
    p.secret = "user";
    Result<Partner> created = store_->CreatePartner(p, kNow);
    ASSERT_THAT(created, IsOk());
    partner_ = created->id;
  }
  std::string DbPath() const { return (dir_.path() / "ksgate.db").string(); }
  sqlite::GroupCommitter& writer() { return store_->WriterForTesting(); }

  // Waits (up to 5 s) until `n` writes are queued behind a paused writer.
  void WaitQueued(size_t n) {
    for (int i = 0; i < 5000 && writer().QueuedForTesting() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(writer().QueuedForTesting(), n);
  }

  // Starts one thread per token, each inserting it and storing its Status.
  std::vector<std::thread> InsertEach(const std::vector<AppToken>& tokens,
                                      std::vector<Status>* results) {
    results->assign(tokens.size(), Status::Ok());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < tokens.size(); ++i) {
      threads.emplace_back(
          [this, &tokens, results, i] { (*results)[i] = store_->InsertAppToken(tokens[i]); });
    }
    return threads;
  }

  ScratchDir dir_;
  std::unique_ptr<SqliteStore> store_;
  int64_t partner_ = 0;
};

}  // namespace ksgate::store::group_commit_testing
