// Resolving settings (setting.h) from their sources, and showing the result as TOML.
//
// Precedence, lowest first: a setting's default, the config file (TOML: `[section]` tables of
// `name = value`), the KSGATE_* environment variables, the command-line flags. A list set by a
// higher source replaces the lower one's whole (lists are not merged).
//
//   Result<Values> values = Load(settings, {.file = "/etc/ksgate/ksgate.toml",
//                                           .env = ProcessEnvironment(), .flags = given});
//   if (!values.ok()) Fail(values.error().message());  // "config FILE: key server.listen: ..."
//
// Only loader.cc includes toml++. Thread-safe (no shared state).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/setting.h"

namespace ksgate::config {

// Looks an environment variable up: its value, or nullopt when it is not set.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// This process's environment (getenv).
Environment ProcessEnvironment();

struct Sources {
  // The config file; "" for none.
  std::string file;
  // Null: no environment variables are read.
  Environment env;
  // Values given on the command line, by setting key.
  std::map<std::string, Value, std::less<>> flags;
};

// Every setting of `settings` resolved from `sources`. kInvalidArgument with one line naming the
// setting where it came from and why:
//   "config FILE: cannot read: No such file or directory"    (a missing or unreadable file)
//   "config FILE: line 3: <TOML syntax error>"
//   "config FILE: key server.lisen: unknown key"              (any key or [section] not declared)
//   "config FILE: key server.threads: expected an integer, got a string"
//   "KSGATE_THREADS: must be between 1 and 256, got 0"
//   "--listen: <the setting's check's reason>"
// Environment variables are read for every setting (KSGATE_* names a setting declares no other
// meaning for are ignored: tests and tools use some). A list's environment variable is split at
// commas; "\," is a comma inside an element and "\\" a backslash (upstream specs name several
// services with commas: KSGATE_UPSTREAM='media\,baseentry=http://a:80,reports=http://b').
Result<Values> Load(const std::vector<Setting>& settings, const Sources& sources);

// A KSGATE_* list value split as Load splits it.
List SplitEnvList(std::string_view text);

// The effective configuration as a TOML document: every setting in table order, grouped in its
// [section], defaults included, each with a comment saying where it came from; strings shown
// through the setting's Redact. Parses back (as TOML) to the same values, redaction aside.
std::string ToToml(const std::vector<Setting>& settings, const Values& values);

}  // namespace ksgate::config
