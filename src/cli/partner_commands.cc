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

}  // namespace ksgate::cli
