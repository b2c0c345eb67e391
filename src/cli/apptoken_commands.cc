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
#include "common/clock.h"
#include "http/server.h"
#include "ks/ks.h"
#include "store/open_store.h"

namespace ksgate::cli {

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

}  // namespace ksgate::cli
