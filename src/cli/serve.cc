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
#include "api/register.h"
#include "api/value.h"
#include "app/app.h"
#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/observability.h"
#include "common/clock.h"
#include "http/server.h"
#include "ks/ks.h"
#include "store/open_store.h"

namespace ksgate::cli {

namespace {

// The gate's settings from serve's flags; false with a one-line error naming the flag.
bool GatewayFromFlags(const ServeOptions& options, app::AppOptions* app_options) {
  api::GatewayOptions& gateway = app_options->gateway;
  for (const std::string& spec : options.upstreams) {
    Result<api::Upstream> upstream = api::ParseUpstream(spec);
    if (!upstream.ok()) {
      Fail(upstream.error().message());
      return false;
    }
    gateway.upstreams.push_back(std::move(upstream).value());
  }
  for (const std::string& spec : options.routes) {
    Result<api::Route> route = api::ParseRoute(spec);
    if (!route.ok()) {
      Fail(route.error().message());
      return false;
    }
    gateway.routes.push_back(std::move(route).value());
  }
  if (!options.signing_key_file.empty()) {
    if (!ReadFile("--upstream-signing-key", options.signing_key_file, &gateway.signing_key)) {
      return false;
    }
    while (!gateway.signing_key.empty() &&
           (gateway.signing_key.back() == '\n' || gateway.signing_key.back() == '\r' ||
            gateway.signing_key.back() == ' ' || gateway.signing_key.back() == '\t')) {
      gateway.signing_key.pop_back();
    }
    if (gateway.signing_key.size() < 32) {
      Fail("--upstream-signing-key " + options.signing_key_file +
           ": the key must be at least 32 bytes");
      return false;
    }
  }
  if (!options.permissions_file.empty()) {
    std::string text;
    if (!ReadFile("--permissions", options.permissions_file, &text)) return false;
    Result<services::PermissionCatalogue> catalogue =
        services::PermissionCatalogue::BuiltIn().Extend(text);
    if (!catalogue.ok()) {
      Fail("--permissions " + options.permissions_file + ": " + catalogue.error().message());
      return false;
    }
    app_options->catalogue = std::move(catalogue).value();
  }
  return true;
}

// The brute-force limits from serve's flags; false with a one-line error naming the flag.
bool FailureLimitsFromFlags(const ServeOptions& options, services::FailureLimits* limits) {
  const std::pair<const char*, std::pair<const std::string*, services::RateLimit*>> flags[] = {
      {"--failure-limit-address", {&options.failure_limit_address, &limits->per_address}},
      {"--failure-limit-token", {&options.failure_limit_token, &limits->per_token}},
      {"--failure-limit-partner", {&options.failure_limit_partner, &limits->per_partner}},
  };
  for (const auto& [flag, target] : flags) {
    if (!ParseRateLimit(*target.first, target.second)) {
      Fail(std::string(flag) + " must be BURST/PER_MINUTE (e.g. 100/60) or 0, got '" +
           target.first->substr(0, 32) + "'");
      return false;
    }
  }
  limits->max_keys = static_cast<size_t>(options.failure_limit_keys);
  return true;
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

int Serve(const ServeOptions& options) {
  std::string host;
  uint16_t port = 0;
  if (!ParseListen(options.listen, &host, &port)) {
    Fail("--listen must be HOST:PORT, got '" + options.listen + "'");
    return 2;
  }
  app::AppOptions app_options;
  ServeObservability observability;  // first: the server log is set up before anything logs
  if (const int failed = observability.Open(options, &app_options); failed != 0) return failed;
  app_options.cache_ttl = std::chrono::milliseconds(options.cache_ttl_ms);
  app_options.follow_changes = true;
  // Every store thread may hold a connection at once (reads and writes share PostgreSQL's pool).
  app_options.store_connections =
      std::max(1, options.store_threads) + std::max(1, options.store_write_threads);
  if (!GatewayFromFlags(options, &app_options)) return 2;
  if (!FailureLimitsFromFlags(options, &app_options.failure_limits)) return 2;
  const http::HttpLimits http_limits;
  // A value made by a multirequest reference may be as large as a body a client could send.
  app_options.dispatcher.references.max_item = http_limits.body_limit;
  app_options.dispatcher.max_answer_bytes = static_cast<size_t>(options.max_answer_bytes);
  std::unique_ptr<app::App> app = OpenApp(options.db, std::move(app_options));
  if (!app) return 1;

  http::ServerOptions server_options;
  server_options.limits = http_limits;
  server_options.host = host;
  server_options.port = port;
  server_options.threads =
      options.threads > 0 ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  server_options.trusted_proxies = options.trusted_proxies;
  server_options.store_threads = options.store_threads;
  server_options.store_write_threads = options.store_write_threads;
  server_options.store_queue = static_cast<size_t>(options.store_queue);
  for (const api::Upstream& upstream : app->gateway().upstreams) {
    server_options.upstreams.push_back({upstream.host, upstream.port});
  }
  server_options.upstream.timeout = std::chrono::milliseconds(options.upstream_timeout_ms);
  server_options.upstream.fetch_limit = app->gateway().max_item_answer;
  http::HttpLimits& limits = server_options.limits;
  limits.max_connections = static_cast<size_t>(options.max_connections);
  limits.max_connections_per_address = static_cast<size_t>(options.max_connections_per_address);
  limits.first_byte_timeout = std::chrono::milliseconds(options.first_byte_timeout_ms);
  limits.tls_handshake_timeout = std::chrono::milliseconds(options.tls_handshake_timeout_ms);
  server_options.tls_cert_file = options.tls_cert_file;
  server_options.tls_key_file = options.tls_key_file;
  // Each connection holds a descriptor; leave room for the database, logs and upstreams.
  const uint64_t open_files = http::RaiseOpenFileLimit();
  if (open_files < limits.max_connections + 64) {
    spdlog::warn(
        "open files limit is {}, below --max-connections {} plus headroom: raise the "
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
  // the "listening" line still shuts down gracefully.
  server.HandleSignals();
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
