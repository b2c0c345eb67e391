#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>

#include "api/gateway.h"
#include "api/policy.h"
#include "app/app.h"
#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/hangup.h"
#include "cli/observability.h"
#include "cli/serve_settings.h"
#include "common/clock.h"
#include "config/loader.h"
#include "http/server.h"
#include "obs/log_file.h"
#include "store/memory_store.h"
#include "store/open_store.h"
#include "store/store.h"

namespace ksgate::cli {

namespace {

// The brute-force limits of `options` (checked by their settings); false with a one-line error.
bool FailureLimitsFrom(const ServeOptions& options, services::FailureLimits* limits) {
  const std::pair<const char*, std::pair<const std::string*, services::RateLimit*>> settings[] = {
      {"limits.failure_limit_address", {&options.failure_limit_address, &limits->per_address}},
      {"limits.failure_limit_token", {&options.failure_limit_token, &limits->per_token}},
      {"limits.failure_limit_partner", {&options.failure_limit_partner, &limits->per_partner}},
  };
  for (const auto& [key, target] : settings) {
    if (!ParseRateLimit(*target.first, target.second)) {
      Fail(std::string(key) + " must be BURST/PER_MINUTE (e.g. 100/60) or 0");
      return false;
    }
  }
  limits->max_keys = static_cast<size_t>(options.failure_limit_keys);
  return true;
}

// The settings from `sources`, each checked, and the rules between them.
Result<config::Values> Resolve(const config::Sources& sources) {
  KSGATE_ASSIGN_OR_RETURN(config::Values values, config::Load(ServeSettings(), sources));
  if (std::string why = CheckServeValues(values); !why.empty()) return InvalidArgumentError(why);
  return values;
}

const config::Setting& UpstreamsSetting() {
  for (const config::Setting& s : ServeSettings()) {
    if (s.key == "gateway.upstreams") return s;
  }
  std::abort();
}

// Checks the gateway of `files` as the server will (a service named twice, or one ksgate serves
// itself), on a throwaway app over an in-memory store, before any database is touched.
Status CheckGate(const config::Values& values, const GateFiles& files) {
  app::App app(std::make_unique<store::MemoryStore>(), SystemClock::Instance(),
               {.cache_ttl = std::chrono::milliseconds(0),
                .usage_flush_interval = std::chrono::milliseconds(0),
                .follow_changes = false});
  if (Status s = app.CheckGateway(files.gateway); !s.ok()) {
    return InvalidArgumentError(values.Describe(UpstreamsSetting()) + ": " + s.message());
  }
  return Status::Ok();
}

// SIGHUP: the settings again from the same sources; the permissions file, the upstreams and the
// routes are put in force; the rest stays as started (a line names what changed). A failure
// logs one line and keeps everything as it was.
void Reload(const config::Sources& sources, const config::Values& running, app::App& app) {
  auto failed = [](const std::string& why) {
    spdlog::error("reload failed, the running configuration stays: {}", why);
  };
  Result<config::Values> next = Resolve(sources);
  if (!next.ok()) return failed(next.error().message());
  if (std::vector<std::string> fixed = FixedSettingsChanged(running, *next); !fixed.empty()) {
    std::string keys;
    for (const std::string& key : fixed) keys += (keys.empty() ? "" : ", ") + key;
    spdlog::warn("reload: {} changed; applied at the next start only", keys);
  }
  Result<GateFiles> files = LoadGateFiles(*next, /*with_signing_key=*/false);
  if (!files.ok()) return failed(files.error().message());
  // The signing key and the answer limit are not reloaded: they stay as the server started.
  const std::shared_ptr<const api::Policy> current = app.policy();
  files->gateway.signing_key = current->gateway.signing_key;
  files->gateway.max_item_answer = current->gateway.max_item_answer;
  const size_t upstreams = files->gateway.upstreams.size();
  const size_t routes = files->gateway.routes.size();
  const std::string& permissions = next->String("gateway.permissions");
  if (Status s = app.Reload(std::move(files->catalogue), std::move(files->gateway)); !s.ok()) {
    return failed(next->Describe(UpstreamsSetting()) + ": " + s.message());
  }
  spdlog::info("reloaded: permissions {}, {} upstream(s), {} route(s)",
               permissions.empty() ? "built in" : permissions, upstreams, routes);
}

}  // namespace

bool ParseRateLimit(const std::string& text, services::RateLimit* out) {
  if (text == "0") {
    *out = services::RateLimit{0, 0};
    return true;
  }
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  int64_t burst = 0, per_minute = 0;
  if (!ParseCount(std::string_view(text).substr(0, slash), &burst) ||
      !ParseCount(std::string_view(text).substr(slash + 1), &per_minute) || burst < 1) {
    return false;
  }
  *out = services::RateLimit{static_cast<double>(burst), static_cast<double>(per_minute)};
  return true;
}

bool ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return false;
  std::string h = listen.substr(0, colon);
  if (h.front() == '[') {
    if (h.back() != ']' || h.size() < 3) return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return false;  // IPv6 needs brackets
  }
  unsigned value = 0;
  const char* begin = listen.data() + colon + 1;
  const char* end = listen.data() + listen.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || value > 65535) return false;
  *host = h;
  *port = static_cast<uint16_t>(value);
  return true;
}

