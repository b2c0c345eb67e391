#include "store/sqlite/sqlite_change_feed.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "store/sqlite/connection.h"
#include "store/sqlite/group_commit.h"

namespace ksgate::store {

using Clock = std::chrono::steady_clock;

SqliteChangeFeed::SqliteChangeFeed(std::string path, const sqlite::GroupCommitter& writer,
                                   SqliteChangeFeedOptions options)
    : path_(std::move(path)), writer_(writer), options_(options) {}

SqliteChangeFeed::~SqliteChangeFeed() { Stop(); }

Status SqliteChangeFeed::Start(Callbacks callbacks) {
  std::lock_guard lock(mu_);
  if (started_) return InvalidArgumentError("the change feed was started before");
  started_ = true;
  callbacks_ = std::move(callbacks);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void SqliteChangeFeed::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool SqliteChangeFeed::WaitOrStop(std::chrono::milliseconds duration) {
  std::unique_lock lock(mu_);
  return wake_.wait_for(lock, duration, [this] { return stopping_; });
}

void SqliteChangeFeed::Run() {
  auto call = [](const auto& f, auto&&... args) {
    if (f) f(std::forward<decltype(args)>(args)...);
  };
  std::unique_ptr<sqlite::Connection> own;
  // Every commit of the snapshot in which the own connection read `baseline` as its
  // data_version has been delivered (set at a look followed by a resync, or vouched for by the
  // writer): while the version stays, nothing was committed since.
  std::optional<int64_t> baseline;
  Clock::time_point confirmed;  // every foreign commit before it has been delivered
  uint64_t seen = 0;            // the writer's count of foreign commits, as delivered
  bool up = false;
  auto down = [&] {
    own.reset();
    if (up) call(callbacks_.on_state, false);
    up = false;
  };
  for (bool first = true; first || !WaitOrStop(options_.heartbeat); first = false) {
    if (own == nullptr) {
      Result<std::unique_ptr<sqlite::Connection>> opened = sqlite::Connection::Open(
          path_, sqlite::Connection::Role::kReader, std::chrono::milliseconds(100));
      if (!opened.ok()) {
        down();
        continue;
      }
      own = std::move(opened).value();
    }
    // The look: its snapshot is taken between `look` and `looked`. The statement ends (and
    // with it the read transaction) before anything else happens.
    const Clock::time_point look = Clock::now();
    const std::optional<int64_t> read = [&]() -> std::optional<int64_t> {
      Result<sqlite::Statement> s = own->Prepare("PRAGMA data_version");
      if (!s.ok()) return std::nullopt;
      Result<bool> row = s->Step();
      if (!row.ok() || !*row) return std::nullopt;
      return s->Int(0);
    }();
    if (!read) {
      down();
      continue;
    }
    const int64_t version = *read;
    const Clock::time_point looked = Clock::now();
    const sqlite::ForeignCommits foreign = writer_.Foreign();  // read after the look

    bool resync = false;
    if (!up) {
      up = true;
      call(callbacks_.on_state, true);
      resync = true;  // changes may have been missed before or while down
    } else if (foreign.seen != seen) {
      resync = true;
    } else if (version != baseline && foreign.checked_through < look - options_.max_lag) {
      resync = true;  // commits the writer, waiting for another's lock, cannot vouch for yet
    }
    seen = foreign.seen;
    Clock::time_point through = foreign.checked_through;
    if (resync) {
      call(callbacks_.on_resync);  // after the look: what is read next sees its snapshot
      baseline = version;
    } else if (version != baseline && foreign.checked_through >= looked) {
      baseline = version;  // the writer vouched for every commit of the look's snapshot
    }
    if (version == baseline) through = std::max(through, look);
    if (through > confirmed) {
      confirmed = through;
      call(callbacks_.on_confirmed, confirmed);
    }
  }
  down();
}

}  // namespace ksgate::store
