#include "cli/observability.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "cli/command_util.h"
#include "obs/server_log.h"

namespace ksgate::cli {

namespace {

// Opens the audit log at `log_path` with the key at `key_path` ("" = beside the log); false
// with a one-line error naming `what`.
bool OpenAudit(const std::string& what, const std::string& log_path, std::string key_path,
               std::unique_ptr<obs::AuditLog>* out) {
  if (key_path.empty()) key_path = obs::DefaultAuditKeyPath(log_path);
  Result<std::unique_ptr<obs::AuditLog>> log = obs::AuditLog::Open(log_path, key_path);
  if (!log.ok()) {
    Fail(what + ": " + log.error().message());
    return false;
  }
  *out = std::move(log).value();
  return true;
}

}  // namespace

ServeObservability::ServeObservability() = default;

ServeObservability::~ServeObservability() { StopAdmin(); }

int ServeObservability::Open(const ServeOptions& options, app::AppOptions* app_options) {
  // Flags first, so that a typo is reported before any file is created.
  if (!options.admin_listen.empty()) {
    std::string host;
    uint16_t port = 0;
    if (!ParseListen(options.admin_listen, &host, &port)) {
      Fail("--admin-listen must be HOST:PORT, got '" + options.admin_listen + "'");
      return 2;
    }
  }
  if (!options.audit_key_file.empty() && options.audit_log.empty()) {
    Fail("--audit-key-file needs --audit-log");
    return 2;
  }
  if (Status s = obs::ConfigureServerLog(
          {.level = options.log_level, .format = options.log_format, .file = options.log_file});
      !s.ok()) {
    const bool flag = s.code() == StatusCode::kInvalidArgument;
    Fail(flag ? s.message() : "--log-file: " + s.message());
    return flag ? 2 : 1;
  }
  if (options.access_log != "off") {
    Result<std::unique_ptr<obs::AccessLog>> log = obs::AccessLog::Open(options.access_log);
    if (!log.ok()) {
      Fail("--access-log: " + log.error().message());
      return 1;
    }
    access_log_ = std::move(log).value();
  }
  if (!options.audit_log.empty()) {
    if (!OpenAudit("--audit-log", options.audit_log, options.audit_key_file, &audit_log_)) {
      return 1;
    }
    audit_sink_ = std::make_unique<app::AuditLogSink>(*audit_log_);
    app_options->audit = audit_sink_.get();
  }
  admin_listen_ = options.admin_listen;
  return 0;
}

const api::RequestHandler& ServeObservability::Wire(app::App& app,
                                                    http::ServerOptions* server_options) {
  app_ = &app;
  obs::Metrics& metrics = app.metrics();
  if (audit_sink_) audit_sink_->set_metrics(&metrics);
  server_options->metrics = &metrics;
  server_options->access_log = access_log_.get();
  if (access_log_) {
    obs::AccessLog* log = access_log_.get();
    metrics.AddReader("ksgate_access_log_dropped_total", "counter",
                      "Access log lines dropped because its buffer was full.", [log] {
                        return std::vector<obs::Sample>{{"", static_cast<double>(log->dropped())}};
                      });
  }
  // The admin paths go to a handler of their own: served here, or 404 when --admin-listen
  // serves them (the API's requests never pass through it).
  main_handler_ = std::make_unique<app::AdminHandler>(
      app, admin_listen_.empty() ? app::AdminPaths::kServe : app::AdminPaths::kHide);
  server_options->admin_handler = main_handler_.get();
  return app.dispatcher();
}

void ServeObservability::AttachServer(const http::Server& server) {
  const http::Server* s = &server;
  obs::Metrics& metrics = app_->metrics();
  metrics.AddReader("ksgate_open_connections", "gauge", "Client connections open now.", [s] {
    return std::vector<obs::Sample>{{"", static_cast<double>(s->open_connections())}};
  });
  metrics.AddReader(
      "ksgate_store_queue_depth", "gauge",
      "Requests queued for, or running on, a store thread now.", [s] {
        return std::vector<obs::Sample>{{"", static_cast<double>(s->store_queue_depth())}};
      });
}

bool ServeObservability::ListenAdmin() {
  if (admin_listen_.empty()) return true;
  http::ServerOptions options;
  ParseListen(admin_listen_, &options.host, &options.port);  // checked by Open
  // A few scrapes and probes: one I/O thread and one store thread (the readiness probe) do.
  options.threads = 1;
  options.store_threads = 1;
  options.store_write_threads = 1;
  options.store_queue = 64;
  options.limits.max_connections = 256;
  options.metrics = &app_->metrics();
  options.access_log = access_log_.get();
  admin_handler_ = std::make_unique<app::AdminHandler>(*app_, app::AdminPaths::kServe);
  admin_server_ = std::make_unique<http::Server>(options, *admin_handler_);
  if (Status s = admin_server_->Listen(); !s.ok()) {
    Fail("cannot listen on --admin-listen " + admin_listen_ + ": " + s.message());
    admin_server_.reset();
    return false;
  }
  admin_host_ = options.host;
  return true;
}

void ServeObservability::RunAdmin() {
  if (!admin_server_) return;
  const std::string shown =
      admin_host_.find(':') != std::string::npos ? "[" + admin_host_ + "]" : admin_host_;
  std::printf("admin listening on %s:%u\n", shown.c_str(),
              static_cast<unsigned>(admin_server_->port()));
  std::fflush(stdout);
  admin_thread_ = std::thread([server = admin_server_.get()] { server->Run(); });
}

void ServeObservability::StopAdmin() {
  if (!admin_server_) return;
  admin_server_->Shutdown();
  if (admin_thread_.joinable()) admin_thread_.join();
  admin_server_.reset();
}

bool CommandAudit(app::AppOptions* options) {
  static std::unique_ptr<obs::AuditLog> log;
  static std::unique_ptr<app::AuditLogSink> sink;
  const char* path = std::getenv("KSGATE_AUDIT_LOG");
  if (path == nullptr || *path == '\0') return true;
  if (!sink) {
    const char* key = std::getenv("KSGATE_AUDIT_KEY_FILE");
    if (!OpenAudit("KSGATE_AUDIT_LOG", path, key != nullptr ? key : "", &log)) return false;
    sink = std::make_unique<app::AuditLogSink>(*log);
  }
  options->audit = sink.get();
  return true;
}

}  // namespace ksgate::cli
