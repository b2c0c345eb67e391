#include "ks/privileges.h"

#include <algorithm>
#include <array>

#include "common/php.h"

namespace ksgate::ks {
namespace {

// kSessionBase PRIVILEGE_* constant values, in declaration order (spec §2.7).
constexpr std::array<std::string_view, 33> kServerReservedPrivileges = {
    "edit",
    "sview",
    "list",
    "download",
    "downloadasset",
    "editplaylist",
    "sviewplaylist",
    "actionslimit",
    "setrole",
    "restrictingrole",
    "limitentry",
    "iprestrict",
    "urirestrict",
    "enableentitlement",
    "disableentitlement",
    "disableentitlementforentry",
    "disableentitlementforplaylist",
    "privacycontext",
    "enablecategorymoderation",
    "reftime",
    "sessionkey",
    "preview",
    "sessionid",
    "jobtype",
    "apptoken",
    "enablechangeaccount",
    "edituser",
    "enablecaptionmoderation",
    "editadmintags",
    "restrictexplicitliveview",
    "virtualeventid",
    "searchcontext",
    "disablesessiontypecheck",
};

PrivilegeMap::iterator Find(PrivilegeMap& map, std::string_view name) {
  return std::find_if(map.begin(), map.end(),
                      [&](const auto& entry) { return entry.first == name; });
}

PrivilegeMap::const_iterator Find(const PrivilegeMap& map, std::string_view name) {
  return std::find_if(map.begin(), map.end(),
                      [&](const auto& entry) { return entry.first == name; });
}

}  // namespace

PrivilegeMap ParsePrivileges(std::string_view privileges) {
  PrivilegeMap map;
  size_t pos = 0;
  while (true) {
    const size_t comma = privileges.find(',', pos);
    const std::string_view item = privileges.substr(
        pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    const size_t colon = item.find(':');
    const std::string_view name = item.substr(0, colon);
    auto it = Find(map, name);
    if (it == map.end()) {
      map.emplace_back(std::string(name), std::vector<std::string>());
      it = map.end() - 1;
    }
    if (colon != std::string_view::npos && colon + 1 < item.size()) {
      const std::string_view value = item.substr(colon + 1);
      size_t vpos = 0;
      while (true) {
        const size_t slash = value.find('/', vpos);
        it->second.emplace_back(value.substr(
            vpos, slash == std::string_view::npos ? std::string_view::npos : slash - vpos));
        if (slash == std::string_view::npos) break;
        vpos = slash + 1;
      }
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return map;
}

std::string BuildPrivileges(const PrivilegeMap& map) {
  size_t size = map.empty() ? 0 : map.size() - 1;  // the ','s
  for (const auto& [name, values] : map) {
    size += name.size() + values.size();  // and a ':' or '/' before each value
    for (const std::string& value : values) size += value.size();
  }
  std::string out;
  out.reserve(size);
  for (size_t i = 0; i < map.size(); ++i) {
    if (i > 0) out.push_back(',');
    const auto& [name, values] = map[i];
    out.append(name);
    for (size_t v = 0; v < values.size(); ++v) {
      out.push_back(v == 0 ? ':' : '/');
      out.append(values[v]);
    }
  }
  return out;
}

PrivilegeMap MergePrivileges(PrivilegeMap base, const PrivilegeMap& extra) {
  for (const auto& [name, values] : extra) {
    auto it = Find(base, name);
    if (it == base.end()) {
      base.emplace_back(name, values);
    } else {
      it->second.insert(it->second.end(), values.begin(), values.end());
    }
  }
  return base;
}

PrivilegeMap RetrieveAllowedAppSessionPrivileges(PrivilegeMap token_map,
                                                 const PrivilegeMap& requested) {
  // Names the token already sets are fixed as of entry (trimmed, as Kaltura compares them).
  std::vector<std::string> token_names;
  token_names.reserve(token_map.size());
  for (const auto& entry : token_map) token_names.emplace_back(php::Trim(entry.first));
  auto forbidden = [&](std::string_view trimmed) {
    return IsServerReservedPrivilege(trimmed) ||
           std::find(token_names.begin(), token_names.end(), trimmed) != token_names.end();
  };
  for (const auto& [name, values] : requested) {
    auto it = Find(token_map, name);
    const bool token_wildcard =
        it != token_map.end() &&
        std::find(it->second.begin(), it->second.end(), "*") != it->second.end();
    if (forbidden(php::Trim(name)) && !token_wildcard) continue;
    if (it == token_map.end()) {
      token_map.emplace_back(name, values);
    } else {
      it->second = values;
    }
  }
  return token_map;
}

bool IsServerReservedPrivilege(std::string_view name) {
  return std::find(kServerReservedPrivileges.begin(), kServerReservedPrivileges.end(), name) !=
         kServerReservedPrivileges.end();
}

const std::string* FirstPrivilegeValue(const PrivilegeMap& map, std::string_view name) {
  const auto it = Find(map, name);
  if (it == map.end() || it->second.empty()) return nullptr;
  return &it->second.front();
}

bool HasPrivilege(const PrivilegeMap& map, std::string_view name) {
  return Find(map, name) != map.end();
}

}  // namespace ksgate::ks
