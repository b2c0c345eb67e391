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
#include <type_traits>

#include "api/gateway.h"
#include "api/kaltura_types.h"
#include "api/register.h"
#include "api/utf8.h"
#include "api/value.h"
#include "app/app.h"
#include "cli/command_util.h"
#include "cli/commands.h"
#include "common/clock.h"
#include "http/server.h"
#include "ks/ks.h"
#include "store/open_store.h"

namespace ksgate::cli {

namespace {

// What `apptoken list` and `get` say about a token's use.
store::AppTokenUsage UsageOf(const std::map<std::string, store::AppTokenUsage>& usage,
                             const store::AppToken& token) {
  auto it = usage.find(token.id);
  return it == usage.end() ? store::AppTokenUsage{token.id, token.partner_id, 0, 0} : it->second;
}

// The partner's token usage by token id; false (the reason printed) if the store fails.
bool ReadUsage(app::App& app, int64_t partner_id,
               std::map<std::string, store::AppTokenUsage>* out) {
  Result<std::vector<store::AppTokenUsage>> usage = app.store().ListAppTokenUsage(partner_id);
  if (!usage.ok()) {
    Fail("cannot read app token usage: " + usage.error().message());
    return false;
  }
  for (store::AppTokenUsage& u : *usage) out->emplace(u.token_id, std::move(u));
  return true;
}

// A KalturaAppToken (its value when `with_value`) and its usage, as list --json and get --json
// print it.
api::Value TokenToValue(const store::AppToken& token, bool with_value,
                        const store::AppTokenUsage& usage) {
  api::Value v = api::AppTokenToValue(token, with_value);
  v.Add("sessionsStarted", api::Value::Int(usage.sessions_started));
  v.Add("lastSessionAt",
        usage.sessions_started > 0 ? api::Value::Int(usage.last_session_at) : api::Value::Null());
  return v;
}

const char* TokenStatusName(store::AppTokenStatus status) {
  switch (status) {
    case store::AppTokenStatus::kActive:
      return "active";
    case store::AppTokenStatus::kDisabled:
      return "disabled";
    case store::AppTokenStatus::kDeleted:
      return "deleted";
  }
  return "?";
}

// A token for a human: one field a line, never its value.
void PrintToken(const store::AppToken& t, const store::AppTokenUsage& usage) {
  auto line = [](const char* name, const std::string& value) {
    std::printf("  %-24s %s\n", name, value.c_str());
  };
  auto or_none = [](const std::optional<int64_t>& v, const char* none) {
    return v ? std::to_string(*v) : std::string(none);
  };
  std::printf("app token %s (partner %lld)\n", t.id.c_str(), static_cast<long long>(t.partner_id));
  line("status", TokenStatusName(t.status));
  line("hash type", t.hash_type.value_or("SHA256"));
  line("session type",
       t.session_type ? (*t.session_type == 2 ? "ADMIN" : "USER") : "any (the caller's choice)");
  line("session user", t.session_user_id.value_or("(the caller's choice)"));
  line("session duration", or_none(t.session_duration, "(the partner's KS maximum expiry)"));
  line("session privileges", t.session_privileges.value_or(""));
  line("expiry", t.expiry ? UtcTime(*t.expiry) + " UTC" : "never");
  line("description", t.description.value_or(""));
  line("max sessions", or_none(t.max_sessions, "no limit"));
  line("allowed cidrs", t.allowed_cidrs.value_or("any"));
  line("exchanges per minute", or_none(t.exchanges_per_minute, "no limit"));
  line("max session expiry", or_none(t.max_session_expiry, "no limit"));
  if (t.previous_token_until) {
    line("previous value until", UtcTime(*t.previous_token_until) + " UTC");
  }
  if (t.sessions_revoked_before) {
    line("KSs revoked before", UtcTime(*t.sessions_revoked_before) + " UTC");
  }
  line("sessions started", std::to_string(usage.sessions_started));
  line("last session",
       usage.sessions_started > 0 ? UtcTime(usage.last_session_at) + " UTC" : "never");
  line("created", UtcTime(t.created_at) + " UTC");
  line("updated", UtcTime(t.updated_at) + " UTC");
}

// A string flag as the API reads the field: valid UTF-8 without control characters, at most
// `max_length` bytes. False with a one-line error naming the flag.
bool CheckText(const char* flag, const std::optional<std::string>& value, size_t max_length) {
  if (!value) return true;
  if (!api::IsXmlSafeUtf8(*value)) {
    Fail(std::string(flag) + " must be UTF-8 text without control characters");
    return false;
  }
  if (value->size() > max_length) {
    Fail(std::string(flag) + " must be at most " + std::to_string(max_length) + " bytes");
    return false;
  }
  return true;
}

// `fields` as appToken.add/update's KalturaAppToken; 0, or 2 (the reason printed) for bad input.
int ToPatch(const AppTokenFields& fields, services::AppTokenPatch* patch) {
  if (!CheckText("--description", fields.description, api::types::kMaxDescriptionLength) ||
      !CheckText("--session-user-id", fields.session_user_id, api::types::kMaxUserIdLength) ||
      !CheckText("--session-privileges", fields.session_privileges,
                 api::types::kMaxPrivilegesLength) ||
      !CheckText("--allowed-cidrs", fields.allowed_cidrs, api::types::kMaxCidrsLength)) {
    return 2;
  }
  auto set = [](const auto& value, auto* target) {
    if (value) *target = std::remove_reference_t<decltype(*target)>::Of(*value);
  };
  set(fields.description, &patch->description);
  set(fields.session_type, &patch->session_type);
  set(fields.session_user_id, &patch->session_user_id);
  set(fields.session_duration, &patch->session_duration);
  set(fields.session_privileges, &patch->session_privileges);
  set(fields.hash_type, &patch->hash_type);
  set(fields.expiry, &patch->expiry);
  set(fields.max_sessions, &patch->max_sessions);
  set(fields.allowed_cidrs, &patch->allowed_cidrs);
  set(fields.exchanges_per_minute, &patch->exchanges_per_minute);
  set(fields.max_session_expiry, &patch->max_session_expiry);
  for (const std::string& name : fields.clear) {
    auto clear = [&](const auto& value, auto* target) {
      if (value) return false;
      *target = std::remove_reference_t<decltype(*target)>::Null();
      return true;
    };
    bool ok = false;
    if (name == "description") ok = clear(fields.description, &patch->description);
    if (name == "session-type") ok = clear(fields.session_type, &patch->session_type);
    if (name == "session-user-id") ok = clear(fields.session_user_id, &patch->session_user_id);
    if (name == "session-duration") ok = clear(fields.session_duration, &patch->session_duration);
    if (name == "session-privileges") {
      ok = clear(fields.session_privileges, &patch->session_privileges);
    }
    if (name == "hash-type") ok = clear(fields.hash_type, &patch->hash_type);
    if (name == "expiry") ok = clear(fields.expiry, &patch->expiry);
    if (name == "max-sessions") ok = clear(fields.max_sessions, &patch->max_sessions);
    if (name == "allowed-cidrs") ok = clear(fields.allowed_cidrs, &patch->allowed_cidrs);
    if (name == "exchanges-per-minute") {
      ok = clear(fields.exchanges_per_minute, &patch->exchanges_per_minute);
    }
    if (name == "max-session-expiry") {
      ok = clear(fields.max_session_expiry, &patch->max_session_expiry);
    }
    if (!ok) {
      Fail("--clear " + name + ": not a field, or given a value too");
      return 2;
    }
  }
  return 0;
}

}  // namespace

int AppTokenAdd(const AppTokenAddOptions& options) {
  if (!options.fields.clear.empty()) {
    Fail("--clear applies to apptoken update");
    return 2;
  }
  services::AppTokenPatch patch;
  if (int bad = ToPatch(options.fields, &patch); bad != 0) return bad;
  std::unique_ptr<app::App> app = OpenForPartner(options.db, options.partner_id);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().Get(options.partner_id);
  if (!partner.ok()) return FailWith(partner.error(), "cannot read partner");
  Result<store::AppToken, ApiError> token = app->app_tokens().Add(*partner, patch);
  if (!token.ok()) return FailApi(token.error());
  if (options.json) {
    PrintJson(api::AppTokenToValue(*token, true));
    return 0;
  }
  std::printf("app token %s: value %s\n", token->id.c_str(), token->token.c_str());
  PrintToken(*token, {token->id, token->partner_id, 0, 0});
  return 0;
}

int AppTokenUpdate(const AppTokenUpdateOptions& options) {
  const AppTokenTarget& target = options.target;
  services::AppTokenPatch patch;
  if (int bad = ToPatch(options.fields, &patch); bad != 0) return bad;
  const AppTokenFields& f = options.fields;
  if (f.clear.empty() && !f.description && !f.session_type && !f.session_user_id &&
      !f.session_duration && !f.session_privileges && !f.hash_type && !f.expiry &&
      !f.max_sessions && !f.allowed_cidrs && !f.exchanges_per_minute && !f.max_session_expiry) {
    Fail("name at least one field to change or --clear (ksgate apptoken update --help)");
    return 2;
  }
  std::unique_ptr<app::App> app = OpenForPartner(target.db, target.partner_id);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().Get(target.partner_id);
  if (!partner.ok()) return FailWith(partner.error(), "cannot read partner");
  Result<store::AppToken, ApiError> token = app->app_tokens().Update(*partner, target.id, patch);
  if (!token.ok()) return FailApi(token.error());
  std::map<std::string, store::AppTokenUsage> usage;
  if (!ReadUsage(*app, target.partner_id, &usage)) return 1;
  if (target.json) {
    const bool show_value = !partner->settings.app_token_show_once;
    PrintJson(TokenToValue(*token, show_value, UsageOf(usage, *token)));
  } else {
    PrintToken(*token, UsageOf(usage, *token));
  }
  return 0;
}

int AppTokenGet(const AppTokenTarget& target) {
  std::unique_ptr<app::App> app = OpenForPartner(target.db, target.partner_id);
  if (!app) return 1;
  Result<store::AppToken, ApiError> token = app->app_tokens().Get(target.partner_id, target.id);
  if (!token.ok()) return FailApi(token.error());
  std::map<std::string, store::AppTokenUsage> usage;
  if (!ReadUsage(*app, target.partner_id, &usage)) return 1;
  if (target.json) {
    // The value as apptoken list --json shows it: unless the partner's show-once is on.
    const bool show_value = !app->partners().Get(target.partner_id)->settings.app_token_show_once;
    PrintJson(TokenToValue(*token, show_value, UsageOf(usage, *token)));
  } else {
    PrintToken(*token, UsageOf(usage, *token));
  }
  return 0;
}

int AppTokenSetEnabled(const AppTokenTarget& target, bool enabled) {
  std::unique_ptr<app::App> app = OpenForPartner(target.db, target.partner_id);
  if (!app) return 1;
  Result<store::AppToken, ApiError> token =
      app->app_tokens().SetEnabled(target.partner_id, target.id, enabled);
  if (!token.ok()) return FailApi(token.error());
  if (target.json) {
    PrintJson(api::AppTokenToValue(*token, false));
  } else {
    std::printf("app token %s is %s\n", token->id.c_str(), enabled ? "active" : "disabled");
  }
  return 0;
}

int AppTokenDelete(const AppTokenTarget& target) {
  std::unique_ptr<app::App> app = OpenForPartner(target.db, target.partner_id);
  if (!app) return 1;
  Result<Void, ApiError> deleted = app->app_tokens().Delete(target.partner_id, target.id);
  if (!deleted.ok()) return FailApi(deleted.error());
  if (target.json) {
    api::Value v = api::Value::Map();
    v.Add("id", api::Value::String(target.id));
    v.Add("partnerId", api::Value::Int(target.partner_id));
    v.Add("status", api::Value::String("deleted"));
    PrintJson(v);
  } else {
    std::printf("app token %s is deleted: it starts no session and every KS it minted is revoked\n",
                target.id.c_str());
  }
  return 0;
}

int AppTokenRotate(const AppTokenRotateOptions& options) {
  const AppTokenTarget& target = options.target;
  std::unique_ptr<app::App> app = OpenForPartner(target.db, target.partner_id);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().Get(target.partner_id);
  if (!partner.ok()) return FailWith(partner.error(), "cannot read partner");
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
  Result<services::RevokedSessions, ApiError> revoked =
      app->app_tokens().RevokeSessions(options.partner_id, request);
  if (!revoked.ok()) return FailApi(revoked.error());
  if (options.json) {
    api::Value v = api::Value::Map();
    v.Add("revoked", api::Value::String(options.token_id  ? "appToken"
                                        : options.user_id ? "user"
                                                          : "ksHash"));
    v.Add("partnerId", api::Value::Int(options.partner_id));
    if (options.token_id) v.Add("appTokenId", api::Value::String(*options.token_id));
    if (options.user_id) v.Add("userId", api::Value::String(*options.user_id));
    if (revoked->ks_hash) v.Add("ksHash", api::Value::String(*revoked->ks_hash));
    if (revoked->issued_before) v.Add("issuedBefore", api::Value::Int(*revoked->issued_before));
    if (revoked->revoked_until) v.Add("revokedUntil", api::Value::Int(*revoked->revoked_until));
    PrintJson(v);
    return 0;
  }
  const std::string when =
      revoked->issued_before ? "issued before " + UtcTime(*revoked->issued_before) + " UTC" : "";
  if (options.token_id) {
    std::printf("revoked the KSs of app token %s %s\n", options.token_id->c_str(), when.c_str());
  } else if (options.user_id) {
    std::printf("revoked the KSs of user %s %s\n", options.user_id->c_str(), when.c_str());
  } else {
    std::printf("revoked the KS %s\n", revoked->ks_hash->c_str());
  }
  return 0;
}

int AppTokenList(const std::string& db, int64_t partner_id, bool json) {
  std::unique_ptr<app::App> app = OpenForPartner(db, partner_id);
  if (!app) return 1;
  store::AppTokenQuery query;
  query.limit = 0;
  query.order_by = {{store::AppTokenOrderField::kCreatedAt, true}};
  Result<store::AppTokenPage> page = app->store().ListAppTokens(partner_id, query);
  if (!page.ok()) {
    Fail("cannot list app tokens: " + page.error().message());
    return 1;
  }
  std::map<std::string, store::AppTokenUsage> usage;
  if (!ReadUsage(*app, partner_id, &usage)) return 1;
  if (json) {
    api::Value list = api::Value::Array();
    const bool show_values = !app->partners().Get(partner_id)->settings.app_token_show_once;
    for (const store::AppToken& t : page->objects) {
      list.Push(TokenToValue(t, show_values, UsageOf(usage, t)));
    }
    PrintJson(list);
    return 0;
  }
  // The token values are credentials: the table shows ids, settings and usage only.
  std::printf("%-12s %-8s %-7s %-6s %-10s %-12s %-9s %-20s %s\n", "ID", "STATUS", "HASH", "TYPE",
              "DURATION", "EXPIRY", "SESSIONS", "LAST SESSION (UTC)", "DESCRIPTION");
  for (const store::AppToken& t : page->objects) {
    const store::AppTokenUsage u = UsageOf(usage, t);
    std::printf("%-12s %-8s %-7s %-6s %-10lld %-12s %-9lld %-20s %s\n", t.id.c_str(),
                TokenStatusName(t.status), t.hash_type.value_or("SHA256").c_str(),
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