int Serve(const config::Sources& sources) {
  // Before any thread starts (the app's, the server's): SIGHUP is for the reload thread alone.
  HangupHandler::BlockInThisThread();
  Result<config::Values> values = Resolve(sources);
  if (!values.ok()) {
    Fail(values.error().message());
    return 2;
  }
  const ServeOptions options = ServeOptionsFrom(*values);
  std::string host;
  uint16_t port = 0;
  if (!ParseListen(options.listen, &host, &port)) {  // checked by its setting
    Fail("server.listen must be HOST:PORT, got '" + options.listen + "'");
    return 2;
  }
  Result<GateFiles> files = LoadGateFiles(*values, /*with_signing_key=*/true);
  if (!files.ok()) {
    Fail(files.error().message());
    return 2;
  }
  if (Status s = CheckGate(*values, *files); !s.ok()) {
    Fail(s.message());
    return 2;
  }
  app::AppOptions app_options;
  ServeObservability observability;  // first: the server log is set up before anything logs
  if (const int failed = observability.Open(options, &app_options); failed != 0) return failed;
  app_options.cache_ttl = std::chrono::milliseconds(options.cache_ttl_ms);
  app_options.cache_max_entries = static_cast<size_t>(options.cache_max_entries);
  app_options.follow_changes = true;
  // Every store thread may hold a connection at once (reads and writes share PostgreSQL's pool).
  app_options.store_connections = std::max(1, options.store_threads) + StoreWriteThreads(options);
  app_options.gateway = std::move(files->gateway);
  app_options.catalogue = std::move(files->catalogue);
  if (!FailureLimitsFrom(options, &app_options.failure_limits)) return 2;
  http::HttpLimits http_limits;
  // A value made by a multirequest reference may be as large as a body a client could send.
  app_options.dispatcher.references.max_item = http_limits.body_limit;
  app_options.dispatcher.max_answer_bytes = static_cast<size_t>(options.max_answer_bytes);

  std::unique_ptr<app::App> app = OpenApp(options.db, std::move(app_options));
  if (!app) return 1;

  http::ServerOptions server_options;
  server_options.host = host;
  server_options.port = port;
  server_options.threads =
      options.threads > 0 ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  server_options.trusted_proxies = options.trusted_proxies;
  server_options.store_threads = options.store_threads;
  server_options.store_write_threads = StoreWriteThreads(options);
  server_options.store_queue = static_cast<size_t>(options.store_queue);
  if (store::WriteLane* lane = app->store().write_lane()) {
    // SQLite: a write step runs on the writer thread, inside its batch (store::WriteLane).
    server_options.store_writer = [lane](std::function<void()> task,
                                         std::function<void(bool)> done) {
      return lane->Submit(std::move(task), [done = std::move(done)](const Status& ended) {
        if (!ended.ok()) {
          spdlog::error("store: a write batch failed; its requests answer {}: {}",
                        errors::kInternalDatabaseError.code, ended.message());
        }
        done(ended.ok());
      });
    };
  }
  server_options.upstream.timeout = std::chrono::milliseconds(options.upstream_timeout_ms);
  server_options.upstream.fetch_limit = app->policy()->gateway.max_item_answer;
  http::HttpLimits& limits = http_limits;
  limits.max_connections = static_cast<size_t>(options.max_connections);
  limits.max_connections_per_address = static_cast<size_t>(options.max_connections_per_address);
  limits.first_byte_timeout = std::chrono::milliseconds(options.first_byte_timeout_ms);
  limits.tls_handshake_timeout = std::chrono::milliseconds(options.tls_handshake_timeout_ms);
  limits.shutdown_grace = std::chrono::milliseconds(options.shutdown_grace_ms);
  server_options.limits = http_limits;
  server_options.tls_cert_file = options.tls_cert_file;
  server_options.tls_key_file = options.tls_key_file;
  // Each connection holds a descriptor; leave room for the database, logs and upstreams.
  const uint64_t open_files = http::RaiseOpenFileLimit();
  if (open_files < limits.max_connections + 64) {
    spdlog::warn(
        "open files limit is {}, below limits.max_connections {} plus headroom: raise the "
        "hard limit (ulimit -Hn, LimitNOFILE=)",
        open_files, limits.max_connections);
  }
  const api::RequestHandler& handler = observability.Wire(*app, &server_options);
  http::Server server(server_options, handler);
  if (Status s = server.Listen(); !s.ok()) {
    Fail("cannot listen on " + options.listen + ": " + s.message());
    return 1;
  }
  observability.AttachServer(server);
  if (!observability.ListenAdmin()) return 1;
  // Signals are handled before anyone is told the server is up, so a SIGTERM sent right after
  // the "listening" line still shuts down gracefully, and a SIGHUP reloads.
  server.HandleSignals();
  HangupHandler hangup([&] {
    // Log files first (logrotate moved them), then the policy.
    if (Status s = obs::ReopenLogFiles(); !s.ok()) {
      spdlog::error("reload: reopening the log files: {}", s.message());
    }
    Reload(sources, *values, *app);
  });
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::printf("listening on %s:%u\n", shown_host.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  observability.RunAdmin();
  spdlog::info("ksgate serving {} threads, store {}", server_options.threads,
               options.db.substr(0, options.db.find(':')));
  server.Run();
  observability.StopAdmin();
  spdlog::info("ksgate stopped");
  return 0;
}

int ConfigCheck(const config::Sources& sources) {
  Result<config::Values> values = Resolve(sources);
  if (!values.ok()) {
    Fail(values.error().message());
    return 2;
  }
  Result<GateFiles> files = LoadGateFiles(*values, /*with_signing_key=*/true);
  if (!files.ok()) {
    Fail(files.error().message());
    return 2;
  }
  if (Status s = CheckGate(*values, *files); !s.ok()) {
    Fail(s.message());
    return 2;
  }
  const std::string text = config::ToToml(ServeSettings(), *values);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

int MigrateConfigured(const std::string& db, const std::string& config_file) {
  if (!db.empty()) return Migrate(db);
  if (config_file.empty()) {
    Fail("migrate needs --db or --config");
    return 2;
  }
  Result<config::Values> values =
      Resolve({.file = config_file, .env = config::ProcessEnvironment()});
  if (!values.ok()) {
    Fail(values.error().message());
    return 2;
  }
  return Migrate(values->String("store.db"));
}

int Migrate(const std::string& db) {
  Result<std::unique_ptr<store::Store>> opened = store::OpenStore(db);
  if (!opened.ok()) {
    Fail("cannot open --db " + store::RedactStoreUrl(db) + ": " + opened.error().message());
    return 1;
  }
  Result<int> version = (*opened)->Migrate();
  if (!version.ok()) {
    Fail("migration failed: " + version.error().message());
    return 1;
  }
  std::printf("schema version %d\n", *version);
  return 0;
}

}  // namespace ksgate::cli
