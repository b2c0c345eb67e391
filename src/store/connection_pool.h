// ConnectionPool: a bounded set of database connections, opened on demand and reused; the SQL
// backends' pools (sqlite::ReaderPool, postgres::Pool) are this with their own connection type.
// Header-only; knows no database library.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace ksgate::store {

// Thread-safe. Conn is any connection type; the pool owns idle connections and lends them out.
template <typename Conn>
class ConnectionPool {
 public:
  // Opens a new connection (called without the pool's lock held).
  using Opener = std::function<Result<std::unique_ptr<Conn>>()>;
  // False for a connection that must be closed rather than lent out or kept (broken, left
  // inside a transaction, ...).
  using Usable = std::function<bool(const Conn&)>;

  // A connection on loan; back to the pool when destroyed, unless discarded or not usable.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Release(std::move(conn_), true);
    }
    Conn& operator*() const { return *conn_; }
    Conn* operator->() const { return conn_.get(); }
    // Closes the connection instead of returning it; the lease is empty afterwards.
    void Discard() {
      if (conn_ != nullptr) pool_->Release(std::move(conn_), false);
    }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}
    ConnectionPool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  // At most max_size connections (at least 1). A caller finding all of them lent out waits up
  // to acquire_timeout (milliseconds::max(): as long as it takes).
  ConnectionPool(Opener open, Usable usable, int max_size,
                 std::chrono::milliseconds acquire_timeout)
      : open_conn_(std::move(open)),
        usable_(std::move(usable)),
        max_size_(max_size < 1 ? 1 : max_size),
        acquire_timeout_(acquire_timeout) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle usable connection, else a new one if fewer than max_size exist, else the first one
  // returned in time. The Opener's error if a new connection cannot be opened; kUnavailable if
  // none comes within acquire_timeout. Leases must end before the pool is destroyed.
  Result<Lease> Acquire() {
    std::unique_lock lock(mu_);
    auto available = [&] { return !idle_.empty() || open_ < max_size_; };
    while (true) {
      if (acquire_timeout_ == std::chrono::milliseconds::max()) {
        returned_.wait(lock, available);
      } else if (!returned_.wait_for(lock, acquire_timeout_, available)) {
        return UnavailableError("all " + std::to_string(max_size_) +
                                " database connections stayed busy for " +
                                std::to_string(acquire_timeout_.count()) + " ms");
      }
      if (idle_.empty()) break;
      std::unique_ptr<Conn> conn = std::move(idle_.back());
      idle_.pop_back();
      if (usable_(*conn)) return Lease(this, std::move(conn));
      --open_;  // went bad while idle: close it (below, unlocked) and look again
      lock.unlock();
      conn.reset();
      lock.lock();
    }
    ++open_;
    lock.unlock();  // opening may take a while: do not hold up the others
    Result<std::unique_ptr<Conn>> conn = open_conn_();
    if (!conn.ok()) {
      lock.lock();
      --open_;
      returned_.notify_one();
      return std::move(conn).error();
    }
    return Lease(this, std::move(conn).value());
  }

  // Closes every idle connection, e.g. after one was found cut (a server restart cuts all those
  // opened before it).
  void DiscardIdle() {
    std::vector<std::unique_ptr<Conn>> closing;
    {
      std::lock_guard lock(mu_);
      closing.swap(idle_);
      open_ -= static_cast<int>(closing.size());
    }
    returned_.notify_all();
  }

 private:
  void Release(std::unique_ptr<Conn> conn, bool keep) {
    keep = keep && usable_(*conn);
    {
      std::lock_guard lock(mu_);
      if (keep) {
        idle_.push_back(std::move(conn));
      } else {
        --open_;
      }
    }
    returned_.notify_one();
    // A connection not kept closes here, outside the lock.
  }

  const Opener open_conn_;
  const Usable usable_;
  const int max_size_;
  const std::chrono::milliseconds acquire_timeout_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mu_
  int open_ = 0;                             // guarded by mu_; idle + lent out + opening
};

}  // namespace ksgate::store
