#include "services/permission_catalogue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "common/strings.h"
#include "services/list_query.h"

namespace ksgate::services {

// Generated at build time from permissions.ini (see CMakeLists.txt).
extern const char kPermissionsIni[];

namespace {

// Whitespace around ini keys, values and section names.
constexpr std::string_view kIniWhitespace(" \t\n\r\v\f", 6);

std::string_view Trim(std::string_view s) { return TrimChars(s, kIniWhitespace); }

bool IsName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '*';
  });
}

bool IsAction(std::string_view s);

}  // namespace

// Reads catalogue text into `c`: the built-in catalogue (every key), or an operator's
// extension of it (new permissions; more permissions for existing roles).
Status PermissionCatalogue::ParseInto(std::string_view text, bool extension,
                                      PermissionCatalogue& c) {
  enum class Section { kNone, kPermission, kRole } section = Section::kNone;
  const char* what_text = extension ? "permissions file" : "permission catalogue";
  int line_no = 0;
  auto error = [&](const std::string& what) {
    return InvalidArgumentError(std::string(what_text) + " line " + std::to_string(line_no) + ": " +
                                what);
  };
  std::vector<std::pair<int, std::string>> role_permission_lines;  // validated at the end
  store::UserRole* role = nullptr;

  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return error("unterminated section header");
      std::string_view header = Trim(line.substr(1, line.size() - 2));
      size_t space = header.find(' ');
      std::string_view kind = header.substr(0, space);
      std::string_view name = space == std::string_view::npos ? "" : Trim(header.substr(space));
      if (!IsName(name) || name == "*") return error("bad name '" + std::string(name) + "'");
      if (kind == "permission") {
        if (c.by_name_.contains(name)) return error("duplicate permission " + std::string(name));
        if (c.permissions_.size() == kMaxPermissions - 1) return error("too many permissions");
        c.by_name_[std::string(name)] = c.permissions_.size();
        c.permissions_.push_back(PermissionDef{std::string(name), "", {}});
        section = Section::kPermission;
      } else if (kind == "role") {
        role = nullptr;
        for (store::UserRole& r : c.roles_) {
          if (r.system_name == name) role = &r;
        }
        if (extension) {
          if (role == nullptr) return error("unknown role " + std::string(name));
        } else {
          if (role != nullptr) return error("duplicate role " + std::string(name));
          store::UserRole added;
          added.system_name = std::string(name);
          added.name = std::string(name);
          c.roles_.push_back(std::move(added));
          role = &c.roles_.back();
        }
        section = Section::kRole;
      } else {
        return error("unknown section kind '" + std::string(kind) + "'");
      }
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return error("expected key = value");
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (section == Section::kPermission) {
      PermissionDef& p = c.permissions_.back();
      if (key == "description") {
        p.description = std::string(value);
      } else if (key == "actions") {
        while (!value.empty()) {
          size_t end = value.find_first_of(" \t");
          std::string_view action = value.substr(0, end);
          if (!IsAction(action)) return error("bad action '" + std::string(action) + "'");
          p.actions.emplace_back(action);
          c.granting_[AsciiLower(action)].set(c.permissions_.size() - 1);
          if (action.ends_with(".*")) c.has_wildcards_ = true;
          value = Trim(value.substr(end == std::string_view::npos ? value.size() : end));
        }
      } else {
        return error("unknown permission key '" + std::string(key) + "'");
      }
    } else if (section == Section::kRole && extension) {
      if (key != "permissions") {
        return error("a role of the permissions file takes only 'permissions', not '" +
                     std::string(key) + "'");
      }
      if (!role->permission_names.empty() && !value.empty()) role->permission_names += ",";
      role->permission_names += std::string(value);
      role_permission_lines.emplace_back(line_no, std::string(value));
    } else if (section == Section::kRole) {
      store::UserRole& r = *role;
      if (key == "id") {
        int64_t id = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), id);
        if (ec != std::errc() || ptr != value.data() + value.size() || id <= 0 ||
            id >= store::kFirstUserRoleId) {
          return error("role id must be 1.." + std::to_string(store::kFirstUserRoleId - 1));
        }
        if (c.FindRoleById(id) != nullptr) return error("duplicate role id");
        r.id = id;
      } else if (key == "name") {
        r.name = std::string(value);
      } else if (key == "description") {
        r.description = std::string(value);
      } else if (key == "permissions") {
        r.permission_names = std::string(value);
        role_permission_lines.emplace_back(line_no, r.permission_names);
      } else if (key == "tags") {
        r.tags = std::string(value);
      } else {
        return error("unknown role key '" + std::string(key) + "'");
      }
    } else {
      return error("key outside a section");
    }
  }
  for (const auto& [line, names] : role_permission_lines) {
    line_no = line;
    if (std::optional<std::string> unknown = c.FirstUnknown(names)) {
      return error("role names unknown permission " + *unknown);
    }
  }
  for (const store::UserRole& r : c.roles_) {
    if (r.id == 0) {
      return InvalidArgumentError(std::string(what_text) + ": role " + r.system_name +
                                  " has no id");
    }
  }
  return Status::Ok();
}

