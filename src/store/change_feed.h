// ChangeFeed: what other processes sharing the database have changed, so that a node can drop
// cached entries (CachingStore) when another node writes. Backend-neutral; the PostgreSQL
// backend implements it with LISTEN/NOTIFY (postgres/pg_change_feed.h), a SQLite file by
// telling other connections' commits from its writer's (sqlite/sqlite_change_feed.h: each is a
// resync, SQLite not saying what changed), and OpenChangeFeed (open_store.h) opens the one that
// fits a --db URL. Memory stores have none.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"

namespace ksgate::store {

// One committed change. Changes come after the commit that made them, in commit order.
struct Change {
  enum class Kind {
    kPartner,     // partner created, status or admin secrets changed: partner_id
    kAppToken,    // app token inserted, updated or deleted: partner_id, id = the token id
    kUserRole,    // user role inserted or updated (deleted included): partner_id, id = role id
                  // as text. Lookups by system name of that partner may have changed too.
    kRevocation,  // a revocation row written (Revoke, DeleteAppToken): id = the key
  };
  Kind kind = Kind::kPartner;
  int64_t partner_id = 0;  // 0 for kRevocation
  std::string id;          // token id, role id as text, or revocation key; "" for kPartner

  friend bool operator==(const Change&, const Change&) = default;
};

// Delivers changes committed by any process sharing the database. Thread-safe.
class ChangeFeed {
 public:
  struct Callbacks {
    // One committed change.
    std::function<void(const Change&)> on_change;
    // (Re)connected: changes may have been missed while disconnected; drop every cached entry.
    std::function<void()> on_resync;
    // The listener connection went up (true, after on_resync) or down (false).
    std::function<void(bool connected)> on_state;
    // Every change committed before `as_of` has been delivered (through on_change, or a
    // resync). Called after each (re)connect and each answered keep-alive, so while the feed is
    // healthy it comes every heartbeat; a consumer that has not heard it recently cannot tell
    // whether it is missing changes.
    std::function<void(std::chrono::steady_clock::time_point as_of)> on_confirmed;
  };

  ChangeFeed() = default;
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;
  virtual ~ChangeFeed() = default;

  // Starts a background thread that holds one dedicated connection, listens for changes (or
  // looks for them every heartbeat) and reconnects after any failure (PostgreSQL: with backoff,
  // 100 ms doubling to 2 s), calling on_resync after each (re)connect once listening is active.
  // Every heartbeat (PostgreSQL 250 ms, SQLite 100 ms) it makes a cheap query and reports
  // on_state(false) when that fails, so a consumer can tell within about 1 s that it may be
  // missing changes. Callbacks run on that thread, one at a
  // time, and must not call Stop(). Unset callbacks are skipped. kInvalidArgument if started
  // before; OK otherwise (connection failures are retried, and reported through on_state).
  virtual Status Start(Callbacks callbacks) = 0;
  // Stops the thread and closes its connection; no callback runs after it returns. Promptly,
  // also while connecting or backing off. Idempotent; the destructor calls it.
  virtual void Stop() = 0;
};

}  // namespace ksgate::store
