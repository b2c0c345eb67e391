#include "config/loader.h"

#include <toml++/toml.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace ksgate::config {

namespace {

// A file this large is not a config file; it is refused before it is read whole.
constexpr std::streamoff kMaxFileBytes = 1 << 20;

const Setting* Find(const std::vector<Setting>& settings, std::string_view key) {
  for (const Setting& s : settings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

// "a string", "an integer", ...: a TOML node's type as an error names it.
const char* NodeTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

// "expected an integer, got a string": what a TOML node of the wrong type is told.
std::string WrongType(const Value& wanted, const toml::node& got) {
  const char* article = wanted.index() == 1 ? "a " : "an ";
  return std::string("expected ") + article + TypeName(wanted) + ", got " + NodeTypeName(got);
}

// Why `value` is not allowed for `setting` ("" if it is): range and check.
std::string Validate(const Setting& setting, const Value& value) {
  if (const int64_t* n = std::get_if<int64_t>(&value)) {
    if (*n < setting.min || *n > setting.max) {
      return "must be between " + std::to_string(setting.min) + " and " +
             std::to_string(setting.max) + ", got " + std::to_string(*n);
    }
    return "";
  }
  if (!setting.check) return "";
  if (const std::string* s = std::get_if<std::string>(&value)) return setting.check(*s);
  for (const std::string& element : std::get<List>(value)) {
    if (std::string why = setting.check(element); !why.empty()) return why;
  }
  return "";
}

Status Invalid(const std::string& where, const std::string& why) {
  return InvalidArgumentError(where + ": " + why);
}

// The value of a TOML node for `setting`; an error message ("" on success) in `why`.
std::optional<Value> FromToml(const Setting& setting, const toml::node& node, std::string* why) {
  switch (setting.default_value.index()) {
    case 0:
      if (node.is_integer()) return Value(*node.value<int64_t>());
      break;
    case 1:
      if (node.is_string()) return Value(*node.value<std::string>());
      break;
    default:
      if (const toml::array* array = node.as_array()) {
        List list;
        for (const toml::node& element : *array) {
          if (!element.is_string()) {
            *why = std::string("expected an array of strings, got an array holding ") +
                   NodeTypeName(element);
            return std::nullopt;
          }
          list.push_back(*element.value<std::string>());
        }
        return Value(std::move(list));
      }
      break;
  }
  *why = WrongType(setting.default_value, node);
  return std::nullopt;
}

// A whole decimal integer, optionally negative.
std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return n;
}

// The value of environment variable text for `setting`; an error message in `why`.
std::optional<Value> FromEnv(const Setting& setting, const std::string& text, std::string* why) {
  switch (setting.default_value.index()) {
    case 0:
      if (std::optional<int64_t> n = ParseInt(text)) return Value(*n);
      *why = "expected an integer, got '" + text.substr(0, 32) + "'";
      return std::nullopt;
    case 1:
      return Value(text);
    default:
      return Value(SplitEnvList(text));
  }
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Invalid("config " + path, std::string("cannot read: ") + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > kMaxFileBytes) return Invalid("config " + path, "larger than 1 MiB");
  in.seekg(0, std::ios::beg);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Invalid("config " + path, "cannot read: I/O error");
  *out = std::move(text).str();
  return Status::Ok();
}

// "did you mean server.listen?" for a name some section has, or "".
std::string Hint(const std::vector<Setting>& settings, std::string_view name) {
  for (const Setting& s : settings) {
    if (s.Name() == name) return " (did you mean " + s.key + "?)";
  }
  return "";
}

// Applies the config file to `values`.
Status LoadFile(const std::vector<Setting>& settings, const std::string& path, Values* values) {
  std::string text;
  KSGATE_RETURN_IF_ERROR(ReadFile(path, &text));
  const std::string where = "config " + path;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Invalid(where, "line " + std::to_string(e.source().begin.line) + ": " +
                              std::string(e.description()));
  }
  for (const auto& [section_key, section] : root) {
    const std::string section_name(section_key.str());
    const toml::table* table = section.as_table();
    bool known = false;
    for (const Setting& s : settings) known = known || s.Section() == section_name;
    if (table == nullptr || !known) {
      const std::string why = !known ? (table != nullptr ? "unknown section" : "unknown key")
                                     : "expected a [" + section_name + "] table";
      return Invalid(where + ": key " + section_name,
                     why + (table == nullptr ? Hint(settings, section_name) : ""));
    }
    for (const auto& [name_key, node] : *table) {
      const std::string key = section_name + "." + std::string(name_key.str());
      const Setting* setting = Find(settings, key);
      if (setting == nullptr) return Invalid(where + ": key " + key, "unknown key");
      std::string why;
      std::optional<Value> value = FromToml(*setting, node, &why);
      if (value && why.empty()) why = Validate(*setting, *value);
      if (!why.empty()) return Invalid(where + ": key " + key, why);
      values->Set(setting->key, std::move(*value), Source::kFile);
    }
  }
  return Status::Ok();
}

// A TOML basic string: quoted, with quotes, backslashes and control characters escaped.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Shown(const Setting& setting, const std::string& s) {
  return Quote(setting.redact ? setting.redact(s) : s);
}

}  // namespace

