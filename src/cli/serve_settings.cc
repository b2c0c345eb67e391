#include "cli/serve_settings.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <variant>

#include "common/ip_address.h"
#include "store/open_store.h"

namespace ksgate::cli {

namespace {

using config::List;
using config::Setting;
using config::Value;

// ---------------------------------------------------------------------------------------------
// Checks: "" when a value is fine, else why not. They never echo a value that may hold a secret.

std::string Quoted(std::string_view value) { return "'" + std::string(value.substr(0, 64)) + "'"; }

std::string CheckListen(std::string_view value) {
  std::string host;
  uint16_t port = 0;
  if (ParseListen(std::string(value), &host, &port)) return "";
  return "must be HOST:PORT ([::1]:8080 for IPv6), got " + Quoted(value);
}

std::string CheckStoreUrl(std::string_view value) {
  for (std::string_view scheme : {"sqlite:", "memory:", "postgresql://", "postgres://"}) {
    if (value.starts_with(scheme)) return "";
  }
  // The URL is shown with any password masked.
  return "unknown store URL \"" + store::RedactStoreUrl(value.substr(0, 128)) +
         "\": use sqlite:PATH, memory: or postgresql://USER:PASSWORD@HOST:PORT/DBNAME";
}

std::string CheckAddressOrBlock(std::string_view value) {
  Result<CidrBlock> block = ParseCidrBlock(value);
  return block.ok() ? "" : block.error().message();
}

std::string CheckUpstream(std::string_view value) {
  Result<api::Upstream> upstream = api::ParseUpstream(value);
  return upstream.ok() ? "" : upstream.error().message();
}

std::string CheckRoute(std::string_view value) {
  Result<api::Route> route = api::ParseRoute(value);
  return route.ok() ? "" : route.error().message();
}

std::string CheckRateLimit(std::string_view value) {
  services::RateLimit limit;
  if (ParseRateLimit(std::string(value), &limit)) return "";
  return "must be BURST/PER_MINUTE (e.g. 100/60) or 0, got " + Quoted(value);
}

// A file that must exist when named ("" names none).
std::string CheckFile(std::string_view value) {
  if (value.empty()) return "";
  std::error_code ec;
  const std::filesystem::path path(value);
  if (!std::filesystem::exists(path, ec)) return "no such file: " + std::string(value);
  if (!std::filesystem::is_regular_file(path, ec)) return "not a file: " + std::string(value);
  return "";
}

std::string RedactUrl(std::string_view value) { return store::RedactStoreUrl(value); }

std::string CheckLogLevel(std::string_view value) {
  for (std::string_view level : {"trace", "debug", "info", "warn", "error"}) {
    if (value == level) return "";
  }
  return "must be trace, debug, info, warn or error, got " + Quoted(value);
}

std::string CheckLogFormat(std::string_view value) {
  return value == "text" || value == "json" ? "" : "must be text or json, got " + Quoted(value);
}

// "" (the main listener serves /metrics, /healthz and /readyz) or HOST:PORT.
std::string CheckAdminListen(std::string_view value) {
  return value.empty() ? "" : CheckListen(value);
}

// ---------------------------------------------------------------------------------------------
// The table.

using Field = std::variant<int ServeOptions::*, int64_t ServeOptions::*,
                           std::string ServeOptions::*, std::vector<std::string> ServeOptions::*>;

struct Row {
  Field field;
  Setting setting;
};

// The default of a setting: its field in a default ServeOptions.
Value DefaultOf(const Field& field) {
  static const ServeOptions kDefaults;
  return std::visit(
      [](auto member) -> Value {
        const auto& v = kDefaults.*member;
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, int>) {
          return static_cast<int64_t>(v);
        } else {
          return v;
        }
      },
      field);
}

Row Make(Field field, const char* key, const char* flag, const char* help) {
  return Row{field,
             Setting{.key = key, .flag = flag, .help = help, .default_value = DefaultOf(field)}};
}

// An integer setting from `min` to `max`.
Row Int(Field field, const char* key, const char* flag, const char* help, int64_t min,
        int64_t max) {
  Row row = Make(field, key, flag, help);
  row.setting.min = min;
  row.setting.max = max;
  return row;
}

// A string setting, or a list one (repeatable flag, TOML array) by its field's type.
Row Text(Field field, const char* key, const char* flag, const char* help,
         config::Check check = nullptr, config::Redact redact = nullptr) {
  Row row = Make(field, key, flag, help);
  row.setting.check = std::move(check);
  row.setting.redact = std::move(redact);
  return row;
}

// `row`, applied by a reload (SIGHUP) too.
Row Reloadable(Row row) {
  row.setting.reloadable = true;
  return row;
}

constexpr int64_t kHour = 3600000;  // ms

const std::vector<Row>& Rows() {
  using O = ServeOptions;
  static const std::vector<Row> kRows = {
      // [server]
      Text(&O::listen, "server.listen", "--listen",
           "HOST:PORT to listen on (port 0 = any free port)", CheckListen),
      Int(&O::threads, "server.threads", "--threads", "I/O threads (0 = one per core)", 0, 256),
      Text(&O::trusted_proxies, "server.trusted_proxies", "--trusted-proxy",
           "Peer address or CIDR whose X-Forwarded-For is believed", CheckAddressOrBlock),
      Int(&O::shutdown_grace_ms, "server.shutdown_grace_ms", "--shutdown-grace-ms",
          "On SIGTERM, how long requests in flight may take before they are cut", 0, kHour),
      // [store]
      Text(&O::db, "store.db", "--db",
           "Store URL: sqlite:PATH, or postgresql://USER:PASSWORD@HOST:PORT/DBNAME", CheckStoreUrl,
           RedactUrl),
      Int(&O::store_threads, "store.threads", "--store-threads",
          "Threads that run what reads from the database (the store executor)", 1, 256),
      Int(&O::store_write_threads, "store.write_threads", "--store-write-threads",
          "Threads that run what writes to the database (apart, so writers never hold readers "
          "up); 0 = 4, or 1 on SQLite, whose writes run on its writer thread",
          0, 256),
      Int(&O::store_queue, "store.queue", "--store-queue",
          "Requests that may wait for a store thread; more get SERVER_BUSY", 1, 1000000),
      // [cache]
      Int(&O::cache_ttl_ms, "cache.ttl_ms", "--cache-ttl-ms",
          "How long cached reads are served (-1: 30000 with a change feed, which a SQLite file and "
          "PostgreSQL have: other processes' writes drop what they change; else 1000); "
          "0 = no cache",
          -1, 600000),
      Int(&O::cache_max_entries, "cache.max_entries", "--cache-max-entries",
          "Entries the cache keeps per kind (partners, app tokens, roles, revocation keys, "
          "cut-offs): its bound on memory; a full kind replaces a random entry "
          "(docs/operations.md \"Cache\")",
          1, 100000000),
      // [gateway]
      Reloadable(Text(&O::upstreams, "gateway.upstreams", "--upstream",
                      "SERVICE[,SERVICE...]=http://HOST:PORT[/BASE]: services served behind the "
                      "gate",
                      CheckUpstream)),
      Reloadable(Text(&O::routes, "gateway.routes", "--route",
                      "'METHOD /path[*]=service.action' for the authorize endpoint (first match "
                      "wins)",
                      CheckRoute)),
      Reloadable(Text(&O::permissions_file, "gateway.permissions", "--permissions",
                      "Permissions file extending the built-in catalogue (docs/gateway.md)",
                      CheckFile)),
      Text(&O::signing_key_file, "gateway.signing_key_file", "--upstream-signing-key",
           "File holding the key (32+ bytes) that signs X-Ksgate-* headers", CheckFile),
      Int(&O::upstream_timeout_ms, "gateway.upstream_timeout_ms", "--upstream-timeout-ms",
          "Bound on each step of an upstream call", 1, kHour),
      // [limits]
      Text(&O::failure_limit_address, "limits.failure_limit_address", "--failure-limit-address",
           "Failed app-token hashes and session.start secrets one client address may make: "
           "BURST/PER_MINUTE, or 0 for no limit (docs/security.md)",
           CheckRateLimit),
      Text(&O::failure_limit_token, "limits.failure_limit_token", "--failure-limit-token",
           "Failed hashes for one app token, from any address: BURST/PER_MINUTE or 0",
           CheckRateLimit),
      Text(&O::failure_limit_partner, "limits.failure_limit_partner", "--failure-limit-partner",
           "Failed session.start secrets for one partner, from any address: BURST/PER_MINUTE or 0",
           CheckRateLimit),
      Int(&O::failure_limit_keys, "limits.failure_limit_keys", "--failure-limit-keys",
          "Buckets the brute-force limits keep per kind (addresses, tokens, partners)", 16,
          100000000),
      Int(&O::max_answer_bytes, "limits.max_answer_bytes", "--max-answer-bytes",
          "Bytes of a multirequest's results together; items past it get REQUEST_LIMIT_EXCEEDED",
          1024, int64_t{1} << 32),
      Int(&O::max_connections, "limits.max_connections", "--max-connections",
          "Open connections; more are closed at once", 1, 10000000),
      Int(&O::max_connections_per_address, "limits.max_connections_per_address",
          "--max-connections-per-address",
          "Open connections per client address (IPv6: per /64; trusted proxies are exempt); 0 = "
          "no limit",
          0, 10000000),
      Int(&O::first_byte_timeout_ms, "limits.first_byte_timeout_ms", "--first-byte-timeout-ms",
          "A new connection that sends nothing for this long is closed", 1, kHour),
      // [tls]
      Text(&O::tls_cert_file, "tls.cert", "--tls-cert",
           "PEM certificate chain: serve HTTPS (with tls.key)", CheckFile),
      Text(&O::tls_key_file, "tls.key", "--tls-key", "PEM private key of tls.cert", CheckFile),
      Int(&O::tls_handshake_timeout_ms, "tls.handshake_timeout_ms", "--tls-handshake-timeout-ms",
          "A TLS handshake not over within this of the accept is dropped", 1, kHour),
      // [log] (docs/operations.md "Logs", "Access log", "Audit log")
      Text(&O::log_level, "log.level", "--log-level",
           "Server log level: trace, debug, info, warn or error", CheckLogLevel),
      Text(&O::log_format, "log.format", "--log-format",
           "Server log format: text, or json (one object per line)", CheckLogFormat),
      Text(&O::log_file, "log.file", "--log-file",
           "File the server log is appended to (default: stderr; SIGHUP reopens it)"),
      Text(&O::access_log, "log.access", "--access-log",
           "Access log, one JSON line per request: off, stderr or a file path (SIGHUP reopens "
           "it)"),
      Text(&O::audit_log, "log.audit", "--audit-log",
           "Audit log file: JSON lines of security events (default: none; SIGHUP reopens it)"),
      Text(&O::audit_key_file, "log.audit_key_file", "--audit-key-file",
           "File of the audit log's HMAC key (default: the audit log's path + .key, created when "
           "missing)"),
      // [admin] (docs/operations.md "Metrics", "Health")
      Text(&O::admin_listen, "admin.listen", "--admin-listen",
           "HOST:PORT serving /metrics, /healthz and /readyz apart (the main listener then "
           "answers them 404; default: the main listener serves them)",
           CheckAdminListen),
  };
  return kRows;
}

const Setting& SettingOf(std::string_view key) {
  for (const Row& row : Rows()) {
    if (row.setting.key == key) return row.setting;
  }
  std::abort();  // a key this file does not declare
}

// A whole file; false with the reason in `why`.
bool ReadWhole(const std::string& path, std::string* out, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = "cannot read " + path;
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *out = std::move(text).str();
  return true;
}

}  // namespace

