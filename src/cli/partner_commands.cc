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
  if (!created.ok()) return FailWith(created.error(), "cannot create partner");
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

namespace {

const char* OnOffName(bool on) { return on ? "on" : "off"; }

// A partner as `partner get`/`update`/`list --json` print it: every field and setting, the
// number of admin secrets instead of the secrets.
api::Value PartnerToValue(const store::Partner& p) {
  const store::PartnerSettings& settings = p.settings;
  api::Value v = api::Value::Map();
  v.Add("id", api::Value::Int(p.id));
  v.Add("name", api::Value::String(p.name));
  v.Add("status", api::Value::String(StatusName(p.status)));
  v.Add("ksVersion", api::Value::Int(p.ks_version));
  v.Add("ksMaxExpiry", api::Value::Int(p.ks_max_expiry));
  v.Add("adminSecretCount", api::Value::Int(static_cast<int64_t>(p.admin_secrets.size())));
  v.Add("appTokenPrivilegeCeiling", api::Value::Bool(settings.app_token_privilege_ceiling));
  v.Add("appTokenShowOnce", api::Value::Bool(settings.app_token_show_once));
  v.Add("userSecretSetrole", api::Value::String(SettingName(settings.user_secret_setrole)));
  v.Add("createdAt", api::Value::Int(p.created_at));
  v.Add("updatedAt", api::Value::Int(p.updated_at));
  return v;
}

// The same for a human, one field a line, settings under their flag names.
void PrintPartner(const store::Partner& p) {
  const store::PartnerSettings& settings = p.settings;
  std::printf("partner %lld: %s\n", static_cast<long long>(p.id), p.name.c_str());
  std::printf("  %-28s %s\n", "status", StatusName(p.status));
  std::printf("  %-28s %d\n", "ks-version", p.ks_version);
  std::printf("  %-28s %lld s\n", "ks-max-expiry", static_cast<long long>(p.ks_max_expiry));
  std::printf("  %-28s %zu (the first signs new KSs; each verifies)\n", "admin secrets",
              p.admin_secrets.size());
  std::printf("  %-28s %s\n", "app-token-privilege-ceiling",
              OnOffName(settings.app_token_privilege_ceiling));
  std::printf("  %-28s %s\n", "app-token-show-once", OnOffName(settings.app_token_show_once));
  std::printf("  %-28s %s\n", "user-secret-setrole", SettingName(settings.user_secret_setrole));
  std::printf("  %-28s %s UTC\n", "created", UtcTime(p.created_at).c_str());
  std::printf("  %-28s %s UTC\n", "updated", UtcTime(p.updated_at).c_str());
}

void ShowPartner(const store::Partner& p, bool json) {
  if (json) {
    PrintJson(PartnerToValue(p));
  } else {
    PrintPartner(p);
  }
}

// Opens the app over an existing database; nullptr (the reason printed) otherwise.
std::unique_ptr<app::App> OpenExisting(const std::string& db) {
  if (!DatabaseExists(db)) return nullptr;
  return OpenApp(db);
}

}  // namespace

