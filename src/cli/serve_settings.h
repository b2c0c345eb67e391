// The settings of `ksgate serve` (and `ksgate config check`): one table row per ServeOptions
// field, from which its TOML key, its flag and its KSGATE_* variable derive (config/setting.h),
// and the steps from resolved values to what the server is built from. Adding a setting is a
// ServeOptions field and one row in serve_settings.cc. docs/operations.md lists them all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/gateway.h"
#include "cli/commands.h"
#include "common/result.h"
#include "config/setting.h"
#include "services/permission_catalogue.h"

namespace ksgate::cli {

// Every serve setting, in the order `config check` prints them.
const std::vector<config::Setting>& ServeSettings();

// The ServeOptions field of each setting, from `values` (resolved from ServeSettings()).
ServeOptions ServeOptionsFrom(const config::Values& values);

// Threads for the store's write lane: store.write_threads, or when it is 0, 32 for a sqlite: store
// (writers there wait in a group commit, so more of them let more writes share one fsync; past
// 32, on one core, the extra ones mostly delay the I/O thread: docs/benchmarks.md) and 4 for any
// other (each may hold a database connection).
int StoreWriteThreads(const ServeOptions& options);

// Rules between settings: "" or a one-line error naming the setting where it came from
// (tls.cert and tls.key go together).
std::string CheckServeValues(const config::Values& values);

// The keys of settings a reload cannot apply (Setting::reloadable false) whose values differ
// between `running` and `next`, in table order.
std::vector<std::string> FixedSettingsChanged(const config::Values& running,
                                              const config::Values& next);

// What serve reads from files and a reload may replace: the permission catalogue (the built-in
// one extended by the permissions file; unset without one), the upstreams and the routes.
struct GateFiles {
  std::optional<services::PermissionCatalogue> catalogue;
  api::GatewayOptions gateway;  // upstreams, routes and (when loaded) the signing key
};

// Reads the permissions file and parses the upstreams and routes of `values` (and, with
// `with_signing_key`, reads the signing key file). kInvalidArgument with one line naming the
// setting where it came from ("config FILE: key gateway.permissions: line 3: ...").
Result<GateFiles> LoadGateFiles(const config::Values& values, bool with_signing_key);

}  // namespace ksgate::cli
