// The SQLite schema migrations, embedded into the binary at build time from migrations/*.sql
// (see cmake/EmbedMigrations.cmake), so a ksgate binary needs no SQL files at run time.
#pragma once

#include <span>

#include "store/migration.h"

namespace ksgate::store::sqlite {

using Migration = ::ksgate::store::Migration;

// Every migration, by ascending version (1, 2, 3, ... without gaps). Static storage.
std::span<const Migration> Migrations();

}  // namespace ksgate::store::sqlite
