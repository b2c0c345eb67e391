#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
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

namespace {

// `ks revoke --ks`: verifies the KS with its partner's secrets, then revokes it as session.end.
int RevokeOneKs(const KsRevokeOptions& options) {
  std::string ks = *options.ks;
  if (ks == "-") {
    // From stdin: a KS on the command line shows in the process list.
    if (!std::getline(std::cin, ks) || ks.empty()) {
      Fail("--ks -: no KS on the first line of stdin");
      return 2;
    }
    if (!ks.empty() && ks.back() == '\r') ks.pop_back();
  }
  // Never print the KS itself: it is a credential.
  Result<int64_t> partner_id = ks::PeekPartnerId(ks);
  if (!partner_id.ok()) {
    Fail("--ks is not a KS");
    return 2;
  }
  if (!DatabaseExists(options.db)) return 1;
  std::unique_ptr<app::App> app = OpenApp(options.db);
  if (!app) return 1;
  Result<services::Caller, ApiError> caller = app->authenticator().Parse(ks);
  if (!caller.ok()) {
    if (caller.error().code != errors::kInvalidKs.code) return FailApi(caller.error());
    Fail("--ks does not verify with the admin secrets of partner " + std::to_string(*partner_id) +
         " (or there is no such partner): nothing revoked");
    return 2;
  }
  Result<services::EndedSession, ApiError> ended = app->sessions().End(*caller);
  if (!ended.ok()) return FailApi(ended.error());
  const int64_t now = app->clock().NowSeconds();
  if (options.json) {
    api::Value v = api::Value::Map();
    v.Add("revoked", api::Value::String("ks"));
    v.Add("partnerId", api::Value::Int(caller->partner_id()));
    v.Add("ksHash", api::Value::String(ended->ks_hash));
    v.Add("validUntil", api::Value::Int(ended->ks_valid_until));
    v.Add("expired", api::Value::Bool(ended->ks_valid_until <= now));
    if (ended->session_id) {
      v.Add("sessionId", api::Value::String(*ended->session_id));
      v.Add("sessionIdRevokedUntil", api::Value::Int(ended->session_id_revoked_until));
    }
    PrintJson(v);
    return 0;
  }
  std::printf("revoked the KS %s of partner %lld (valid until %s UTC)\n", ended->ks_hash.c_str(),
              static_cast<long long>(caller->partner_id()), UtcTime(ended->ks_valid_until).c_str());
  if (ended->session_id) {
    std::printf("and, as session.end does, every KS of session id %s until %s UTC\n",
                ended->session_id->c_str(), UtcTime(ended->session_id_revoked_until).c_str());
  }
  return 0;
}

// `ks revoke --session-id`: every KS of the partner carrying that session id.
int RevokeSessionId(const KsRevokeOptions& options) {
  std::unique_ptr<app::App> app = OpenForPartner(options.db, *options.partner_id);
  if (!app) return 1;
  Result<int64_t, ApiError> until =
      app->sessions().RevokeSessionId(*options.partner_id, *options.session_id);
  if (!until.ok()) {
    if (until.error().code == errors::kInvalidFieldValue.code) {
      Fail("--session-id must be 1 to " + std::to_string(services::kMaxSessionIdLength) + " bytes");
      return 2;
    }
    return FailApi(until.error());
  }
  if (options.json) {
    api::Value v = api::Value::Map();
    v.Add("revoked", api::Value::String("sessionId"));
    v.Add("partnerId", api::Value::Int(*options.partner_id));
    v.Add("sessionId", api::Value::String(*options.session_id));
    v.Add("revokedUntil", api::Value::Int(*until));
    PrintJson(v);
    return 0;
  }
  std::printf("revoked every KS of partner %lld with session id %s, until %s UTC\n",
              static_cast<long long>(*options.partner_id), options.session_id->c_str(),
              UtcTime(*until).c_str());
  return 0;
}

}  // namespace

int KsRevoke(const KsRevokeOptions& options) {
  const int given =
      (options.ks ? 1 : 0) + (options.session_id ? 1 : 0) + (options.app_token ? 1 : 0);
  if (given != 1) {
    Fail("name exactly one of --ks, --session-id and --app-token");
    return 2;
  }
  if (options.ks) {
    if (options.partner_id) {
      Fail("--partner is not used with --ks: the KS names its partner");
      return 2;
    }
    if (options.before) {
      Fail("--before applies to --app-token only");
      return 2;
    }
    return RevokeOneKs(options);
  }
  if (!options.partner_id) {
    Fail(std::string(options.session_id ? "--session-id" : "--app-token") + " needs --partner");
    return 2;
  }
  if (options.session_id) {
    if (options.before) {
      Fail("--before applies to --app-token only");
      return 2;
    }
    return RevokeSessionId(options);
  }
  // One implementation of revocation by token: apptoken revoke --token.
  AppTokenRevokeOptions by_token;
  by_token.db = options.db;
  by_token.partner_id = *options.partner_id;
  by_token.token_id = options.app_token;
  by_token.before = options.before;
  by_token.json = options.json;
  return AppTokenRevoke(by_token);
}

}  // namespace ksgate::cli
