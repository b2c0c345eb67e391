#include "app/app.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>

#include "api/register.h"
#include "store/caching_store.h"
#include "store/open_store.h"

namespace ksgate::app {

App::Stores App::Layer(std::unique_ptr<store::Store> backend, const Clock& clock,
                       std::chrono::milliseconds cache_ttl) {
  // Always a CachingStore, even uncached (TTL 0): it is also the guard that keeps I/O threads
  // from waiting for the database (store/blocking.h).
  Stores stores;
  stores.backend = backend.get();
  stores.top = std::make_unique<store::CachingStore>(std::move(backend), clock,
                                                     store::CacheOptions{.ttl = cache_ttl});
  return stores;
}

App::App(std::unique_ptr<store::Store> backend, const Clock& clock, AppOptions options)
    : clock_(clock),
      stores_(Layer(std::move(backend), clock, options.cache_ttl)),
      own_catalogue_(std::move(options.catalogue)),
      catalogue_(own_catalogue_ ? *own_catalogue_ : services::PermissionCatalogue::BuiltIn()),
      authenticator_(store(), clock),
      authorizer_(catalogue_, store()),
      issuer_(clock),
      partners_(store(), clock),
      usage_(store()),
      limiter_(clock),
      sessions_(store(), issuer_, authenticator_, authorizer_, clock),
      app_tokens_(store(), issuer_, clock, authorizer_, limiter_, &usage_),
      user_roles_(store(), catalogue_, clock),
      actions_(BuildActions()),
      gateway_(std::move(options.gateway)),
      dispatcher_(actions_, authenticator_, authorizer_, clock, gateway_, options.dispatcher) {
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
  if (usage_flusher_.joinable()) {
    usage_flusher_.request_stop();
    usage_flusher_.join();
  }
  if (Status s = usage_.Flush(); !s.ok()) {
    spdlog::error("app token usage lost at shutdown: {}", s.ToString());
  }
}

api::ActionTable App::BuildActions() const {
  api::ActionTable table;
  api::RegisterSystemActions(table, clock_);
  api::RegisterSessionActions(table, sessions_);
  api::RegisterAppTokenActions(table, app_tokens_);
  api::RegisterUserRoleActions(table, user_roles_, catalogue_);
  return table;
}

Result<std::unique_ptr<App>> App::Open(std::string_view url, const Clock& clock,
                                       AppOptions options) {
  Result<std::unique_ptr<store::Store>> opened = store::OpenStore(url);
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
  auto app = std::make_unique<App>(std::move(backend), clock, std::move(options));
  for (const api::Upstream& upstream : app->gateway().upstreams) {
    for (const std::string& service : upstream.services) {
      if (app->actions().HasService(service)) {
        return InvalidArgumentError("--upstream: ksgate serves \"" + service + "\" itself");
      }
    }
  }
  return app;
}

}  // namespace ksgate::app
