#include "store/postgres/pg_change_feed.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "store/postgres/connection.h"
#include "store/postgres/notify.h"

namespace ksgate::store {
namespace {

using Clock = std::chrono::steady_clock;
using postgres::ConnHandle;
using postgres::ResultHandle;

constexpr char kListen[] = "LISTEN ksgate_changes";
constexpr char kKeepAlive[] = "SELECT 1";

enum class Ready { kYes, kTimeout, kStop, kError };

}  // namespace

// One connection's life: connect, LISTEN, then deliver notifications and keep it alive until it
// fails or the feed stops. Runs on the feed thread only.
class PgChangeFeed::Session {
 public:
  explicit Session(PgChangeFeed& feed) : feed_(feed) {}

  // Connects without blocking past the connect timeout or a Stop(), and starts listening. OK
  // when listening (or stopping: check stopping_).
  Status Connect() {
    const postgres::ConnInfo::Arrays arrays = feed_.info_->ConnectArrays();
    conn_.reset(PQconnectStartParams(arrays.keywords.data(), arrays.values.data(), 1));
    if (conn_ == nullptr) return UnavailableError("out of memory");
    if (PQstatus(conn_.get()) == CONNECTION_BAD) return ConnError("cannot connect");
    const Clock::time_point deadline = Clock::now() + feed_.info_->connect_timeout();
    PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
    while (polling != PGRES_POLLING_OK) {
      if (polling == PGRES_POLLING_FAILED) return ConnError("cannot connect");
      switch (WaitSocket(polling == PGRES_POLLING_READING, deadline)) {
        case Ready::kYes:
          break;
        case Ready::kStop:
          return Status::Ok();
        case Ready::kTimeout:
          return UnavailableError("cannot connect: no answer within " +
                                  std::to_string(feed_.info_->connect_timeout().count()) + " s");
        case Ready::kError:
          return ConnError("cannot connect");
      }
      polling = PQconnectPoll(conn_.get());
    }
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
    listen_sent_ = Clock::now();
    if (PQsendQuery(conn_.get(), kListen) == 0) return ConnError("LISTEN");
    return AwaitResult(PGRES_COMMAND_OK, Clock::now() + feed_.options_.heartbeat_timeout +
                                             feed_.info_->connect_timeout());
  }

  // Delivers notifications and sends keep-alives until the connection fails (the error) or
  // Stop() (OK).
  Status Listen() {
    Deliver();  // any that arrived with the answer to LISTEN
    feed_.Confirm(listen_sent_);
    bool waiting_for_answer = false;
    Clock::time_point keep_alive_sent;
    Clock::time_point next_event = Clock::now() + feed_.options_.heartbeat;
    while (true) {
      switch (WaitSocket(true, next_event)) {
        case Ready::kStop:
          return Status::Ok();
        case Ready::kError:
          return ConnError("connection lost");
        case Ready::kYes: {
          if (PQconsumeInput(conn_.get()) == 0) return ConnError("connection lost");
          bool answered = false;
          if (waiting_for_answer) {
            KSGATE_ASSIGN_OR_RETURN(answered, TakeResults(PGRES_TUPLES_OK));
            if (answered) {
              waiting_for_answer = false;
              next_event = Clock::now() + feed_.options_.heartbeat;
            }
          }
          Deliver();
          // The server sends what was committed before the keep-alive ahead of its answer.
          if (answered) feed_.Confirm(keep_alive_sent);
          break;
        }
        case Ready::kTimeout:
          if (waiting_for_answer) {
            return UnavailableError("no answer to the keep-alive query within " +
                                    std::to_string(feed_.options_.heartbeat_timeout.count()) +
                                    " ms");
          }
          keep_alive_sent = Clock::now();
          if (PQsendQuery(conn_.get(), kKeepAlive) == 0) return ConnError("keep-alive");
          waiting_for_answer = true;
          next_event = Clock::now() + feed_.options_.heartbeat_timeout;
          break;
      }
      if (PQstatus(conn_.get()) != CONNECTION_OK) return ConnError("connection lost");
    }
  }

 private:
  Status ConnError(std::string_view what) const {
    std::string message(what);
    if (conn_ != nullptr) message += ": " + feed_.info_->Scrub(PQerrorMessage(conn_.get()));
    return UnavailableError(std::move(message));
  }

  // Waits until the socket is readable (else writable), the deadline passes or Stop() is called.
  Ready WaitSocket(bool read, Clock::time_point deadline) {
    while (true) {
      if (feed_.stopping_.load()) return Ready::kStop;
      const int socket = PQsocket(conn_.get());
      if (socket < 0) return Ready::kError;
      pollfd fds[2] = {{socket, static_cast<short>(read ? POLLIN : POLLOUT), 0},
                       {feed_.wake_fds_[0], POLLIN, 0}};
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return Ready::kTimeout;
      const int n = poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
      if (n < 0 && errno != EINTR) return Ready::kError;
      if (feed_.stopping_.load() || (fds[1].revents & POLLIN) != 0) return Ready::kStop;
      if (n > 0 && fds[0].revents != 0) return Ready::kYes;
    }
  }

