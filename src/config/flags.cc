#include "config/flags.h"

#include <CLI/CLI.hpp>
#include <utility>

namespace ksgate::config {

namespace {

// "... [server.listen, KSGATE_LISTEN]": where else a setting can be given, for --help.
std::string Help(const Setting& s) { return s.help + " [" + s.key + ", " + s.EnvName() + "]"; }

}  // namespace

Flags::Flags(CLI::App& command, const std::vector<Setting>& settings) {
  config_option_ =
      command.add_option("--config", config_file_,
                         "TOML file of settings (docs/operations.md); the environment and "
                         "flags override it [KSGATE_CONFIG]");
  for (const Setting& s : settings) {
    Slot& slot = slots_.emplace_back();
    slot.setting = &s;
    CLI::Option* option = nullptr;
    if (const int64_t* n = std::get_if<int64_t>(&s.default_value)) {
      slot.number = *n;
      option = command.add_option(s.flag, slot.number, Help(s))->capture_default_str();
      option->check(CLI::Range(s.min, s.max));
    } else if (const std::string* text = std::get_if<std::string>(&s.default_value)) {
      slot.text = *text;
      option = command.add_option(s.flag, slot.text, Help(s));
      if (!text->empty()) option->capture_default_str();
    } else {
      slot.list = std::get<List>(s.default_value);
      option = command.add_option(s.flag, slot.list, Help(s) + " (repeatable)");
    }
    if (s.check && s.default_value.index() != 0) {
      option->check(
          CLI::Validator([check = s.check](std::string& value) { return check(value); }, "", ""));
    }
    slot.option = option;
  }
}

Sources Flags::ToSources() const {
  Sources sources;
  sources.env = ProcessEnvironment();
  if (config_option_->count() > 0) {
    sources.file = config_file_;
  } else if (std::optional<std::string> file = sources.env("KSGATE_CONFIG")) {
    sources.file = *file;
  }
  for (const Slot& slot : slots_) {
    if (slot.option->count() == 0) continue;
    switch (slot.setting->default_value.index()) {
      case 0:
        sources.flags[slot.setting->key] = slot.number;
        break;
      case 1:
        sources.flags[slot.setting->key] = slot.text;
        break;
      default:
        sources.flags[slot.setting->key] = slot.list;
        break;
    }
  }
  return sources;
}

}  // namespace ksgate::config