const std::vector<config::Setting>& ServeSettings() {
  static const std::vector<Setting> kSettings = [] {
    std::vector<Setting> settings;
    for (const Row& row : Rows()) settings.push_back(row.setting);
    return settings;
  }();
  return kSettings;
}

int StoreWriteThreads(const ServeOptions& options) {
  if (options.store_write_threads > 0) return options.store_write_threads;
  // SQLite's writes run on its writer thread itself (ServerOptions::store_writer): the write
  // threads then serve nothing, and one is kept.
  return options.db.starts_with("sqlite:") ? 1 : 4;
}

ServeOptions ServeOptionsFrom(const config::Values& values) {
  ServeOptions options;
  for (const Row& row : Rows()) {
    const Value& value = values.Get(row.setting.key);
    std::visit(
        [&](auto member) {
          auto& target = options.*member;
          using T = std::decay_t<decltype(target)>;
          if constexpr (std::is_same_v<T, int>) {
            target = static_cast<int>(std::get<int64_t>(value));
          } else if constexpr (std::is_same_v<T, int64_t>) {
            target = std::get<int64_t>(value);
          } else if constexpr (std::is_same_v<T, std::string>) {
            target = std::get<std::string>(value);
          } else {
            target = std::get<List>(value);
          }
        },
        row.field);
  }
  return options;
}