Result<PermissionCatalogue> PermissionCatalogue::Parse(std::string_view text) {
  PermissionCatalogue c;
  KSGATE_RETURN_IF_ERROR(ParseInto(text, /*extension=*/false, c));
  return c;
}

Result<PermissionCatalogue> PermissionCatalogue::Extend(std::string_view text) const {
  PermissionCatalogue c = *this;
  KSGATE_RETURN_IF_ERROR(ParseInto(text, /*extension=*/true, c));
  return c;
}

namespace {

// "service.action", or "service.*".
bool IsAction(std::string_view s) {
  size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == s.size()) return false;
  auto word = [](std::string_view w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
  };
  const std::string_view action = s.substr(dot + 1);
  return word(s.substr(0, dot)) && (action == "*" || word(action));
}

}  // namespace

const PermissionCatalogue& PermissionCatalogue::BuiltIn() {
  static const PermissionCatalogue* catalogue = [] {
    Result<PermissionCatalogue> parsed = Parse(kPermissionsIni);
    if (!parsed.ok()) {
      spdlog::critical("built-in {}", parsed.error().message());
      std::abort();
    }
    return new PermissionCatalogue(std::move(parsed).value());
  }();
  return *catalogue;
}

std::optional<size_t> PermissionCatalogue::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

PermissionSet PermissionCatalogue::All() const {
  PermissionSet all;
  for (size_t i = 0; i < permissions_.size(); ++i) all.set(i);
  all.set(kEveryActionBit);
  return all;
}

PermissionSet PermissionCatalogue::FromNames(std::string_view csv) const {
  PermissionSet set;
  for (std::string_view name : SplitCsv(csv)) {
    if (name == "*") return All();
    if (std::optional<size_t> i = Find(name)) set.set(*i);
  }
  return set;
}

std::optional<std::string> PermissionCatalogue::FirstUnknown(std::string_view csv) const {
  for (std::string_view name : SplitCsv(csv)) {
    if (name != "*" && !Find(name)) return std::string(name);
  }
  return std::nullopt;
}

PermissionSet PermissionCatalogue::Granting(std::string_view service_action_lower) const {
  PermissionSet granting;
  if (auto it = granting_.find(service_action_lower); it != granting_.end()) granting |= it->second;
  if (has_wildcards_) {
    const size_t dot = service_action_lower.find('.');
    std::string wildcard(service_action_lower.substr(0, dot));
    wildcard += ".*";
    if (auto it = granting_.find(wildcard); it != granting_.end()) granting |= it->second;
  }
  // An action no permission names is granted by "*" alone.
  if (granting.none()) granting.set(kEveryActionBit);
  return granting;
}

const store::UserRole* PermissionCatalogue::FindRoleById(int64_t id) const {
  for (const store::UserRole& r : roles_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const store::UserRole* PermissionCatalogue::FindRoleBySystemName(std::string_view name) const {
  for (const store::UserRole& r : roles_) {
    if (r.system_name == name) return &r;
  }
  return nullptr;
}

}  // namespace ksgate::services
