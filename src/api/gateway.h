// The gate's configuration: which services are served by upstreams behind ksgate, the routes
// that name the `service.action` of a REST API's requests for the authorize endpoint, and the
// key that signs the identity ksgate hands upstream (docs/gateway.md).
//
// Parsed once at start-up; immutable and thread-safe afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ksgate::api {

// One upstream: `--upstream SERVICE[,SERVICE...]=http://HOST[:PORT][/BASE]`.
struct Upstream {
  std::vector<std::string> services;  // lower-case service ids ("media", "baseentry")
  std::string url;                    // as configured (no credentials)
  std::string host;                   // name or numeric address (IPv6 without brackets)
  uint16_t port = 80;
  std::string base_path;  // "" or "/base": prepended to every path sent upstream
};

// `--upstream` text. kInvalidArgument with a one-line reason: no '=', an empty or malformed
// service name (service ids are [A-Za-z0-9_]), a URL that is not http://HOST[:PORT][/PATH]
// (https is not supported; no user info, query or fragment; PATH of visible ASCII only).
Result<Upstream> ParseUpstream(std::string_view spec);

// One `--route 'METHOD /path/prefix*=service.action'` rule for the authorize endpoint: a
// request matches when its method equals METHOD (ASCII case-insensitive; `*` matches any) and
// its path (without the query) equals the pattern, or starts with it when the pattern ends in
// `*`.
struct Route {
  std::string method;   // upper-case, or "*"
  std::string pattern;  // without the trailing '*'
  bool prefix = false;
  std::string service;  // lower-case
  std::string action;   // lower-case
};

// `--route` text. kInvalidArgument with a one-line reason.
Result<Route> ParseRoute(std::string_view spec);

struct GatewayOptions {
  std::vector<Upstream> upstreams;
  std::vector<Route> routes;  // first match wins
  // HMAC-SHA256 key for X-Ksgate-Signature (docs/gateway.md); empty: no signature.
  std::string signing_key;
  // The largest upstream answer to a multirequest item that is taken in (bytes).
  size_t max_item_answer = 1024 * 1024;

  // The index of the upstream serving `service_lower`, or nullopt.
  std::optional<size_t> UpstreamFor(std::string_view service_lower) const;
  // The first route matching `method` and `path`, or nullptr.
  const Route* RouteFor(std::string_view method, std::string_view path) const;
};

// Checks that no service is named by two upstreams, and that none is "multirequest" (served by
// the API layer itself). kInvalidArgument naming it ("service \"media\" is named twice").
Status ValidateGateway(const GatewayOptions& options);

}  // namespace ksgate::api
