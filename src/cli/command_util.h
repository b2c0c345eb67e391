// Helpers the ksgate subcommands share (internal to cli/): one-line errors on stderr, opening
// the app over a database, printing JSON and times, reading files, parsing counts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/value.h"
#include "app/app.h"
#include "common/status.h"
#include "store/store.h"

namespace ksgate::cli {

// Writes "ksgate: MESSAGE" to stderr.
void Fail(const std::string& message);

// False (with a one-line error) when `url` names a SQLite file that does not exist: commands
// that only read or change existing data must not create an empty database at a mistyped path.
bool DatabaseExists(const std::string& url);

// Opens the store at `url`, migrates it and wires the app over it; prints the reason and
// returns nullptr on failure.
std::unique_ptr<app::App> OpenApp(const std::string& url, app::AppOptions options);
// The same for a one-shot command: no change feed, and the audit log the environment names
// (observability.h CommandAudit), if any.
std::unique_ptr<app::App> OpenApp(const std::string& url);

// Opens the app for a command on partner `partner_id`'s tokens; nullptr (the reason printed)
// when the database or the partner does not exist.
std::unique_ptr<app::App> OpenForPartner(const std::string& db, int64_t partner_id);

// Prints a failed operation: the message alone for "no partner N", else prefixed by what was
// being done. Returns the exit code: 2 for kInvalidArgument (bad input), else 1.
int FailWith(const Status& s, const std::string& doing);

// Prints a failed API-level operation: its message (never a secret). Returns the exit code: 2
// when the input was at fault (a malformed or out-of-range value, a missing one, a KS that does
// not verify), else 1 (not found, the store).
int FailApi(const ApiError& error);

// One line of compact JSON on stdout.
void PrintJson(const api::Value& value);

// "2026-12-06 05:11:08" for Unix seconds `t`.
std::string UtcTime(int64_t t);

const char* StatusName(store::PartnerStatus status);
const char* SettingName(store::UserSecretSetRole setting);

// Reads a whole file; false with a one-line error naming `flag` and `path`.
bool ReadFile(const std::string& flag, const std::string& path, std::string* out);

// A whole non-negative decimal integer, at most 10^12.
bool ParseCount(std::string_view text, int64_t* out);

// "on" -> true, "off" -> false, anything else nullopt.
std::optional<bool> OnOff(const std::string& value);

}  // namespace ksgate::cli
