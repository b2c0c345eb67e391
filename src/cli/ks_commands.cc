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
