#include "cli/commands.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/dispatcher.h"
#include "api/register.h"
#include "api/value.h"
#include "common/clock.h"
#include "http/server.h"
#include "ks/crypto.h"
#include "ks/ks.h"
#include "services/app_token_service.h"
#include "services/authenticator.h"
#include "services/authorizer.h"
#include "services/permission_catalogue.h"
#include "services/user_role_service.h"
#include "services/ks_issuer.h"
#include "services/session_service.h"
#include "store/caching_store.h"
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

// Opens and migrates the store at `url`; prints the reason and returns nullptr on failure.
std::unique_ptr<store::Store> OpenMigrated(const std::string& url) {
  Result<std::unique_ptr<store::Store>> opened = store::OpenStore(url);
  if (!opened.ok()) {
    Fail("cannot open --db " + store::RedactStoreUrl(url) + ": " + opened.error().message());
    return nullptr;
  }
  std::unique_ptr<store::Store> store = std::move(opened).value();
  Result<int> version = store->Migrate();
  if (!version.ok()) {
    Fail("cannot migrate " + store::RedactStoreUrl(url) + ": " + version.error().message());
    return nullptr;
  }
  return store;
}

void PrintJson(const api::Value& value) {
  std::string out;
  api::AppendJson(value, &out);
  std::printf("%s\n", out.c_str());
}

// The partner `id`, or nullopt after printing why not.
std::optional<store::Partner> LoadPartner(const store::Store& store, int64_t id) {
  Result<store::Partner> partner = store.GetPartner(id);
  if (partner.ok()) return std::move(partner).value();
  Fail(partner.error().code() == StatusCode::kNotFound ? "no partner " + std::to_string(id)
                                                       : "cannot read partner: " +
                                                             partner.error().message());
  return std::nullopt;
}

const char* StatusName(store::PartnerStatus status) {
  return status == store::PartnerStatus::kActive ? "active" : "blocked";
}

