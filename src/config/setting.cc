#include "config/setting.h"

#include <cstdlib>

namespace ksgate::config {

const char* TypeName(const Value& value) {
  switch (value.index()) {
    case 0:
      return "integer";
    case 1:
      return "string";
    default:
      return "array of strings";
  }
}

std::string Setting::EnvName() const {
  std::string name = "KSGATE_";
  std::string_view bare = flag;
  while (bare.starts_with('-')) bare.remove_prefix(1);
  for (char c : bare) {
    if (c == '-') {
      name += '_';
    } else if (c >= 'a' && c <= 'z') {
      name += static_cast<char>(c - 'a' + 'A');
    } else {
      name += c;
    }
  }
  return name;
}

std::string_view Setting::Section() const {
  std::string_view k = key;
  return k.substr(0, k.find('.'));
}

std::string_view Setting::Name() const {
  std::string_view k = key;
  const size_t dot = k.find('.');
  return dot == std::string_view::npos ? k : k.substr(dot + 1);
}

void Values::Set(const std::string& key, Value value, Source source) {
  entries_[key] = Entry{std::move(value), source};
}

const Values::Entry& Values::At(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) std::abort();  // a key the table does not declare
  return it->second;
}

const Value& Values::Get(std::string_view key) const { return At(key).value; }

int64_t Values::Int(std::string_view key) const { return std::get<int64_t>(Get(key)); }

const std::string& Values::String(std::string_view key) const {
  return std::get<std::string>(Get(key));
}

const List& Values::Strings(std::string_view key) const { return std::get<List>(Get(key)); }

Source Values::SourceOf(std::string_view key) const { return At(key).source; }

std::string Values::Describe(const Setting& setting) const {
  auto it = entries_.find(setting.key);
  const Source source = it != entries_.end() ? it->second.source : Source::kDefault;
  switch (source) {
    case Source::kFile:
      return "config " + file_ + ": key " + setting.key;
    case Source::kEnv:
      return setting.EnvName();
    case Source::kFlag:
      return setting.flag;
    case Source::kDefault:
      break;
  }
  return "key " + setting.key;
}

}  // namespace ksgate::config
