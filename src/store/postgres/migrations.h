// The PostgreSQL schema migrations, embedded into the binary at build time from
// migrations/*.sql (see cmake/EmbedMigrations.cmake). Same numbers, names, tables and columns as
// the SQLite ones (sqlite/migrations.h), in PostgreSQL's types.
#pragma once

#include <span>

#include "store/migration.h"

namespace ksgate::store::postgres {

// Every migration, by ascending version (1, 2, 3, ... without gaps). Static storage.
std::span<const Migration> Migrations();

}  // namespace ksgate::store::postgres