// Bridges the HTTP layer to the dispatcher.
class DispatcherHandler final : public http::RequestHandler {
 public:
  explicit DispatcherHandler(const api::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  api::Response Handle(const api::Request& request) override { return dispatcher_.Handle(request); }
  api::Response Reject(const api::Request& partial, std::string_view limit,
                       uint64_t max) override {
    return dispatcher_.Reject(partial, limit, max);
  }

 private:
  const api::Dispatcher& dispatcher_;
};

}  // namespace

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
  std::unique_ptr<store::Store> backend = OpenMigrated(options.db);
  if (!backend) return 1;

  const Clock& clock = SystemClock::Instance();
  auto store = std::make_unique<store::CachingStore>(
      std::move(backend), clock,
      store::CacheOptions{.ttl = std::chrono::milliseconds(options.cache_ttl_ms)});
  const services::PermissionCatalogue& catalogue = services::PermissionCatalogue::BuiltIn();
  services::Authenticator authenticator(*store, clock);
  services::Authorizer authorizer(catalogue, *store);
  services::KsIssuer issuer(clock);
  services::SessionService sessions(*store, issuer, authenticator, authorizer, clock);
  services::AppTokenService app_tokens(*store, issuer, clock);
  services::UserRoleService user_roles(*store, catalogue, clock);

  api::ActionTable table;
  api::RegisterSystemActions(table, clock);
  api::RegisterSessionActions(table, sessions);
  api::RegisterAppTokenActions(table, app_tokens);
  api::RegisterUserRoleActions(table, user_roles, catalogue);
  api::Dispatcher dispatcher(table, authenticator, authorizer, clock);
  DispatcherHandler handler(dispatcher);

  http::ServerOptions server_options;
  server_options.host = host;
  server_options.port = port;
  server_options.threads =
      options.threads > 0 ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  server_options.trusted_proxies = options.trusted_proxies;
  http::Server server(server_options, handler);
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
  std::unique_ptr<store::Store> store = OpenMigrated(options.db);
  if (!store) return 1;
  store::NewPartner partner;
  partner.name = options.name;
  partner.admin_secrets = {ks::RandomHex(16)};
  partner.secret = ks::RandomHex(16);
  partner.ks_version = options.ks_version;
  partner.ks_max_expiry = options.ks_max_expiry;
  Result<store::Partner> created = store->CreatePartner(partner, SystemClock::Instance().NowSeconds());
  if (!created.ok()) {
    Fail("cannot create partner: " + created.error().message());
    return 1;
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
  std::unique_ptr<store::Store> store = OpenMigrated(db);
  if (!store) return 1;
  Result<std::vector<store::Partner>> partners = store->ListPartners();
  if (!partners.ok()) {
    Fail("cannot list partners: " + partners.error().message());
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
  std::unique_ptr<store::Store> store = OpenMigrated(db);
  if (!store) return 1;
  Status s = store->SetPartnerStatus(
      id, active ? store::PartnerStatus::kActive : store::PartnerStatus::kBlocked,
      SystemClock::Instance().NowSeconds());
  if (!s.ok()) {
    Fail(s.code() == StatusCode::kNotFound ? "no partner " + std::to_string(id)
                                           : "cannot update partner: " + s.message());
    return 1;
  }
  std::printf("partner %lld is %s\n", static_cast<long long>(id), active ? "active" : "blocked");
  return 0;
}

int PartnerRotateSecret(const std::string& db, int64_t id, bool json) {
  if (!DatabaseExists(db)) return 1;
  std::unique_ptr<store::Store> store = OpenMigrated(db);
  if (!store) return 1;
  std::optional<store::Partner> partner = LoadPartner(*store, id);
  if (!partner) return 1;
  std::vector<std::string> secrets = partner->admin_secrets;
  const std::string fresh = ks::RandomHex(16);
  secrets.insert(secrets.begin(), fresh);
  if (Status s = store->SetPartnerAdminSecrets(id, secrets, SystemClock::Instance().NowSeconds());
      !s.ok()) {
    Fail("cannot rotate: " + s.message());
    return 1;
  }
  if (json) {
    api::Value v = api::Value::Map();
    v.Add("id", api::Value::Int(id));
    v.Add("adminSecret", api::Value::String(fresh));
    v.Add("adminSecretCount", api::Value::Int(static_cast<int64_t>(secrets.size())));
    PrintJson(v);
  } else {
    std::printf("partner %lld: new primary admin secret %s (%zu secrets verify KSs)\n",
                static_cast<long long>(id), fresh.c_str(), secrets.size());
  }
  return 0;
}

int PartnerRetireSecrets(const std::string& db, int64_t id) {
  if (!DatabaseExists(db)) return 1;
  std::unique_ptr<store::Store> store = OpenMigrated(db);
  if (!store) return 1;
  std::optional<store::Partner> partner = LoadPartner(*store, id);
  if (!partner) return 1;
  const size_t retired = partner->admin_secrets.size() - 1;
  if (Status s = store->SetPartnerAdminSecrets(id, {partner->admin_secrets.front()},
                                               SystemClock::Instance().NowSeconds());
      !s.ok()) {
    Fail("cannot retire secrets: " + s.message());
    return 1;
  }
  std::printf("partner %lld: retired %zu old admin secret(s)\n", static_cast<long long>(id),
              retired);
  return 0;
}

int AppTokenList(const std::string& db, int64_t partner_id, bool json) {
  if (!DatabaseExists(db)) return 1;
  std::unique_ptr<store::Store> store = OpenMigrated(db);
  if (!store) return 1;
  if (!LoadPartner(*store, partner_id)) return 1;
  store::AppTokenQuery query;
  query.limit = 0;
  query.order_by = {{store::AppTokenOrderField::kCreatedAt, true}};
  Result<store::AppTokenPage> page = store->ListAppTokens(partner_id, query);
  if (!page.ok()) {
    Fail("cannot list app tokens: " + page.error().message());
    return 1;
  }
  if (json) {
    api::Value list = api::Value::Array();
    for (const store::AppToken& t : page->objects) list.Push(api::AppTokenToValue(t));
    PrintJson(list);
    return 0;
  }
  // The token values are credentials: the table shows ids and settings only.
  std::printf("%-12s %-7s %-6s %-10s %-12s %s\n", "ID", "HASH", "TYPE", "DURATION", "EXPIRY",
              "DESCRIPTION");
  for (const store::AppToken& t : page->objects) {
    std::printf("%-12s %-7s %-6s %-10lld %-12s %s\n", t.id.c_str(),
                t.hash_type.value_or("SHA256").c_str(),
                t.session_type ? (*t.session_type == 2 ? "ADMIN" : "USER") : "any",
                static_cast<long long>(t.session_duration.value_or(0)),
                t.expiry ? std::to_string(*t.expiry).c_str() : "never",
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
  std::unique_ptr<store::Store> store;
  if (options.secret) {
    secrets.push_back(*options.secret);
  } else {
    if (!DatabaseExists(*options.db)) return 1;
    store = OpenMigrated(*options.db);
    if (!store) return 1;
    Result<store::Partner> partner = store->GetPartner(*partner_id);
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
  if (store) {
    std::vector<std::string> keys = {parsed->hash};
    ks::PrivilegeMap privileges = ks::ParsePrivileges(f.privileges);
    if (const std::string* sid = ks::FirstPrivilegeValue(privileges, "sessionid")) {
      keys.push_back(ks::SessionIdKey(f.partner_id, *sid));
    }
    Result<bool> revoked = store->IsRevoked(keys, now);
    if (revoked.ok()) v.Add("revoked", api::Value::Bool(*revoked));
  }
  PrintJson(v);
  return 0;
}

}  // namespace ksgate::cli
