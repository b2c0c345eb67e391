#include "cli/command_util.h"

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
#include "cli/observability.h"
#include "common/clock.h"
#include "http/server.h"
#include "ks/ks.h"
#include "store/open_store.h"

namespace ksgate::cli {

void Fail(const std::string& message) { std::fprintf(stderr, "ksgate: %s\n", message.c_str()); }

bool DatabaseExists(const std::string& url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.rfind(kSqlite, 0) != 0) return true;
  std::string path = url.substr(kSqlite.size());
  if (path == ":memory:" || std::filesystem::exists(path)) return true;
  Fail("no database at " + path + " (create it with: ksgate migrate --db " + url + ")");
  return false;
}

std::unique_ptr<app::App> OpenApp(const std::string& url, app::AppOptions options) {
  Result<std::unique_ptr<app::App>> opened =
      app::App::Open(url, SystemClock::Instance(), std::move(options));
  if (!opened.ok()) {
    Fail(opened.error().message());
    return nullptr;
  }
  return std::move(opened).value();
}

std::unique_ptr<app::App> OpenApp(const std::string& url) {
  app::AppOptions options{.follow_changes = false};
  if (!CommandAudit(&options)) return nullptr;
  return OpenApp(url, std::move(options));
}

int FailWith(const Status& s, const std::string& doing) {
  Fail(s.code() == StatusCode::kNotFound ? s.message() : doing + ": " + s.message());
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

void PrintJson(const api::Value& value) {
  std::string out;
  api::AppendJson(value, &out);
  std::printf("%s\n", out.c_str());
}

std::string UtcTime(int64_t t) {
  const std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

const char* StatusName(store::PartnerStatus status) {
  return status == store::PartnerStatus::kActive ? "active" : "blocked";
}

const char* SettingName(store::UserSecretSetRole setting) {
  return setting == store::UserSecretSetRole::kDeny ? "deny" : "allow";
}

bool ReadFile(const std::string& flag, const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Fail(flag + " " + path + ": cannot read the file");
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *out = std::move(text).str();
  return true;
}

bool ParseCount(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 12) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size() && *out >= 0;
}

std::optional<bool> OnOff(const std::string& value) {
  if (value == "on") return true;
  if (value == "off") return false;
  return std::nullopt;
}

std::unique_ptr<app::App> OpenForPartner(const std::string& db, int64_t partner_id) {
  if (!DatabaseExists(db)) return nullptr;
  std::unique_ptr<app::App> app = OpenApp(db);
  if (!app) return nullptr;
  if (Result<store::Partner> partner = app->partners().Get(partner_id); !partner.ok()) {
    FailWith(partner.error(), "cannot read partner");
    return nullptr;
  }
  return app;
}

int FailApi(const ApiError& error) {
  Fail(error.message);
  for (const ErrorDef* bad_input :
       {&errors::kInvalidFieldValue, &errors::kMissingMandatoryParameter,
        &errors::kPropertyValidationMinValue, &errors::kPropertyValidationMaxValue,
        &errors::kPropertyValidationMinLength, &errors::kPropertyValidationMaxLength,
        &errors::kPropertyValidationWrongFormat, &errors::kInvalidKs}) {
    if (error.code == bad_input->code) return 2;
  }
  return 1;
}

}  // namespace ksgate::cli
