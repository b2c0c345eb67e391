// The command-line side of the settings (setting.h): one CLI11 option per setting, plus
// `--config FILE`, and the Sources (loader.h) they make once parsed.
//
//   CLI::App* serve = app.add_subcommand("serve", "...");
//   config::Flags flags(*serve, settings);
//   app.parse(argc, argv);                                  // CLI11's own errors for bad flags
//   Result<Values> values = config::Load(settings, flags.ToSources());
//
// An integer flag is checked by CLI11 against the setting's range, a string (or each element of
// a repeatable flag) by the setting's check, so a bad flag fails during parsing with CLI11's
// message ("--threads: Value 0 not in range [1 - 256]"). Only flags.cc includes CLI11's parsing
// of values. Not thread-safe.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/setting.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace ksgate::config {

class Flags {
 public:
  // Adds the options to `command`. `command` and `settings` must outlive *this, and *this must
  // outlive the parse.
  Flags(CLI::App& command, const std::vector<Setting>& settings);

  Flags(const Flags&) = delete;
  Flags& operator=(const Flags&) = delete;

  // After parsing: the config file (--config, else the KSGATE_CONFIG environment variable, else
  // none), this process's environment, and the flags that were given.
  Sources ToSources() const;

 private:
  struct Slot {
    const Setting* setting = nullptr;
    CLI::Option* option = nullptr;
    int64_t number = 0;
    std::string text;
    List list;
  };
  std::deque<Slot> slots_;  // a deque: CLI11 holds references into the slots
  std::string config_file_;
  CLI::Option* config_option_ = nullptr;
};

}  // namespace ksgate::config
