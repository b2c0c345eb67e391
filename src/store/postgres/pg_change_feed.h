// PgChangeFeed: the ChangeFeed of a PostgreSQL database. One background thread holds one
// dedicated connection that LISTENs on ksgate_changes, where every PgStore write transaction
// NOTIFYs what it changed (postgres/notify.h).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "store/change_feed.h"

namespace ksgate::store {

namespace postgres {
class ConnInfo;
}  // namespace postgres

struct PgChangeFeedOptions {
  // A keep-alive query ("SELECT 1") is sent this long after the previous one was answered; one
  // not answered within heartbeat_timeout counts as a lost connection.
  std::chrono::milliseconds heartbeat{250};
  std::chrono::milliseconds heartbeat_timeout{500};
  // Wait before reconnecting after a failure: min_backoff, doubling up to max_backoff; back to
  // min_backoff after a successful connection.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
  // How long one connection attempt may take, unless the connection string (connect_timeout)
  // or PGCONNECT_TIMEOUT says otherwise.
  std::chrono::seconds connect_timeout{5};
};

class PgChangeFeed final : public ChangeFeed {
 public:
  // A feed on the database `conninfo` names (as PgStore::Open takes it). Does not connect yet.
  // kInvalidArgument if libpq cannot parse the string (the message never quotes it).
  static Result<std::unique_ptr<PgChangeFeed>> Create(std::string_view conninfo,
                                                      const PgChangeFeedOptions& options = {});
  ~PgChangeFeed() override;

  // See ChangeFeed. Failures are logged (spdlog, password masked) when the state changes; a
  // notification on the channel that is not a known payload is logged and ignored.
  Status Start(Callbacks callbacks) override;
  void Stop() override;

 private:
  PgChangeFeed(std::unique_ptr<postgres::ConnInfo> info, const PgChangeFeedOptions& options);

  class Session;
  void Run();
  // Sleeps for `duration` or until Stop(); true if stopping.
  bool WaitOrStop(std::chrono::milliseconds duration);
  void SetState(bool connected);
  void Confirm(std::chrono::steady_clock::time_point as_of);

  const std::unique_ptr<postgres::ConnInfo> info_;
  const PgChangeFeedOptions options_;
  Callbacks callbacks_;
  std::mutex mu_;  // guards Start/Stop
  std::thread thread_;
  bool started_ = false;
  std::atomic<bool> stopping_{false};
  int wake_fds_[2] = {-1, -1};  // pipe: Stop() writes, the thread polls the read end
  int reported_state_ = -1;     // -1 none yet, 0 down, 1 up; feed thread only
};

}  // namespace ksgate::store
