// The path an access log line shows of a request's target: what of it is safe to write down.
// A KS or a secret may travel in the query string, in /api_v3 path pairs (/ks/KS) or in the
// original path the gate's authorize endpoint is given; none of that is kept. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ksgate::obs {

// The path of `target` as the access log writes it: never the query string, nor any path
// segment that may carry a credential. /api_v3 paths keep "/service/NAME/action/NAME" (names of
// [A-Za-z0-9_] only) and end in "/..." if anything followed (path pairs such as /ks/KS);
// /ksgate/v1/authorize ends in "/..." if anything followed (the original path of Envoy's form);
// /metrics, /healthz and /readyz are kept; any other path keeps its first segment when it is at
// most 24 visible characters (a secret is longer), else "/*", and "/..." for the rest.
std::string LoggablePath(std::string_view target);

// The longest path WriteLoggablePath writes: "/api_v3/service/NAME/action/NAME/..." with names
// of 64 bytes (156); the other forms are shorter.
inline constexpr size_t kMaxLoggablePath = 160;

// Where the path of `target` ends: at its first '?' or '#', else at its end.
size_t LoggablePathEnd(std::string_view target);

// LoggablePath's path of `path`, a target's path alone (what precedes LoggablePathEnd),
// written at `out`, which must have room for kMaxLoggablePath bytes; returns its end. For a
// writer that has cut the path off its target already and writes through a pointer.
char* WriteLoggablePath(std::string_view path, char* out);

}  // namespace ksgate::obs
