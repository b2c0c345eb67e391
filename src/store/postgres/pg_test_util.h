// Test helpers for the PostgreSQL backend (test targets only). Tests that need a server read
// its DSN from KSGATE_TEST_PG_DSN (scripts/pg-cluster.sh run sets it) and skip without it; each
// gets a database of its own. Nothing here names a host, port, user or password.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/change_feed.h"

namespace ksgate::store::postgres::testing {

// KSGATE_TEST_PG_DSN: a libpq connection string (URL or key=value) for a database in which the
// tests may create and drop databases; "" when unset.
std::string TestDsn();

// `conninfo` (any form libpq parses) with its database replaced by `dbname`, as key=value
// pairs. "" if libpq cannot parse it.
std::string WithDatabase(std::string_view conninfo, std::string_view dbname);

// A fresh database "ksgate_t_<random>" on TestDsn()'s server, dropped (WITH (FORCE), closing
// any connection left) when destroyed.
class ScratchDatabase {
 public:
  // `options` is appended to CREATE DATABASE (constant text, e.g. a locale provider). Errors of
  // connecting to TestDsn() or of CREATE DATABASE; kInvalidArgument if TestDsn() is "".
  static Result<std::unique_ptr<ScratchDatabase>> Create(std::string_view options = "");
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  ~ScratchDatabase();

  const std::string& name() const { return name_; }
  // TestDsn() with this database.
  std::string conninfo() const { return WithDatabase(TestDsn(), name_); }
  // Runs constant SQL in this database on a connection of its own (ASSERT it OK).
  Status Exec(const std::string& sql) const;

 private:
  explicit ScratchDatabase(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// Stops, starts or restarts the PostgreSQL server behind TestDsn() and waits until done, through
// the command prefix in KSGATE_TEST_PG_SERVER (scripts/pg-cluster.sh sets it to
// "pg-cluster.sh ctl DIR"; `action` is appended). kUnavailable when it is not set (such tests
// skip), kInternal if the command fails.
Status ServerControl(std::string_view action);
// Whether ServerControl can work (KSGATE_TEST_PG_SERVER is set).
bool CanControlServer();

// Records what a ChangeFeed reports, for tests to wait on. Thread-safe.
class ChangeRecorder {
 public:
  // Callbacks that record into *this, which must outlive the feed's thread (Stop() it first).
  ChangeFeed::Callbacks Callbacks();

  // Waits until `done` (called under the lock, on the records) holds; false after `timeout`.
  bool WaitUntil(const std::function<bool(const ChangeRecorder&)>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // What was reported so far, in order. Call inside WaitUntil's predicate, or when the feed is
  // stopped or quiet.
  const std::vector<Change>& changes() const { return changes_; }
  int resyncs() const { return resyncs_; }
  const std::vector<bool>& states() const { return states_; }
  // The last on_state value, false before any.
  bool connected() const { return !states_.empty() && states_.back(); }

  // Copies taken under the lock, for use outside WaitUntil.
  std::vector<Change> Changes();
  int Resyncs();

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Change> changes_;
  int resyncs_ = 0;
  std::vector<bool> states_;
};

}  // namespace ksgate::store::postgres::testing
