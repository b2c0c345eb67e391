// Settings: what ksgate can be configured with, each declared once, and the values resolved for
// them. A Setting names its TOML key ("server.listen"), its command-line flag ("--listen") and,
// derived from the flag, its environment variable (KSGATE_LISTEN); loader.h resolves the values
// from a file, the environment and flags, flags.h makes the CLI11 options.
//
//   const std::vector<Setting> kSettings = {
//       {.key = "server.listen", .flag = "--listen", .help = "HOST:PORT to listen on",
//        .default_value = std::string("127.0.0.1:8080"), .check = CheckListen},
//   };
//
// Plain data; thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ksgate::config {

using List = std::vector<std::string>;
// A setting's value; the alternative of its default is its type: an integer, a string, or a list
// of strings (a TOML array; a repeatable flag; a comma-separated environment variable).
using Value = std::variant<int64_t, std::string, List>;

// "integer", "string" or "array of strings": a value's type as an error message names it.
const char* TypeName(const Value& value);

// Checks a value beyond its type and range: "" when it is fine, else why not (one line, with no
// secret in it). A list is checked element by element.
using Check = std::function<std::string(std::string_view value)>;

// How `ksgate config check` shows a string value (or each element of a list), e.g. a URL with
// its password masked. Null: as it is.
using Redact = std::function<std::string(std::string_view value)>;

struct Setting {
  std::string key;   // "section.name", the TOML key (a section and a name, both [a-z0-9_])
  std::string flag;  // "--name"; the environment variable is KSGATE_NAME (EnvName)
  std::string help;
  Value default_value;
  // Integers: the values allowed, bounds included.
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
  Check check;    // strings and list elements; null: any
  Redact redact;  // null: shown as is
  // Whether a reload (SIGHUP) applies a new value; the others take effect at the next start.
  bool reloadable = false;

  // "KSGATE_" and the flag in upper case, '-' as '_': --store-threads -> KSGATE_STORE_THREADS.
  std::string EnvName() const;
  std::string_view Section() const;  // "server"
  std::string_view Name() const;     // "listen"
};

// Where a value came from, lowest precedence first.
enum class Source { kDefault, kFile, kEnv, kFlag };

// The value of every setting of a table, with where each came from.
class Values {
 public:
  struct Entry {
    Value value;
    Source source = Source::kDefault;
  };

  // Setting `key` (which must be one of the table's) to `value` from `source`.
  void Set(const std::string& key, Value value, Source source);

  // The value of `key`, which must have been set: aborts otherwise (a programming error).
  const Value& Get(std::string_view key) const;
  int64_t Int(std::string_view key) const;
  const std::string& String(std::string_view key) const;
  const List& Strings(std::string_view key) const;
  Source SourceOf(std::string_view key) const;

  // How an error names where the value of `setting` came from: "config FILE: key server.listen",
  // "KSGATE_LISTEN", "--listen", or "key server.listen" for a default.
  std::string Describe(const Setting& setting) const;

  // The config file the values were read from ("" if none), for Describe.
  const std::string& file() const { return file_; }
  void set_file(std::string file) { file_ = std::move(file); }

  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }

 private:
  const Entry& At(std::string_view key) const;

  std::map<std::string, Entry, std::less<>> entries_;
  std::string file_;
};

// Values shown in `config check` that are secrets themselves.
inline constexpr std::string_view kMasked = "***";

}  // namespace ksgate::config