int PartnerList(const std::string& db, bool json) {
  std::unique_ptr<app::App> app = OpenExisting(db);
  if (!app) return 1;
  Result<std::vector<store::Partner>> partners = app->partners().List();
  if (!partners.ok()) return FailWith(partners.error(), "cannot list partners");
  if (json) {
    api::Value list = api::Value::Array();
    for (const store::Partner& p : *partners) list.Push(PartnerToValue(p));
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

int PartnerGet(const PartnerTarget& target) {
  std::unique_ptr<app::App> app = OpenExisting(target.db);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().Get(target.id);
  if (!partner.ok()) return FailWith(partner.error(), "cannot read partner");
  ShowPartner(*partner, target.json);
  return 0;
}

int PartnerSetStatus(const PartnerTarget& target, bool active) {
  std::unique_ptr<app::App> app = OpenExisting(target.db);
  if (!app) return 1;
  const store::PartnerStatus status =
      active ? store::PartnerStatus::kActive : store::PartnerStatus::kBlocked;
  if (Status s = app->partners().SetStatus(target.id, status); !s.ok()) {
    return FailWith(s, "cannot update partner");
  }
  if (target.json) {
    api::Value v = api::Value::Map();
    v.Add("id", api::Value::Int(target.id));
    v.Add("status", api::Value::String(StatusName(status)));
    PrintJson(v);
  } else {
    std::printf("partner %lld is %s\n", static_cast<long long>(target.id), StatusName(status));
  }
  return 0;
}

int PartnerRotateSecret(const PartnerTarget& target) {
  std::unique_ptr<app::App> app = OpenExisting(target.db);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().RotateAdminSecret(target.id);
  if (!partner.ok()) return FailWith(partner.error(), "cannot rotate");
  const std::string& fresh = partner->admin_secrets.front();
  const size_t count = partner->admin_secrets.size();
  if (target.json) {
    api::Value v = api::Value::Map();
    v.Add("id", api::Value::Int(target.id));
    v.Add("adminSecret", api::Value::String(fresh));
    v.Add("adminSecretCount", api::Value::Int(static_cast<int64_t>(count)));
    PrintJson(v);
  } else {
    std::printf("partner %lld: new primary admin secret %s (%zu secrets verify KSs)\n",
                static_cast<long long>(target.id), fresh.c_str(), count);
  }
  return 0;
}

int PartnerRetireSecrets(const PartnerTarget& target) {
  std::unique_ptr<app::App> app = OpenExisting(target.db);
  if (!app) return 1;
  Result<size_t> retired = app->partners().RetireAdminSecrets(target.id);
  if (!retired.ok()) return FailWith(retired.error(), "cannot retire secrets");
  if (target.json) {
    api::Value v = api::Value::Map();
    v.Add("id", api::Value::Int(target.id));
    v.Add("retired", api::Value::Int(static_cast<int64_t>(*retired)));
    v.Add("adminSecretCount", api::Value::Int(1));
    PrintJson(v);
  } else {
    std::printf("partner %lld: retired %zu old admin secret(s)\n",
                static_cast<long long>(target.id), *retired);
  }
  return 0;
}

int PartnerUpdate(const PartnerUpdateOptions& options) {
  if (!options.name && !options.ks_version && !options.ks_max_expiry &&
      !options.app_token_privilege_ceiling && !options.app_token_show_once &&
      !options.user_secret_setrole) {
    Fail(
        "name at least one change: --name, --ks-version, --ks-max-expiry, "
        "--app-token-privilege-ceiling, --app-token-show-once or --user-secret-setrole (ksgate "
        "partner get shows the partner)");
    return 2;
  }
  services::PartnerUpdate update;
  update.name = options.name;
  update.ks_version = options.ks_version;
  update.ks_max_expiry = options.ks_max_expiry;
  services::PartnerSettingsUpdate& settings = update.settings;
  for (const auto& [flag, value, target] :
       {std::tuple{"--app-token-privilege-ceiling", &options.app_token_privilege_ceiling,
                   &settings.app_token_privilege_ceiling},
        std::tuple{"--app-token-show-once", &options.app_token_show_once,
                   &settings.app_token_show_once}}) {
    if (!*value) continue;
    *target = OnOff(**value);
    if (!*target) {
      Fail(std::string(flag) + " must be on or off, got '" + **value + "'");
      return 2;
    }
  }
  if (options.user_secret_setrole) {
    if (*options.user_secret_setrole == "allow") {
      settings.user_secret_setrole = store::UserSecretSetRole::kAllow;
    } else if (*options.user_secret_setrole == "deny") {
      settings.user_secret_setrole = store::UserSecretSetRole::kDeny;
    } else {
      Fail("--user-secret-setrole must be allow or deny, got '" + *options.user_secret_setrole +
           "'");
      return 2;
    }
  }
  std::unique_ptr<app::App> app = OpenExisting(options.db);
  if (!app) return 1;
  Result<store::Partner> partner = app->partners().Update(options.id, update);
  if (!partner.ok()) return FailWith(partner.error(), "cannot update partner");
  ShowPartner(*partner, options.json);
  return 0;
}

}  // namespace ksgate::cli
