#include "store/open_store.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "store/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#if KSGATE_WITH_POSTGRES
#include "store/postgres/pg_change_feed.h"
#include "store/postgres/pg_store.h"
#endif

namespace ksgate::store {
namespace {

constexpr std::string_view kMask = "****";

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

#if !KSGATE_WITH_POSTGRES
Status NoPostgres() {
  return InvalidArgumentError(
      "this ksgate was built without the PostgreSQL backend (KSGATE_WITH_POSTGRES=OFF); use "
      "sqlite:PATH");
}
#endif

// Masks the value after each case-insensitive "password=" in `text` that starts a parameter
// (at the start, or after '?', '&' or whitespace), up to the next '&' or whitespace; a libpq
// value in single quotes runs to the closing quote.
void MaskPasswordParams(std::string& text) {
  constexpr std::string_view kKey = "password=";
  size_t from = 0;
  while (true) {
    size_t at = std::string::npos;
    for (size_t i = from; i + kKey.size() <= text.size(); ++i) {
      const bool starts = i == 0 || text[i - 1] == '?' || text[i - 1] == '&' ||
                          std::isspace(static_cast<unsigned char>(text[i - 1]));
      if (!starts) continue;
      bool match = true;
      for (size_t k = 0; k < kKey.size() && match; ++k) {
        match = std::tolower(static_cast<unsigned char>(text[i + k])) == kKey[k];
      }
      if (match) {
        at = i;
        break;
      }
    }
    if (at == std::string::npos) return;
    const size_t value = at + kKey.size();
    size_t end = value;
    if (end < text.size() && text[end] == '\'') {
      for (++end; end < text.size() && text[end] != '\''; ++end) {
        if (text[end] == '\\') ++end;
      }
      end = std::min(end + 1, text.size());
    } else {
      while (end < text.size() && text[end] != '&' &&
             !std::isspace(static_cast<unsigned char>(text[end]))) {
        ++end;
      }
    }
    text.replace(value, end - value, kMask);
    from = value + kMask.size();
  }
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(std::string_view url, const StoreOpenOptions& options) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url == "memory:") return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  if (url.starts_with(kSqlite)) {
    std::string_view path = url.substr(kSqlite.size());
    if (path.empty()) {
      return InvalidArgumentError("store URL \"" + std::string(url) +
                                  "\" names no file; use sqlite:PATH or sqlite::memory:");
    }
    SqliteOptions sqlite_options;
    if (options.connections > 0) sqlite_options.max_readers = options.connections;
    KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> sqlite,
                            SqliteStore::Open(path, sqlite_options));
    return std::unique_ptr<Store>(std::move(sqlite));
  }
  if (IsPostgresUrl(url)) {
#if KSGATE_WITH_POSTGRES
    PgOptions pg_options;
    if (options.connections > 0) pg_options.pool_size = options.connections;
    KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<PgStore> pg, PgStore::Open(url, pg_options));
    return std::unique_ptr<Store>(std::move(pg));
#else
    return NoPostgres();
#endif
  }
  return InvalidArgumentError("unknown store URL \"" + RedactStoreUrl(url) +
                              "\"; use sqlite:PATH, sqlite::memory:, memory: or "
                              "postgresql://user:password@host:port/dbname");
}

Result<std::unique_ptr<ChangeFeed>> OpenChangeFeed(std::string_view url, const Store* store) {
  if (IsPostgresUrl(url)) {
#if KSGATE_WITH_POSTGRES
    KSGATE_ASSIGN_OR_RETURN(std::unique_ptr<PgChangeFeed> feed, PgChangeFeed::Create(url));
    return std::unique_ptr<ChangeFeed>(std::move(feed));
#else
    return NoPostgres();
#endif
  }
  if (url == "memory:") return std::unique_ptr<ChangeFeed>();
  if (url.starts_with("sqlite:")) {
    // Only the store's own writer can tell its commits from other processes'.
    const auto* sqlite = dynamic_cast<const SqliteStore*>(store);
    return sqlite == nullptr ? std::unique_ptr<ChangeFeed>() : sqlite->NewChangeFeed();
  }
  return InvalidArgumentError("unknown store URL \"" + RedactStoreUrl(url) + "\"");
}

std::string RedactStoreUrl(std::string_view url) {
  std::string out(url);
  if (url.starts_with("sqlite:") || url == "memory:") return out;  // a path, no credentials
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    // The userinfo ends at the last '@' before the query: a password may hold '@' or, not
    // percent-encoded by mistake, '/'. Masking too much is harmless; too little is not.
    const size_t authority = scheme + 3;
    const size_t at = out.rfind('@', out.find('?', authority));
    if (at != std::string::npos && at >= authority) {
      const size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, kMask);
    }
  }
  MaskPasswordParams(out);
  return out;
}

}  // namespace ksgate::store
