#include "app/audit_log_sink.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <string_view>

#include "common/api_error.h"
#include "common/json_text.h"
#include "obs/log_line.h"
#include "store/blocking.h"

namespace ksgate::app {

namespace {

// The login name of this process's user, or "" if it has none.
std::string UserName() {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buffer[1024];
  if (getpwuid_r(getuid(), &pw, buffer, sizeof(buffer), &found) != 0 || found == nullptr) {
    return "";
  }
  return found->pw_name;
}

}  // namespace

std::string AuditLogSink::Format(const services::AuditEvent& event) const {
  using Kind = services::AuditField::Kind;
  std::string out;
  obs::JsonLine line(&out);
  line.Time("time", obs::NowUnixMicros()).String("event", event.action);
  line.String("outcome", event.error.empty() ? "success" : "failure");
  if (!event.error.empty()) line.String("error", event.error);

  const obs::RequestContext* request = obs::CurrentRequest();
  if (request != nullptr) {
    line.String("request_id", request->request_id);
    if (!request->client_ip.empty()) line.String("client_ip", request->client_ip);
  }
  line.Object("actor");
  if (request == nullptr) {
    line.String("type", "operator").String("user", UserName()).Int("uid", getuid());
  } else if (request->caller_session_type < 0) {
    line.String("type", "anonymous");
  } else {
    line.String("type", "ks")
        .Int("partnerId", request->caller_partner_id)
        .String("userId", request->caller_user_id)
        .Int("sessionType", request->caller_session_type);
    if (!request->caller_app_token_id.empty()) {
      line.String("appTokenId", request->caller_app_token_id);
    }
    line.String("ks", log_.Hmac(request->caller_ks));
  }
  line.Close();

  if (event.partner_id != 0) line.Int("partnerId", event.partner_id);
  if (!event.object_type.empty()) {
    line.Object("object").String("type", event.object_type);
    if (!event.object_id.empty()) line.String("id", event.object_id);
    line.Close();
  }
  auto fields = [&](std::string_view key, const services::AuditFields& list) {
    line.Object(key);
    for (const services::AuditField& f : list) {
      switch (f.kind) {
        case Kind::kString:
          line.String(f.name, f.text);
          break;
        case Kind::kInt:
          line.Int(f.name, f.number);
          break;
        case Kind::kBool:
          line.Bool(f.name, f.number != 0);
          break;
        case Kind::kSecret:
          line.String(f.name, log_.Hmac(f.text));
          break;
        case Kind::kSecretList: {
          std::string array = "[";
          for (const std::string& secret : f.list) {
            if (array.size() > 1) array.push_back(',');
            AppendJsonQuoted(log_.Hmac(secret), &array);
          }
          array.push_back(']');
          line.Raw(f.name, array);
          break;
        }
        case Kind::kNull:
          line.Raw(f.name, "null");
          break;
      }
    }
    line.Close();
  };
  if (event.before) fields("before", *event.before);
  if (event.after) fields("after", *event.after);
  if (!event.details.empty()) fields("details", event.details);
  out.push_back('}');
  return out;
}

void AuditLogSink::Record(const services::AuditEvent& event) {
  if (store::InsideUncommittedBatch()) {
    // On the SQLite writer, inside its batch: what the event reports is durable only once the
    // batch commits. Formatted now (the request's context is this thread's), written once the
    // batch ended: as it is, or, if the batch failed, as the database error it became.
    services::AuditEvent failed = event;
    if (failed.error.empty()) failed.error = errors::kInternalDatabaseError.code;
    store::AfterBatch(
        [this, action = std::string(event.action), done = Format(event),
         lost = Format(failed)](bool committed) { Write(committed ? done : lost, action); });
    return;
  }
  Write(Format(event), event.action);
}

void AuditLogSink::Write(const std::string& line, std::string_view action) {
  const Status s = log_.Write(line);
  if (s.ok()) return;
  if (metrics_ != nullptr) metrics_->CountAuditFailure();
  spdlog::error("audit log: {} (event {} lost)", s.message(), action);
}

}  // namespace ksgate::app
