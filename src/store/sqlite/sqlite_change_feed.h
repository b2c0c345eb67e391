// SqliteChangeFeed: the ChangeFeed of a SQLite file, for the process whose SqliteStore writes
// it, so that its cache may keep entries long (kFedCacheTtl) and still drop them soon after
// another process (a second ksgate on the same file, the CLI, an operator's sqlite3) changed
// the database. SQLite does not say what another connection changed, only that it committed:
// each such commit is a resync (every cached entry dropped), and this process's own writes,
// which its cache already applied, are none.
//
// Two views of the file, looked at every heartbeat on the feed's thread:
//   - the store's writer (GroupCommitter::Foreign): its connection's data_version changes only
//     with others' commits; it looks at every batch (holding the write lock) and while idle;
//   - a read-only connection of the feed's own, whose data_version changes with every commit,
//     the writer's included.
// Then: more foreign commits seen by the writer: on_resync. Confirmed (on_confirmed) through
// the writer's checked_through; and, when the feed's own connection saw no commit at all since
// its previous look, through this look. When it saw one that the writer has not vouched for
// and the writer lags more than max_lag behind (waiting for a lock another process holds),
// the feed resyncs and confirms through its look: what is read after the resync sees that
// commit. A look that fails reports on_state(false) (the cache stops serving once the freshness
// bound passes) and is tried again at the next heartbeat.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/change_feed.h"

namespace ksgate::store {
namespace sqlite {
class GroupCommitter;
}  // namespace sqlite

struct SqliteChangeFeedOptions {
  std::chrono::milliseconds heartbeat{100};
  std::chrono::milliseconds max_lag{300};
};

class SqliteChangeFeed final : public ChangeFeed {
 public:
  // A feed on the database file `path` whose writer is `writer` (which must outlive the feed's
  // thread: Stop() it first). Opens nothing yet.
  SqliteChangeFeed(std::string path, const sqlite::GroupCommitter& writer,
                   SqliteChangeFeedOptions options = {});
  ~SqliteChangeFeed() override;

  // See ChangeFeed. on_state(true) and on_resync come first, once the feed's connection is open.
  Status Start(Callbacks callbacks) override;
  void Stop() override;

 private:
  void Run();
  // Sleeps for `duration` or until Stop(); true if stopping.
  bool WaitOrStop(std::chrono::milliseconds duration);

  const std::string path_;
  const sqlite::GroupCommitter& writer_;
  const SqliteChangeFeedOptions options_;
  Callbacks callbacks_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool started_ = false;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ksgate::store