Environment ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

List SplitEnvList(std::string_view text) {
  List out;
  if (text.empty()) return out;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == ',' || text[i + 1] == '\\')) {
      current += text[++i];
    } else if (c == ',') {
      out.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(std::move(current));
  return out;
}

Result<Values> Load(const std::vector<Setting>& settings, const Sources& sources) {
  Values values;
  values.set_file(sources.file);
  for (const Setting& s : settings) values.Set(s.key, s.default_value, Source::kDefault);
  if (!sources.file.empty()) KSGATE_RETURN_IF_ERROR(LoadFile(settings, sources.file, &values));
  if (sources.env) {
    for (const Setting& s : settings) {
      const std::optional<std::string> text = sources.env(s.EnvName());
      if (!text) continue;
      std::string why;
      std::optional<Value> value = FromEnv(s, *text, &why);
      if (value) why = Validate(s, *value);
      if (!why.empty()) return Invalid(s.EnvName(), why);
      values.Set(s.key, std::move(*value), Source::kEnv);
    }
  }
  for (const auto& [key, value] : sources.flags) {
    const Setting* s = Find(settings, key);
    if (s == nullptr) return InvalidArgumentError("no setting " + key);  // a caller's mistake
    if (value.index() != s->default_value.index()) {
      return Invalid(s->flag, std::string("expected ") + TypeName(s->default_value));
    }
    if (std::string why = Validate(*s, value); !why.empty()) return Invalid(s->flag, why);
    values.Set(s->key, value, Source::kFlag);
  }
  return values;
}

std::string ToToml(const std::vector<Setting>& settings, const Values& values) {
  std::string out =
      "# ksgate: the effective configuration (defaults < config file < KSGATE_* environment < "
      "flags)\n";
  std::vector<std::string_view> sections;
  for (const Setting& s : settings) {
    bool seen = false;
    for (std::string_view section : sections) seen = seen || section == s.Section();
    if (!seen) sections.push_back(s.Section());
  }
  for (std::string_view section : sections) {
    out += "\n[" + std::string(section) + "]\n";
    for (const Setting& s : settings) {
      if (s.Section() != section) continue;
      const Value& value = values.Get(s.key);
      std::string line = std::string(s.Name()) + " = ";
      if (const int64_t* n = std::get_if<int64_t>(&value)) {
        line += std::to_string(*n);
      } else if (const std::string* str = std::get_if<std::string>(&value)) {
        line += Shown(s, *str);
      } else {
        line += "[";
        const List& list = std::get<List>(value);
        for (size_t i = 0; i < list.size(); ++i) {
          line += (i == 0 ? "" : ", ") + Shown(s, list[i]);
        }
        line += "]";
      }
      switch (values.SourceOf(s.key)) {
        case Source::kDefault:
          line += "  # default";
          break;
        case Source::kFile:
          line += "  # config file";
          break;
        case Source::kEnv:
          line += "  # " + s.EnvName();
          break;
        case Source::kFlag:
          line += "  # " + s.flag;
          break;
      }
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace ksgate::config
