// What `ksgate serve` sets up for observability (docs/operations.md "Logs", "Access log",
// "Audit log", "Metrics", "Health"), kept apart from serve.cc: the server log's level, format
// and file; the access log; the audit log and its key; the metrics the HTTP layer and the
// process add; and the admin endpoints, on the main listener or on --admin-listen. Also the
// audit of the one-shot commands (partner, apptoken), configured from the environment.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "api/handler.h"
#include "app/admin_handler.h"
#include "app/app.h"
#include "app/audit_log_sink.h"
#include "cli/commands.h"
#include "http/server.h"
#include "obs/access_log.h"
#include "obs/audit_log.h"

namespace ksgate::cli {

// Everything observability needs while serve runs. Use in this order: Open (then open the App
// with the options it filled), Wire (then make the main server with the handler it returns),
// AttachServer, ListenAdmin, RunAdmin once the main server has said it listens, and StopAdmin
// once the main server's Run has returned. Not thread-safe (serve's thread only).
class ServeObservability {
 public:
  ServeObservability();
  ~ServeObservability();

  // Configures the server log and opens the access and audit logs as the flags say, and adds
  // the audit sink to `app_options`. Returns 0, or the exit code after a one-line error naming
  // the flag: 2 for a malformed flag, 1 for a file that cannot be opened.
  int Open(const ServeOptions& options, app::AppOptions* app_options);

  // Hooks the access log, the metrics and the admin paths' handler (serving them, or 404 when
  // --admin-listen is set) into the main server's options, and returns the handler the main
  // server must serve: the API's. `app` must outlive *this.
  const api::RequestHandler& Wire(app::App& app, http::ServerOptions* server_options);

  // Registers the gauges read from the main server (open connections, store queue); `server`
  // must outlive *this.
  void AttachServer(const http::Server& server);

  // With --admin-listen: binds it. False, with a one-line error, if it cannot listen. True at
  // once without the flag.
  bool ListenAdmin();
  // With --admin-listen: prints "admin listening on HOST:PORT" and serves the admin endpoints
  // there on a thread of their own.
  void RunAdmin();
  // Stops the admin listener (if any) and waits for it.
  void StopAdmin();

 private:
  std::string admin_listen_;
  std::string admin_host_;
  std::unique_ptr<obs::AccessLog> access_log_;
  std::unique_ptr<obs::AuditLog> audit_log_;
  std::unique_ptr<app::AuditLogSink> audit_sink_;
  app::App* app_ = nullptr;
  std::unique_ptr<app::AdminHandler> main_handler_;
  std::unique_ptr<app::AdminHandler> admin_handler_;
  std::unique_ptr<http::Server> admin_server_;
  std::thread admin_thread_;
};

// The one-shot commands' audit: when the environment names an audit log (KSGATE_AUDIT_LOG,
// and optionally KSGATE_AUDIT_KEY_FILE; default: the log's path + ".key"), opens it for the
// rest of the process and sets options->audit, so that partner and token changes made with the
// CLI are audited like the server's. False, with a one-line error, if it cannot be opened.
bool CommandAudit(app::AppOptions* options);

}  // namespace ksgate::cli