std::string CheckServeValues(const config::Values& values) {
  // "--tls-cert: needs --tls-key too": the missing one named as the given one was given.
  auto needs = [&](const Setting& given, const Setting& missing) {
    std::string name = missing.key;
    if (values.SourceOf(given.key) == config::Source::kFlag) name = missing.flag;
    if (values.SourceOf(given.key) == config::Source::kEnv) name = missing.EnvName();
    return values.Describe(given) + ": needs " + name + " too";
  };
  const Setting& cert = SettingOf("tls.cert");
  const Setting& key = SettingOf("tls.key");
  const bool has_cert = !values.String(cert.key).empty();
  const bool has_key = !values.String(key.key).empty();
  if (has_cert && !has_key) return needs(cert, key);
  if (has_key && !has_cert) return needs(key, cert);
  return "";
}

std::vector<std::string> FixedSettingsChanged(const config::Values& running,
                                              const config::Values& next) {
  std::vector<std::string> changed;
  for (const Row& row : Rows()) {
    const Setting& s = row.setting;
    if (!s.reloadable && running.Get(s.key) != next.Get(s.key)) changed.push_back(s.key);
  }
  return changed;
}

Result<GateFiles> LoadGateFiles(const config::Values& values, bool with_signing_key) {
  GateFiles files;
  auto fail = [&](std::string_view key, const std::string& why) {
    return InvalidArgumentError(values.Describe(SettingOf(key)) + ": " + why);
  };
  for (const std::string& spec : values.Strings("gateway.upstreams")) {
    Result<api::Upstream> upstream = api::ParseUpstream(spec);
    if (!upstream.ok()) return fail("gateway.upstreams", upstream.error().message());
    files.gateway.upstreams.push_back(std::move(upstream).value());
  }
  for (const std::string& spec : values.Strings("gateway.routes")) {
    Result<api::Route> route = api::ParseRoute(spec);
    if (!route.ok()) return fail("gateway.routes", route.error().message());
    files.gateway.routes.push_back(std::move(route).value());
  }
  std::string why;
  if (const std::string& path = values.String("gateway.permissions"); !path.empty()) {
    std::string text;
    if (!ReadWhole(path, &text, &why)) return fail("gateway.permissions", why);
    Result<services::PermissionCatalogue> catalogue =
        services::PermissionCatalogue::BuiltIn().Extend(text);
    if (!catalogue.ok()) {
      return fail("gateway.permissions", path + ": " + catalogue.error().message());
    }
    files.catalogue = std::move(catalogue).value();
  }
  const std::string& key_path = values.String("gateway.signing_key_file");
  if (with_signing_key && !key_path.empty()) {
    std::string& key = files.gateway.signing_key;
    if (!ReadWhole(key_path, &key, &why)) return fail("gateway.signing_key_file", why);
    while (!key.empty() &&
           (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) {
      key.pop_back();
    }
    if (key.size() < 32) {
      return fail("gateway.signing_key_file", key_path + ": the key must be at least 32 bytes");
    }
  }
  return files;
}

}  // namespace ksgate::cli