  // Reads every result of the query in flight that has arrived: true once all have (the query
  // is done), false if more are to come; an error if one has an unexpected status.
  Result<bool> TakeResults(ExecStatusType expected) {
    while (PQisBusy(conn_.get()) == 0) {
      ResultHandle result(PQgetResult(conn_.get()), &PQclear);
      if (result == nullptr) return true;
      if (PQresultStatus(result.get()) != expected) {
        const char* primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
        return UnavailableError(feed_.info_->Scrub(primary != nullptr ? primary : "query failed"));
      }
    }
    return false;
  }

  // Waits for the query in flight to finish with `expected`.
  Status AwaitResult(ExecStatusType expected, Clock::time_point deadline) {
    while (true) {
      KSGATE_ASSIGN_OR_RETURN(bool done, TakeResults(expected));
      if (done) return Status::Ok();
      switch (WaitSocket(true, deadline)) {
        case Ready::kYes:
          if (PQconsumeInput(conn_.get()) == 0) return ConnError("connection lost");
          break;
        case Ready::kStop:
          return Status::Ok();
        case Ready::kTimeout:
          return UnavailableError("no answer from the server");
        case Ready::kError:
          return ConnError("connection lost");
      }
    }
  }

  void Deliver() {
    while (PGnotify* raw = PQnotifies(conn_.get())) {
      std::unique_ptr<PGnotify, decltype(&PQfreemem)> notify(raw, &PQfreemem);
      if (feed_.stopping_.load()) continue;
      const std::string_view payload = notify->extra != nullptr ? notify->extra : "";
      std::optional<Change> change = postgres::DecodeChange(payload);
      if (!change) {
        // Not ours: say which kind it claims to be, never the rest (it could be anything).
        spdlog::warn("change feed: ignoring an unknown notification ({} bytes, kind '{}')",
                     payload.size(), payload.substr(0, payload.find(':')).substr(0, 8));
        continue;
      }
      if (feed_.callbacks_.on_change) feed_.callbacks_.on_change(*change);
    }
  }

  PgChangeFeed& feed_;
  ConnHandle conn_{nullptr, &PQfinish};
  Clock::time_point listen_sent_;
};

// --- PgChangeFeed ----------------------------------------------------------------------------

PgChangeFeed::PgChangeFeed(std::unique_ptr<postgres::ConnInfo> info,
                           const PgChangeFeedOptions& options)
    : info_(std::move(info)), options_(options) {}

PgChangeFeed::~PgChangeFeed() {
  Stop();
  for (int fd : wake_fds_) {
    if (fd >= 0) close(fd);
  }
}

Result<std::unique_ptr<PgChangeFeed>> PgChangeFeed::Create(std::string_view conninfo,
                                                           const PgChangeFeedOptions& options) {
  KSGATE_ASSIGN_OR_RETURN(
      postgres::ConnInfo info,
      postgres::ConnInfo::Parse(std::string(conninfo), options.connect_timeout));
  return std::unique_ptr<PgChangeFeed>(
      new PgChangeFeed(std::make_unique<postgres::ConnInfo>(std::move(info)), options));
}

Status PgChangeFeed::Start(Callbacks callbacks) {
  std::lock_guard lock(mu_);
  if (started_) return InvalidArgumentError("the change feed was started before");
  if (pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return InternalError("change feed: cannot create a pipe");
  }
  started_ = true;
  callbacks_ = std::move(callbacks);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void PgChangeFeed::Stop() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable()) return;
  stopping_.store(true);
  const char byte = 1;
  static_cast<void>(write(wake_fds_[1], &byte, 1));
  thread_.join();
}

bool PgChangeFeed::WaitOrStop(std::chrono::milliseconds duration) {
  const Clock::time_point deadline = Clock::now() + duration;
  while (!stopping_.load()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fd = {wake_fds_[0], POLLIN, 0};
    poll(&fd, 1, static_cast<int>(left.count()));
  }
  return true;
}

void PgChangeFeed::Confirm(Clock::time_point as_of) {
  if (callbacks_.on_confirmed) callbacks_.on_confirmed(as_of);
}

void PgChangeFeed::SetState(bool connected) {
  if (reported_state_ == static_cast<int>(connected)) return;
  reported_state_ = connected ? 1 : 0;
  if (callbacks_.on_state) callbacks_.on_state(connected);
}

void PgChangeFeed::Run() {
  std::chrono::milliseconds backoff = options_.min_backoff;
  while (!stopping_.load()) {
    Session session(*this);
    Status s = session.Connect();
    if (stopping_.load()) break;
    if (s.ok()) {
      if (reported_state_ != 1) spdlog::info("change feed: listening on {}", "ksgate_changes");
      if (callbacks_.on_resync) callbacks_.on_resync();
      SetState(true);
      backoff = options_.min_backoff;
      s = session.Listen();
      if (stopping_.load()) break;
    }
    if (reported_state_ != 0) {
      spdlog::warn("change feed: {}; reconnecting (every {} ms at most)", s.message(),
                   options_.max_backoff.count());
    }
    SetState(false);
    if (WaitOrStop(backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace ksgate::store
