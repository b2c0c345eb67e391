// Opening a store (and its change feed) from a --db URL. Lives apart from store.h so the
// interface does not depend on any backend.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/change_feed.h"
#include "store/store.h"

namespace ksgate::store {

struct StoreOpenOptions {
  // Connections to the database for concurrent calls: PostgreSQL's pool size (PgOptions) and
  // SQLite's reader connections (SqliteOptions); 0 keeps the backend's default. A server sets
  // it to its store threads, so that no store thread waits for a connection.
  int connections = 0;
};

// Opens the store a --db URL names:
//  - "sqlite:PATH": a SQLite file (PATH ":memory:" for a private in-memory database); the parent
//    directory of a file path is created if missing.
//  - "memory:": an in-memory store (tests, demos).
//  - "postgresql://[user[:password]@][host][:port][/dbname][?param=value...]" or "postgres://...":
//    PostgreSQL (postgres/pg_store.h). The URL goes to libpq as is, so libpq's PG* environment
//    variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ...) and ~/.pgpass fill in what
//    it leaves out: "postgresql://" alone takes everything from them. One connection is opened
//    to check the database.
// kInvalidArgument for an unknown scheme, an unusable path, a URL libpq cannot parse, or a
// PostgreSQL URL in a build without the PostgreSQL backend (KSGATE_WITH_POSTGRES=OFF);
// kUnavailable if the PostgreSQL server cannot be reached or refuses the connection. Messages are
// one line, fit for a CLI error, and never contain a password. Does not migrate.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url,
                                         const StoreOpenOptions& options = {});

// The change feed of the database a --db URL names, not yet started: PgChangeFeed for
// PostgreSQL URLs; for sqlite: URLs of a file, `store`'s own (SqliteStore::NewChangeFeed: what
// other processes commit to the file), which `store` must be (the one OpenStore(url) gave) and
// outlive; nullptr (OK) for memory:, ":memory:", or a sqlite: URL without its store. Errors as
// OpenStore's, except that nothing is connected yet.
Result<std::unique_ptr<ChangeFeed>> OpenChangeFeed(std::string_view url,
                                                   const Store* store = nullptr);

// `url` fit for a log line or an error message: a password in it ("scheme://user:PASSWORD@...",
// "?password=...", or a libpq "password=..." pair) is replaced by "****". sqlite: and memory:
// URLs, and anything without a password, are returned as is.
std::string RedactStoreUrl(std::string_view url);

}  // namespace ksgate::store
