#include "api/gateway.h"

#include <charconv>
#include <set>

#include "common/strings.h"

namespace ksgate::api {

namespace {

bool IsServiceName(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == ':';
}

Status Bad(std::string_view what, std::string_view spec, std::string_view why) {
  return InvalidArgumentError(std::string(what) + " \"" + std::string(spec) +
                              "\": " + std::string(why));
}

}  // namespace

Result<Upstream> ParseUpstream(std::string_view spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos) return Bad("--upstream", spec, "want SERVICE[,SERVICE...]=URL");
  Upstream upstream;
  std::string_view names = spec.substr(0, eq);
  while (true) {
    const size_t comma = names.find(',');
    const std::string_view name = TrimChars(names.substr(0, comma), kSpaceOrTab);
    if (!IsServiceName(name)) {
      return Bad("--upstream", spec, "a service name is empty or not made of [A-Za-z0-9_]");
    }
    upstream.services.push_back(AsciiLower(name));
    if (comma == std::string_view::npos) break;
    names.remove_prefix(comma + 1);
  }

  std::string_view url = TrimChars(spec.substr(eq + 1), kSpaceOrTab);
  upstream.url = std::string(url);
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !EqualsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    return Bad("--upstream", spec, "the URL must start with http:// (https is not supported)");
  }
  url.remove_prefix(kScheme.size());
  if (url.find_first_of("?#@") != std::string_view::npos) {
    return Bad("--upstream", spec, "the URL may not have user info, a query or a fragment");
  }
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  // The base path goes into every request line sent upstream: visible ASCII only.
  for (char c : path) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7f) {
      return Bad("--upstream", spec,
                 "the path may hold only visible ASCII (percent-encode the rest)");
    }
  }
  upstream.base_path = std::string(path);

  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad("--upstream", spec, "unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Bad("--upstream", spec, "junk after the IPv6 address");
      port = rest.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Bad("--upstream", spec, "write an IPv6 address in brackets");
    }
  }
  if (host.empty() || host.size() > 255) return Bad("--upstream", spec, "no host");
  for (char c : host) {
    if (!IsHostChar(c)) return Bad("--upstream", spec, "the host has a character not allowed");
  }
  upstream.host = std::string(host);
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Bad("--upstream", spec, "the port must be 1 to 65535");
    }
    upstream.port = static_cast<uint16_t>(value);
  }
  return upstream;
}

Result<Route> ParseRoute(std::string_view spec) {
  const size_t eq = spec.rfind('=');
  if (eq == std::string_view::npos) {
    return Bad("--route", spec, "want 'METHOD /path[*]=service.action'");
  }
  const std::string_view left = TrimChars(spec.substr(0, eq), kSpaceOrTab);
  const std::string_view right = TrimChars(spec.substr(eq + 1), kSpaceOrTab);
  const size_t space = left.find_first_of(kSpaceOrTab);
  if (space == std::string_view::npos) return Bad("--route", spec, "want METHOD then a path");
  Route route;
  const std::string_view method = left.substr(0, space);
  std::string_view pattern = TrimChars(left.substr(space), kSpaceOrTab);
  for (char c : method) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*';
    if (!ok) return Bad("--route", spec, "the method is not a word or *");
  }
  if (method.empty() || (method.find('*') != std::string_view::npos && method != "*")) {
    return Bad("--route", spec, "the method is not a word or *");
  }
  route.method = std::string(method);
  for (char& c : route.method) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (pattern.empty() || pattern.front() != '/') {
    return Bad("--route", spec, "the path must start with /");
  }
  if (pattern.back() == '*') {
    route.prefix = true;
    pattern.remove_suffix(1);
  }
  if (pattern.find_first_of("* \t?#") != std::string_view::npos) {
    return Bad("--route", spec, "the path may hold '*' only at its end, and no query");
  }
  route.pattern = std::string(pattern);
  const size_t dot = right.find('.');
  if (dot == std::string_view::npos || !IsServiceName(right.substr(0, dot)) ||
      !IsServiceName(right.substr(dot + 1))) {
    return Bad("--route", spec, "want service.action after '='");
  }
  route.service = AsciiLower(right.substr(0, dot));
  route.action = AsciiLower(right.substr(dot + 1));
  return route;
}

std::optional<size_t> GatewayOptions::UpstreamFor(std::string_view service_lower) const {
  for (size_t i = 0; i < upstreams.size(); ++i) {
    for (const std::string& s : upstreams[i].services) {
      if (s == service_lower) return i;
    }
  }
  return std::nullopt;
}

const Route* GatewayOptions::RouteFor(std::string_view method, std::string_view path) const {
  for (const Route& r : routes) {
    if (r.method != "*" && !EqualsIgnoreCase(r.method, method)) continue;
    if (r.prefix ? path.starts_with(r.pattern) : path == r.pattern) return &r;
  }
  return nullptr;
}

Status ValidateGateway(const GatewayOptions& options) {
  std::set<std::string> seen;
  for (const Upstream& u : options.upstreams) {
    for (const std::string& s : u.services) {
      // service/multirequest is the API layer's own (ApiExchange): an upstream for it would
      // never be called.
      if (s == "multirequest") {
        return InvalidArgumentError("ksgate serves \"" + s + "\" itself");
      }
      if (!seen.insert(s).second) {
        return InvalidArgumentError("service \"" + s + "\" is named twice");
      }
    }
  }
  return Status::Ok();
}

}  // namespace ksgate::api
