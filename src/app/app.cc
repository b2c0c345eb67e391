#include "app/app.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>

#include "api/metric_actions.h"
#include "api/register.h"
#include "store/caching_store.h"
#include "store/open_store.h"

namespace ksgate::app {

App::Stores App::Layer(std::unique_ptr<store::Store> backend, const Clock& clock,
                       const AppOptions& options) {
  // Always a CachingStore, even uncached (TTL 0): it is also the guard that keeps I/O threads
  // from waiting for the database (store/blocking.h).
  Stores stores;
  stores.backend = backend.get();
  stores.top = std::make_unique<store::CachingStore>(
      std::move(backend), clock,
      store::CacheOptions{.ttl = options.cache_ttl, .max_entries = options.cache_max_entries});
  return stores;
}

namespace {

// The metrics' labels: the API's actions (api/metric_actions.h), one upstream label per
// upstream (its services), and the actions that issue KSs.
obs::MetricsLabels MetricsLabelsFor(const api::ActionTable& actions,
                                    const api::GatewayOptions& gateway) {
  obs::MetricsLabels labels;
  labels.actions = api::MetricActions(actions, gateway).labels();
  for (const api::Upstream& upstream : gateway.upstreams) {
    std::string label;
    for (const std::string& service : upstream.services) {
      if (!label.empty()) label += ',';
      label += service;
    }
    labels.upstreams.push_back(std::move(label));
  }
  labels.ks_sources = {{"session.start", "session_start"},
                       {"session.startWidgetSession", "widget"},
                       {"appToken.startSession", "app_token"}};
  return labels;
}

api::DispatcherOptions Observed(api::DispatcherOptions options, obs::Metrics* metrics, bool audit) {
  options.metrics = metrics;
  options.note_callers = audit;
  return options;
}

}  // namespace

App::App(std::unique_ptr<store::Store> backend, const Clock& clock, AppOptions options)
    : clock_(clock),
      freshness_bound_(options.freshness_bound),
      stores_(Layer(std::move(backend), clock, options)),
      authorizer_(MakeAuthorizer(std::move(options.catalogue))),
      authenticator_(store(), clock),
      issuer_(clock),
      partners_(store(), clock, options.audit),
      usage_(store()),
      limiter_(clock),
      observed_events_(options.security_events != nullptr ? *options.security_events
                                                          : log_security_events_),
      failure_limiter_(options.failure_limits, clock, observed_events_),
      sessions_(store(), issuer_, authenticator_, authorizer_, clock, &failure_limiter_,
                options.audit),
      app_tokens_(store(), issuer_, clock, authorizer_, limiter_, &usage_, &failure_limiter_,
                  options.audit),
      user_roles_(store(), authorizer_, clock, options.audit),
      actions_(BuildActions()),
      policy_(std::make_shared<const api::Policy>(
          api::Policy{authorizer_.Get(), std::move(options.gateway)})),
      metrics_(MetricsLabelsFor(actions_, policy_.Get()->gateway)),
      dispatcher_(actions_, authenticator_, policy_, clock,
                  Observed(options.dispatcher, &metrics_, options.audit != nullptr)) {
  observed_events_.Attach(&metrics_, options.audit);
  AddCacheMetrics();
  if (options.usage_flush_interval.count() > 0) {
    usage_flusher_ =
        std::jthread([this, every = options.usage_flush_interval](std::stop_token stop) {
          std::mutex mu;
          std::condition_variable_any wake;
          std::unique_lock lock(mu);
          // Wakes every `every`, or at once when stopped (the predicate is then true).
          while (!wake.wait_for(lock, stop, every, [&stop] { return stop.stop_requested(); })) {
            if (Status s = usage_.Flush(); !s.ok()) {
              spdlog::warn("app token usage not written yet: {}", s.ToString());
            }
          }
        });
  }
}

App::~App() {
  if (feed_) feed_->Stop();
  if (usage_flusher_.joinable()) {
    usage_flusher_.request_stop();
    usage_flusher_.join();
  }
  if (Status s = usage_.Flush(); !s.ok()) {
    spdlog::error("app token usage lost at shutdown: {}", s.ToString());
  }
}

void App::AddCacheMetrics() {
  const store::CachingStore& cache = *stores_.top;
  auto per_kind = [&cache](bool hits) {
    std::vector<obs::Sample> samples;
    for (store::CacheKind kind : store::kCacheKinds) {
      const store::CacheStats stats = cache.Stats(kind);
      samples.push_back({"kind=\"" + std::string(store::CacheKindName(kind)) + "\"",
                         static_cast<double>(hits ? stats.hits : stats.misses)});
    }
    return samples;
  };
  metrics_.AddReader("ksgate_cache_hits_total", "counter",
                     "Reads of partners, tokens, roles, revocations and cut-offs served from the "
                     "cache, by kind.",
                     [per_kind] { return per_kind(true); });
  metrics_.AddReader("ksgate_cache_misses_total", "counter",
                     "Reads of the same that went to the store, by kind.",
                     [per_kind] { return per_kind(false); });
  metrics_.AddReader(
      "ksgate_cache_entries", "gauge",
      "Entries the cache holds, by kind (at most cache.max_entries each).", [&cache] {
        std::vector<obs::Sample> samples;
        for (store::CacheKind kind : store::kCacheKinds) {
          samples.push_back({"kind=\"" + std::string(store::CacheKindName(kind)) + "\"",
                             static_cast<double>(cache.Size(kind))});
        }
        return samples;
      });
  metrics_.AddReader("ksgate_cache_fresh", "gauge",
                     "1 while the cache may be served (with a change feed: it confirmed within "
                     "the freshness bound), else 0.",
                     [&cache] {
                       return std::vector<obs::Sample>{{"", cache.Fresh() ? 1.0 : 0.0}};
                     });
}

api::ActionTable App::BuildActions() const {
  api::ActionTable table;
  api::RegisterSystemActions(table, clock_);
  api::RegisterSessionActions(table, sessions_);
  api::RegisterAppTokenActions(table, app_tokens_);
  api::RegisterUserRoleActions(table, user_roles_, authorizer_);
  return table;
}

std::shared_ptr<const services::Authorizer> App::MakeAuthorizer(
    std::optional<services::PermissionCatalogue> catalogue) const {
  std::shared_ptr<const services::PermissionCatalogue> shared;
  if (catalogue) {
    shared = std::make_shared<const services::PermissionCatalogue>(std::move(*catalogue));
  } else {
    // The built-in catalogue lives as long as the process: shared without an owner.
    shared = std::shared_ptr<const services::PermissionCatalogue>(
        std::shared_ptr<void>(), &services::PermissionCatalogue::BuiltIn());
  }
  return std::make_shared<const services::Authorizer>(std::move(shared), *stores_.top);
}

Status App::CheckGateway(const api::GatewayOptions& gateway) const {
  KSGATE_RETURN_IF_ERROR(api::ValidateGateway(gateway));
  for (const api::Upstream& upstream : gateway.upstreams) {
    for (const std::string& service : upstream.services) {
      if (actions_.HasService(service)) {
        return InvalidArgumentError("ksgate serves \"" + service + "\" itself");
      }
    }
  }
  return Status::Ok();
}

Status App::Reload(std::optional<services::PermissionCatalogue> catalogue,
                   api::GatewayOptions gateway) {
  KSGATE_RETURN_IF_ERROR(CheckGateway(gateway));
  std::shared_ptr<const services::Authorizer> authorizer = MakeAuthorizer(std::move(catalogue));
  auto policy = std::make_shared<const api::Policy>(api::Policy{authorizer, std::move(gateway)});
  // Services first: a request that pins the new policy then finds the new authorizer in the
  // services it calls too.
  authorizer_.Replace(std::move(authorizer));
  policy_.Replace(std::move(policy));
  return Status::Ok();
}

Result<std::unique_ptr<App>> App::Open(std::string_view url, const Clock& clock,
                                       AppOptions options) {
  Result<std::unique_ptr<store::Store>> opened =
      store::OpenStore(url, {.connections = options.store_connections});
  if (!opened.ok()) {
    return Status(opened.error().code(), "cannot open --db " + store::RedactStoreUrl(url) + ": " +
                                             opened.error().message());
  }
  std::unique_ptr<store::Store> backend = std::move(opened).value();
  Result<int> version = backend->Migrate();
  if (!version.ok()) {
    return Status(version.error().code(), "cannot migrate " + store::RedactStoreUrl(url) + ": " +
                                              version.error().message());
  }
  KSGATE_RETURN_IF_ERROR(api::ValidateGateway(options.gateway));
  Result<std::unique_ptr<store::ChangeFeed>> feed =
      options.follow_changes ? store::OpenChangeFeed(url, backend.get())
                             : Result<std::unique_ptr<store::ChangeFeed>>(nullptr);
  if (!feed.ok()) {
    return Status(feed.error().code(), "cannot listen for changes on " +
                                           store::RedactStoreUrl(url) + ": " +
                                           feed.error().message());
  }
  if (options.cache_ttl.count() < 0) {
    // With a feed, entries are kept until another node's write drops them (or the bound
    // passes); without one, other processes' writes are seen within the TTL.
    options.cache_ttl = *feed != nullptr ? kFedCacheTtl : kDefaultCacheTtl;
  }
  auto app = std::make_unique<App>(std::move(backend), clock, std::move(options));
  KSGATE_RETURN_IF_ERROR(app->CheckGateway(app->policy()->gateway));
  if (*feed != nullptr) KSGATE_RETURN_IF_ERROR(app->AttachChangeFeed(std::move(feed).value()));
  return app;
}

Status App::AttachChangeFeed(std::unique_ptr<store::ChangeFeed> feed) {
  if (feed_) return InvalidArgumentError("a change feed is already attached");
  store::CachingStore& cache = *stores_.top;
  cache.SetFreshnessBound(freshness_bound_);
  feed_ = std::move(feed);
  store::ChangeFeed::Callbacks callbacks;
  callbacks.on_change = [&cache](const store::Change& change) { cache.Apply(change); };
  callbacks.on_resync = [&cache] { cache.InvalidateAll(); };
  callbacks.on_confirmed = [&cache, this](std::chrono::steady_clock::time_point as_of) {
    // The feed measures on the steady clock; the cache on this App's clock.
    const auto ago = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - as_of);
    cache.ConfirmFresh(clock_.NowCoarseMicros() - ago.count());
  };
  callbacks.on_state = [bound = freshness_bound_](bool connected) {
    if (connected) {
      spdlog::info("change feed up: cached reads are served again");
    } else {
      spdlog::warn("change feed down: cached reads stop {} ms after its last confirmation",
                   bound.count());
    }
  };
  return feed_->Start(std::move(callbacks));
}

std::string App::NotReadyReason() const {
  if (feed_ && !stores_.top->Fresh()) {
    return "the change feed has not confirmed the cache within " +
           std::to_string(freshness_bound_.count()) + " ms (is the database reachable?)";
  }
  return "";
}

}  // namespace ksgate::app
