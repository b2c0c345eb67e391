// App: the one composition root. Builds ksgate's object graph — store → cache → services →
// action table → dispatcher — so that the `ksgate` command and every test run the same wiring.
//
//   Result<std::unique_ptr<App>> app = App::Open("sqlite:var/ksgate.db", SystemClock::Instance());
//   api::Response r = (*app)->dispatcher().Handle(request);
//
// Construction order is declaration order; everything is destroyed in reverse. The accessors
// hand out references that live as long as the App. Thread-safe to use once built (every part
// is); not movable. The permission catalogue and the gateway can be replaced while serving
// (Reload): requests pin the set in force when they begin (api/policy.h).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>

#include "api/action.h"
#include "api/dispatcher.h"
#include "api/gateway.h"
#include "api/policy.h"
#include "app/observed_events.h"
#include "common/clock.h"
#include "common/result.h"
#include "obs/metrics.h"
#include "services/app_token_service.h"
#include "services/audit.h"
#include "services/authenticator.h"
#include "services/authorizer.h"
#include "services/exchange_limiter.h"
#include "services/failure_limiter.h"
#include "services/ks_issuer.h"
#include "services/partner_service.h"
#include "services/permission_catalogue.h"
#include "services/security_events.h"
#include "services/session_service.h"
#include "services/usage_recorder.h"
#include "services/user_role_service.h"
#include "store/caching_store.h"
#include "store/change_feed.h"
#include "store/store.h"

namespace ksgate::app {

// The cache TTL Open picks when asked to (AppOptions::cache_ttl < 0): without a change feed,
// other processes' writes are seen within it; with one, they are applied as they come and the
// TTL only bounds memory churn.
inline constexpr std::chrono::milliseconds kDefaultCacheTtl{1000};
inline constexpr std::chrono::milliseconds kFedCacheTtl{30000};

struct AppOptions {
  // How long cached reads (partners, tokens, roles, revocations) may be served; without a change
  // feed, changes made by other processes take effect within this. 0: no cache, every read goes
  // to the store. Negative: Open picks kDefaultCacheTtl, or kFedCacheTtl with a change feed.
  std::chrono::milliseconds cache_ttl{kDefaultCacheTtl};
  // The cache's bound: entries kept per kind of record (store::CacheOptions::max_entries).
  size_t cache_max_entries = store::kDefaultCacheEntries;
  // With a change feed (PostgreSQL): other nodes' writes are applied as they are reported, and
  // the cache serves nothing once the feed has not vouched for it for this long (it fails
  // closed until the feed is back).
  std::chrono::milliseconds freshness_bound{1000};
  api::DispatcherOptions dispatcher;
  // The gate: upstream services, authorize routes, the identity signing key.
  api::GatewayOptions gateway;
  // How often app token usage (services/usage_recorder.h) is written to the store by a
  // background thread; 0: never by itself (FlushUsage does). What is pending is written when
  // the App is destroyed.
  std::chrono::milliseconds usage_flush_interval{1000};
  // Database connections Open asks the backend for (store::StoreOpenOptions::connections): a
  // server passes its store threads; 0 keeps the backend's default.
  int store_connections = 0;
  // Whether Open listens for other processes' writes (a change feed, when the backend has one).
  // One-shot commands (the CLI's) do not need to.
  bool follow_changes = true;
  // The permission catalogue: the built-in one when unset, else (typically) the built-in one
  // extended by an operator's permissions file (PermissionCatalogue::Extend).
  std::optional<services::PermissionCatalogue> catalogue;
  // Brute-force limits on app-token hashes and session.start secrets (docs/security.md).
  services::FailureLimits failure_limits;
  // Where security events go besides the metrics (and the audit log, when there is one); must
  // outlive the App. Null: a log line per limited caller and window
  // (services::LogSecurityEvents).
  services::SecurityEvents* security_events = nullptr;
  // Where the services report audit events (services/audit.h: management of partners, tokens
  // and roles, session starts and ends, brute-force limits engaging); must outlive the App.
  // Null: no audit. With one, the audited API calls never run on an I/O thread.
  services::AuditSink* audit = nullptr;
};

class App {
 public:
  // Wires the graph over `backend`, which must already be migrated. The clock must outlive
  // *this.
  App(std::unique_ptr<store::Store> backend, const Clock& clock, AppOptions options = {});
  ~App();

  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Opens the store at `url` (store/open_store.h), applies pending migrations and wires the
  // graph. Errors, each with a one-line message naming what failed: the store's ("cannot open
  // --db URL: ...", "cannot migrate URL: ..."); kInvalidArgument for gateway options naming a
  // service twice or a service ksgate serves itself.
  //
  // The constructor takes options as they are: callers that did not check them use Open.
  static Result<std::unique_ptr<App>> Open(std::string_view url, const Clock& clock,
                                           AppOptions options = {});

