#include "cli/commands.h"

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
#include "common/clock.h"
#include "http/server.h"
#include "ks/ks.h"
#include "store/open_store.h"

namespace ksgate::cli {

namespace {

void Fail(const std::string& message) { std::fprintf(stderr, "ksgate: %s\n", message.c_str()); }

// False (with a one-line error) when `url` names a SQLite file that does not exist: commands
// that only read or change existing data must not create an empty database at a mistyped path.
bool DatabaseExists(const std::string& url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.rfind(kSqlite, 0) != 0) return true;
  std::string path = url.substr(kSqlite.size());
  if (path == ":memory:" || std::filesystem::exists(path)) return true;
  Fail("no database at " + path + " (create it with: ksgate migrate --db " + url + ")");
  return false;
}

// Opens the store at `url`, migrates it and wires the app over it; prints the reason and
// returns nullptr on failure.
std::unique_ptr<app::App> OpenApp(const std::string& url,
                                  app::AppOptions options = {.follow_changes = false}) {
  Result<std::unique_ptr<app::App>> opened =
      app::App::Open(url, SystemClock::Instance(), std::move(options));
  if (!opened.ok()) {
    Fail(opened.error().message());
    return nullptr;
  }
  return std::move(opened).value();
}

// Prints a failed operation: the message alone for "no partner N", else prefixed by what was
// being done.
void FailWith(const Status& s, const std::string& doing) {
  Fail(s.code() == StatusCode::kNotFound ? s.message() : doing + ": " + s.message());
}

void PrintJson(const api::Value& value) {
  std::string out;
  api::AppendJson(value, &out);
  std::printf("%s\n", out.c_str());
}

// "2026-12-06 05:11:08" for Unix seconds `t`.
std::string UtcTime(int64_t t) {
  const std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

const char* StatusName(store::PartnerStatus status) {
  return status == store::PartnerStatus::kActive ? "active" : "blocked";
}

const char* SettingName(store::UserSecretSetRole setting) {
  return setting == store::UserSecretSetRole::kDeny ? "deny" : "allow";
}

// Reads a whole file; false with a one-line error naming it.
bool ReadFile(const std::string& flag, const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Fail(flag + " " + path + ": cannot read the file");
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *out = std::move(text).str();
  return true;
}

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

// A whole non-negative decimal integer, at most 10^12.
bool ParseCount(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 12) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size() && *out >= 0;
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
  http::Server server(server_options, app->dispatcher());
  if (Status s = server.Listen(); !s.ok()) {
    Fail("cannot listen on " + options.listen + ": " + s.message());
    return 1;
  }
  // Signals are handled before anyone is told the server is up, so a SIGTERM sent right after
  // the "listening" line still shuts down gracefully.
  server.HandleSignals();
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::printf("listening on %s:%u\n", shown_host.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  spdlog::info("ksgate serving {} threads, store {}", server_options.threads,
               options.db.substr(0, options.db.find(':')));
  server.Run();
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

int PartnerAdd(const PartnerAddOptions& options) {
  if (options.name.empty() || options.name.size() > 256) {
    Fail("--name must be 1 to 256 characters");
    return 2;
  }
  std::unique_ptr<app::App> app = OpenApp(options.db);
  if (!app) return 1;
  Result<store::Partner> created =
      app->partners().Create({options.name, options.ks_version, options.ks_max_expiry});
  if (!created.ok()) {
    FailWith(created.error(), "cannot create partner");
    return created.error().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (options.json) {
    api::Value v = api::Value::Map();
    v.Add("id", api::Value::Int(created->id));
    v.Add("name", api::Value::String(created->name));
    v.Add("adminSecret", api::Value::String(created->admin_secrets.front()));
    v.Add("secret", api::Value::String(created->secret));
    PrintJson(v);
  } else {
    std::printf("partner id:    %lld\nname:          %s\nadmin secret:  %s\nuser secret:   %s\n",
                static_cast<long long>(created->id), created->name.c_str(),
                created->admin_secrets.front().c_str(), created->secret.c_str());
  }
  return 0;
}

int PartnerList(const std::string& db, bool json) {
  if (!DatabaseExists(db)) return 1;
  std::unique_ptr<app::App> app = OpenApp(db);
  if (!app) return 1;
  Result<std::vector<store::Partner>> partners = app->partners().List();
  if (!partners.ok()) {
    FailWith(partners.error(), "cannot list partners");
    return 1;
  }
  if (json) {
    api::Value list = api::Value::Array();
    for (const store::Partner& p : *partners) {
      api::Value v = api::Value::Map();
      v.Add("id", api::Value::Int(p.id));
      v.Add("name", api::Value::String(p.name));
      v.Add("status", api::Value::String(StatusName(p.status)));
      v.Add("ksVersion", api::Value::Int(p.ks_version));
      v.Add("ksMaxExpiry", api::Value::Int(p.ks_max_expiry));
      v.Add("userSecretSetrole", api::Value::String(SettingName(p.settings.user_secret_setrole)));
      v.Add("createdAt", api::Value::Int(p.created_at));
      list.Push(std::move(v));
    }
    PrintJson(list);
  } else {
    std::printf("%-8s %-8s %-4s %s\n", "ID", "STATUS", "KS", "NAME");
    for (const store::Partner& p : *partners) {
      std::printf("%-8lld %-8s v%-3d %s\n", static_cast<long long>(p.id), StatusName(p.status),
                  p.ks_version, p.name.c_str());
    }
  }
  return 0;
}

int PartnerSetStatus(const std::string& db, int64_t id, bool active) {
  if (!DatabaseExists(db)) return 1;
  std::unique_ptr<app::App> app = OpenApp(db);
  if (!app) return 1;
  if (Status s = app->partners().SetStatus(
          id, active ? store::PartnerStatus::kActive : store::PartnerStatus::kBlocked);
      !s.ok()) {
    FailWith(s, "cannot update partner");
    return 1;
  }
  std::printf("partner %lld is %s\n", static_cast<long long>(id), active ? "active" : "blocked");
  return 0;
}

int PartnerRotateSecret(const std::string& db, int64_t id, bool json) {
  if (!DatabaseExists(db)) return 1;
  std::unique_ptr<app::App> app = OpenApp(db);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().RotateAdminSecret(id);
  if (!partner.ok()) {
    FailWith(partner.error(), "cannot rotate");
    return 1;
  }
  const std::string& fresh = partner->admin_secrets.front();
  const size_t count = partner->admin_secrets.size();
  if (json) {
    api::Value v = api::Value::Map();
    v.Add("id", api::Value::Int(id));
    v.Add("adminSecret", api::Value::String(fresh));
    v.Add("adminSecretCount", api::Value::Int(static_cast<int64_t>(count)));
    PrintJson(v);
  } else {
    std::printf("partner %lld: new primary admin secret %s (%zu secrets verify KSs)\n",
                static_cast<long long>(id), fresh.c_str(), count);
  }
  return 0;
}

int PartnerRetireSecrets(const std::string& db, int64_t id) {
  if (!DatabaseExists(db)) return 1;
  std::unique_ptr<app::App> app = OpenApp(db);
  if (!app) return 1;
  Result<size_t> retired = app->partners().RetireAdminSecrets(id);
  if (!retired.ok()) {
    FailWith(retired.error(), "cannot retire secrets");
    return 1;
  }
  std::printf("partner %lld: retired %zu old admin secret(s)\n", static_cast<long long>(id),
              *retired);
  return 0;
}

namespace {

// "on" -> true, "off" -> false, anything else nullopt.
std::optional<bool> OnOff(const std::string& value) {
  if (value == "on") return true;
  if (value == "off") return false;
  return std::nullopt;
}

// Opens the app for a command on partner `partner_id`'s tokens; nullptr (the reason printed)
// when the database or the partner does not exist.
std::unique_ptr<app::App> OpenForPartner(const std::string& db, int64_t partner_id) {
  if (!DatabaseExists(db)) return nullptr;
  std::unique_ptr<app::App> app = OpenApp(db);
  if (!app) return nullptr;
  if (Result<store::Partner> partner = app->partners().Get(partner_id); !partner.ok()) {
    FailWith(partner.error(), "cannot read partner");
    return nullptr;
  }
  return app;
}

// Prints a failed API-level operation: its message (never a secret); 1.
int FailApi(const ApiError& error) {
  Fail(error.message);
  return 1;
}

}  // namespace

int AppTokenSetEnabled(const AppTokenTarget& target, bool enabled) {
  std::unique_ptr<app::App> app = OpenForPartner(target.db, target.partner_id);
  if (!app) return 1;
  Result<store::AppToken, ApiError> token =
      app->app_tokens().SetEnabled(target.partner_id, target.id, enabled);
  if (!token.ok()) return FailApi(token.error());
  std::printf("app token %s is %s\n", token->id.c_str(), enabled ? "active" : "disabled");
  return 0;
}

int AppTokenRotate(const AppTokenRotateOptions& options) {
  const AppTokenTarget& target = options.target;
  std::unique_ptr<app::App> app = OpenForPartner(target.db, target.partner_id);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().Get(target.partner_id);
  Result<store::AppToken, ApiError> token = app->app_tokens().Rotate(
      *partner, target.id, {options.grace_seconds, options.revoke_sessions});
  if (!token.ok()) return FailApi(token.error());
  if (options.json) {
    PrintJson(api::AppTokenToValue(*token, true));
    return 0;
  }
  std::printf("app token %s: new value %s\n", token->id.c_str(), token->token.c_str());
  if (token->previous_token_until) {
    std::printf("the previous value starts sessions until %s UTC\n",
                UtcTime(*token->previous_token_until).c_str());
  }
  if (options.revoke_sessions) std::printf("every KS minted from it so far is revoked\n");
  return 0;
}

int AppTokenRevoke(const AppTokenRevokeOptions& options) {
  const int given =
      (options.token_id ? 1 : 0) + (options.user_id ? 1 : 0) + (options.ks_hash ? 1 : 0);
  if (given != 1) {
    Fail("name exactly one of --token, --user and --ks-hash");
    return 2;
  }
  if (options.ks_hash && options.before) {
    Fail("--before applies to --token and --user, not to --ks-hash");
    return 2;
  }
  std::unique_ptr<app::App> app = OpenForPartner(options.db, options.partner_id);
  if (!app) return 1;
  services::RevokeSessionsRequest request;
  request.token_id = options.token_id;
  request.user_id = options.user_id;
  request.ks_hash = options.ks_hash;
  request.issued_before = options.before;
  Result<Void, ApiError> revoked = app->app_tokens().RevokeSessions(options.partner_id, request);
  if (!revoked.ok()) return FailApi(revoked.error());
  const std::string when =
      options.before ? "issued before " + UtcTime(*options.before) + " UTC" : "issued so far";
  if (options.token_id) {
    std::printf("revoked the KSs of app token %s %s\n", options.token_id->c_str(), when.c_str());
  } else if (options.user_id) {
    std::printf("revoked the KSs of user %s %s\n", options.user_id->c_str(), when.c_str());
  } else {
    std::printf("revoked the KS %s\n", options.ks_hash->c_str());
  }
  return 0;
}

int PartnerUpdate(const PartnerUpdateOptions& options) {
  services::PartnerSettingsUpdate update;
  for (const auto& [flag, value, target] :
       {std::tuple{"--app-token-privilege-ceiling", &options.app_token_privilege_ceiling,
                   &update.app_token_privilege_ceiling},
        std::tuple{"--app-token-show-once", &options.app_token_show_once,
                   &update.app_token_show_once}}) {
    if (!*value) continue;
    *target = OnOff(**value);
    if (!*target) {
      Fail(std::string(flag) + " must be on or off, got '" + **value + "'");
      return 2;
    }
  }
  if (options.user_secret_setrole) {
    if (*options.user_secret_setrole == "allow") {
      update.user_secret_setrole = store::UserSecretSetRole::kAllow;
    } else if (*options.user_secret_setrole == "deny") {
      update.user_secret_setrole = store::UserSecretSetRole::kDeny;
    } else {
      Fail("--user-secret-setrole must be allow or deny, got '" + *options.user_secret_setrole +
           "'");
      return 2;
    }
  }
  if (!DatabaseExists(options.db)) return 1;
  std::unique_ptr<app::App> app = OpenApp(options.db);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().UpdateSettings(options.id, update);
  if (!partner.ok()) {
    FailWith(partner.error(), "cannot update partner");
    return 1;
  }
  const store::PartnerSettings& settings = partner->settings;
  auto on_off = [](bool b) { return b ? "on" : "off"; };
  if (options.json) {
    api::Value v = api::Value::Map();
    v.Add("id", api::Value::Int(partner->id));
    v.Add("appTokenPrivilegeCeiling", api::Value::Bool(settings.app_token_privilege_ceiling));
    v.Add("appTokenShowOnce", api::Value::Bool(settings.app_token_show_once));
    v.Add("userSecretSetrole", api::Value::String(SettingName(settings.user_secret_setrole)));
    PrintJson(v);
  } else {
    std::printf(
        "partner %lld: app-token-privilege-ceiling %s, app-token-show-once %s, "
        "user-secret-setrole %s\n",
        static_cast<long long>(partner->id), on_off(settings.app_token_privilege_ceiling),
        on_off(settings.app_token_show_once), SettingName(settings.user_secret_setrole));
  }
  return 0;
}

int AppTokenList(const std::string& db, int64_t partner_id, bool json) {
  if (!DatabaseExists(db)) return 1;
  std::unique_ptr<app::App> app = OpenApp(db);
  if (!app) return 1;
  if (Result<store::Partner> partner = app->partners().Get(partner_id); !partner.ok()) {
    FailWith(partner.error(), "cannot read partner");
    return 1;
  }
  store::AppTokenQuery query;
  query.limit = 0;
  query.order_by = {{store::AppTokenOrderField::kCreatedAt, true}};
  Result<store::AppTokenPage> page = app->store().ListAppTokens(partner_id, query);
  if (!page.ok()) {
    Fail("cannot list app tokens: " + page.error().message());
    return 1;
  }
  Result<std::vector<store::AppTokenUsage>> usage = app->store().ListAppTokenUsage(partner_id);
  if (!usage.ok()) {
    Fail("cannot read app token usage: " + usage.error().message());
    return 1;
  }
  std::map<std::string, store::AppTokenUsage> usage_by_id;
  for (store::AppTokenUsage& u : *usage) usage_by_id.emplace(u.token_id, std::move(u));
  auto usage_of = [&](const std::string& id) {
    auto it = usage_by_id.find(id);
    return it == usage_by_id.end() ? store::AppTokenUsage{id, partner_id, 0, 0} : it->second;
  };
  if (json) {
    api::Value list = api::Value::Array();
    const bool show_values = !app->partners().Get(partner_id)->settings.app_token_show_once;
    for (const store::AppToken& t : page->objects) {
      api::Value v = api::AppTokenToValue(t, show_values);
      const store::AppTokenUsage u = usage_of(t.id);
      v.Add("sessionsStarted", api::Value::Int(u.sessions_started));
      v.Add("lastSessionAt",
            u.sessions_started > 0 ? api::Value::Int(u.last_session_at) : api::Value::Null());
      list.Push(std::move(v));
    }
    PrintJson(list);
    return 0;
  }
  // The token values are credentials: the table shows ids, settings and usage only.
  std::printf("%-12s %-7s %-6s %-10s %-12s %-9s %-20s %s\n", "ID", "HASH", "TYPE", "DURATION",
              "EXPIRY", "SESSIONS", "LAST SESSION (UTC)", "DESCRIPTION");
  for (const store::AppToken& t : page->objects) {
    const store::AppTokenUsage u = usage_of(t.id);
    std::printf("%-12s %-7s %-6s %-10lld %-12s %-9lld %-20s %s\n", t.id.c_str(),
                t.hash_type.value_or("SHA256").c_str(),
                t.session_type ? (*t.session_type == 2 ? "ADMIN" : "USER") : "any",
                static_cast<long long>(t.session_duration.value_or(0)),
                t.expiry ? std::to_string(*t.expiry).c_str() : "never",
                static_cast<long long>(u.sessions_started),
                u.sessions_started > 0 ? UtcTime(u.last_session_at).c_str() : "never",
                t.description.value_or("").substr(0, 40).c_str());
  }
  return 0;
}

int KsDecode(const KsDecodeOptions& options) {
  Result<int64_t> partner_id = ks::PeekPartnerId(options.ks);
  if (!partner_id.ok()) {
    Fail("not a KS: " + partner_id.error().message());
    return 1;
  }
  std::vector<std::string> secrets;
  std::unique_ptr<app::App> app;
  if (options.secret) {
    secrets.push_back(*options.secret);
  } else {
    if (!DatabaseExists(*options.db)) return 1;
    app = OpenApp(*options.db);
    if (!app) return 1;
    Result<store::Partner> partner = app->partners().Get(*partner_id);
    if (!partner.ok()) {
      Fail("KS does not verify: partner " + std::to_string(*partner_id) + " " +
           (partner.error().code() == StatusCode::kNotFound ? "does not exist"
                                                            : partner.error().message()));
      return 1;
    }
    secrets = partner->admin_secrets;
  }
  Result<ks::ParsedKs> parsed = ks::Decode(options.ks, secrets);
  if (!parsed.ok()) {
    Fail("KS does not verify for partner " + std::to_string(*partner_id) + ": " +
         parsed.error().message());
    return 1;
  }
  const ks::KsFields& f = parsed->fields;
  const int64_t now = SystemClock::Instance().NowSeconds();
  api::Value v = api::Value::Map();
  v.Add("version", api::Value::Int(parsed->version));
  v.Add("partnerId", api::Value::Int(f.partner_id));
  v.Add("validUntil", api::Value::Int(f.valid_until));
  v.Add("expired", api::Value::Bool(f.valid_until <= now));
  v.Add("type", api::Value::Int(f.type));
  v.Add("userId", f.user ? api::Value::String(*f.user) : api::Value::Null());
  v.Add("privileges", api::Value::String(f.privileges));
  v.Add("masterPartnerId",
        f.master_partner_id ? api::Value::String(*f.master_partner_id) : api::Value::Null());
  v.Add("additionalData",
        f.additional_data ? api::Value::String(*f.additional_data) : api::Value::Null());
  v.Add("rand", api::Value::String(parsed->rand));
  v.Add("hash", api::Value::String(parsed->hash));
  v.Add("secretIndex", api::Value::Int(parsed->secret_index));
  v.Add("widget", api::Value::Bool(ks::IsWidgetSession(f)));
  if (app) {
    // Revocation as the server checks it.
    Result<services::Caller, ApiError> caller = app->authenticator().Parse(options.ks);
    if (caller.ok()) {
      Result<bool, ApiError> revoked = app->authenticator().IsRevoked(*caller);
      if (revoked.ok()) v.Add("revoked", api::Value::Bool(*revoked));
    }
  }
  PrintJson(v);
  return 0;
}

}  // namespace ksgate::cli
