// The SQLite schema migrations, embedded into the binary at build time from migrations/*.sql
// (see embed_migrations.cmake), so a ksgate binary needs no SQL files at run time.
#pragma once

#include <span>
#include <string_view>

namespace ksgate::store::sqlite {

struct Migration {
  int version;            // from the file name: 0002_app_tokens.sql -> 2
  std::string_view name;  // file name without ".sql"
  std::string_view sql;   // the file's text; constant DDL, may hold several statements
};

// Every migration, by ascending version (1, 2, 3, ... without gaps). Static storage.
std::span<const Migration> Migrations();

}  // namespace ksgate::store::sqlite