  // Starts `feed` (store/change_feed.h) and applies what it reports to the cache: other
  // processes' writes as they come, a full re-read after every reconnect, and freshness
  // confirmations (AppOptions::freshness_bound). Open does this for a URL whose backend has a
  // feed. Call at most once, before serving.
  Status AttachChangeFeed(std::unique_ptr<store::ChangeFeed> feed);

  // Whether this node can serve with confidence, and if not why ("" when ready): with a change
  // feed, that it has vouched for the cache within the freshness bound. Thread-safe.
  std::string NotReadyReason() const;

  // Checks gateway options as Open does: kInvalidArgument naming the service when one is named
  // by two upstreams, or is "multirequest" or a service ksgate serves itself.
  Status CheckGateway(const api::GatewayOptions& gateway) const;

  // Puts a new permission catalogue (the built-in one when unset) and new gateway options in
  // force for every request and service call that begins afterwards; those in flight finish
  // with the set they began with. Everything is built and checked first: on an error
  // (CheckGateway's) nothing has changed. Thread-safe; it builds the new set on the calling
  // thread, so never call it on an I/O thread. Not for concurrent use with itself.
  Status Reload(std::optional<services::PermissionCatalogue> catalogue,
                api::GatewayOptions gateway);

  // The store every service uses: a CachingStore over the backend (with a TTL of 0 it caches
  // nothing but still refuses inline calls; store/blocking.h).
  store::Store& store() { return *stores_.top; }
  // The backend under the cache, for writes that must look like another process's.
  store::Store& backend() { return *stores_.backend; }
  const Clock& clock() const { return clock_; }

  const services::Authenticator& authenticator() const { return authenticator_; }
  // The Authorizer in force (and through it the permission catalogue); Reload replaces it.
  std::shared_ptr<const services::Authorizer> authorizer() const { return authorizer_.Get(); }
  const services::KsIssuer& issuer() const { return issuer_; }
  const services::PartnerService& partners() const { return partners_; }
  const services::SessionService& sessions() const { return sessions_; }
  const services::AppTokenService& app_tokens() const { return app_tokens_; }
  const services::UserRoleService& user_roles() const { return user_roles_; }
  services::UsageRecorder& usage() { return usage_; }
  services::FailureLimiter& failure_limiter() { return failure_limiter_; }

  const api::ActionTable& actions() const { return actions_; }
  // The authorizer and gateway options in force; Reload replaces them.
  std::shared_ptr<const api::Policy> policy() const { return policy_.Get(); }
  const api::Dispatcher& dispatcher() const { return dispatcher_; }

  // The process's metrics (obs/metrics.h): the API counts calls into them, and the cache's hits
  // and freshness and the security events are read from here. The HTTP layer and the CLI add
  // theirs (open connections, the store queue) with AddReader before serving.
  obs::Metrics& metrics() { return metrics_; }
  const obs::Metrics& metrics() const { return metrics_; }

 private:
  struct Stores {
    std::unique_ptr<store::CachingStore> top;  // owns the backend
    store::Store* backend;
  };
  static Stores Layer(std::unique_ptr<store::Store> backend, const Clock& clock,
                      const AppOptions& options);
  api::ActionTable BuildActions() const;
  std::shared_ptr<const services::Authorizer> MakeAuthorizer(
      std::optional<services::PermissionCatalogue> catalogue) const;
  // Adds the metrics read from the cache (hits, misses, freshness).
  void AddCacheMetrics();

  const Clock& clock_;
  const std::chrono::milliseconds freshness_bound_;
  Stores stores_;

  services::CurrentAuthorizer authorizer_;
  services::Authenticator authenticator_;
  services::KsIssuer issuer_;
  services::PartnerService partners_;
  services::UsageRecorder usage_;
  services::ExchangeLimiter limiter_;
  services::LogSecurityEvents log_security_events_;
  ObservedSecurityEvents observed_events_;
  services::FailureLimiter failure_limiter_;
  services::SessionService sessions_;
  services::AppTokenService app_tokens_;
  services::UserRoleService user_roles_;

  api::ActionTable actions_;
  api::CurrentPolicy policy_;
  obs::Metrics metrics_;  // labelled by the action table and the gateway at start-up
  api::Dispatcher dispatcher_;
  std::jthread usage_flusher_;               // stopped first
  std::unique_ptr<store::ChangeFeed> feed_;  // stopped before the cache it feeds goes
};

}  // namespace ksgate::app
