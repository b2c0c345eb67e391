// A numbered schema migration of a SQL backend. Each backend embeds its own list at build time
// (cmake/EmbedMigrations.cmake): sqlite/migrations.h, postgres/migrations.h. Both lists carry
// the same numbers and names, so a version means the same schema whatever the backend. Numbers
// increase from 1 and may skip one (reserved by work developed alongside); Migrate() applies
// every migration a database has not recorded yet, in number order.
#pragma once

#include <string_view>

namespace ksgate::store {

struct Migration {
  int version;            // from the file name: 0002_app_tokens.sql -> 2
  std::string_view name;  // file name without ".sql"
  std::string_view sql;   // the file's text; constant DDL, may hold several statements
};

}  // namespace ksgate::store
