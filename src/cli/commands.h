// The ksgate subcommands. Each returns the process exit code and writes its own one-line
// error to stderr on failure. main.cc parses flags; these do the work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/failure_limiter.h"

namespace ksgate::cli {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string db = "sqlite:var/ksgate.db";
  int threads = 0;  // 0 = number of cores
  std::vector<std::string> trusted_proxies;
  // How long cached reads (partners, tokens, roles, revocations) may be served; without a
  // change feed (SQLite), changes made by other processes take effect within this. 0 disables
  // the cache; -1 (the default): 1000, or 30000 on PostgreSQL, whose change feed applies other
  // nodes' writes at once.
  int64_t cache_ttl_ms = -1;
  // The store executor (http::ServerOptions::store_threads / store_queue).
  int store_threads = 8;
  int store_write_threads = 4;
  int64_t store_queue = 1024;
  // The gate (docs/gateway.md): "SERVICE[,SERVICE...]=URL" upstreams, an operator's permissions
  // file, "METHOD /path[*]=service.action" routes for the authorize endpoint, the file holding
  // the identity signing key, and the upstream timeout.
  std::vector<std::string> upstreams;
  std::string permissions_file;
  std::vector<std::string> routes;
  std::string signing_key_file;
  int64_t upstream_timeout_ms = 30000;
  // Brute-force limits (services::FailureLimits, docs/security.md), as "BURST/PER_MINUTE" or
  // "0" (off), and the buckets kept per scope.
  std::string failure_limit_address = "100/60";
  std::string failure_limit_token = "1000/600";
  std::string failure_limit_partner = "1000/600";
  int64_t failure_limit_keys = 100000;
  // Bytes of a multirequest's results together (api::DispatcherOptions::max_answer_bytes).
  int64_t max_answer_bytes = 8 * 1024 * 1024;
  // Connections (http::HttpLimits): the global cap, the cap per client address (0: none), how
  // soon a new connection must send its first byte, and how soon a TLS handshake must be over.
  int64_t max_connections = 10000;
  int64_t max_connections_per_address = 256;
  int64_t first_byte_timeout_ms = 5000;
  int64_t tls_handshake_timeout_ms = 10000;
  // Native TLS (both or neither): PEM certificate chain and private key.
  std::string tls_cert_file;
  std::string tls_key_file;

  // --- Observability (docs/operations.md "Logs" to "Health"; cli/observability.h) -----------
  // The server log: its level (trace, debug, info, warn, error), its format (text, or json: one
  // object per line) and its file ("": stderr; SIGHUP reopens it).
  std::string log_level = "info";
  std::string log_format = "text";
  std::string log_file;
  // The access log, one JSON line per request: "off", "stderr", or a file path (SIGHUP
  // reopens it).
  std::string access_log = "stderr";
  // The audit log's file ("": no audit log; SIGHUP reopens it), and the file of its HMAC key
  // ("": the audit log's path + ".key"; created with 32 random bytes when missing).
  std::string audit_log;
  std::string audit_key_file;
  // HOST:PORT of a listener of its own for /metrics, /healthz and /readyz, which the main
  // listener then answers 404 ("": the main listener serves them).
  std::string admin_listen;
};
int Serve(const ServeOptions& options);

int Migrate(const std::string& db);

struct PartnerAddOptions {
  std::string db;
  std::string name;
  int ks_version = 2;
  int64_t ks_max_expiry = 86400;
  bool json = false;
};
int PartnerAdd(const PartnerAddOptions& options);
int PartnerList(const std::string& db, bool json);
// Sets a partner's status ("active" or "blocked").
int PartnerSetStatus(const std::string& db, int64_t id, bool active);
// Admin secret rotation. Rotate: a fresh secret becomes the primary (it signs new KSs); the old
// ones keep verifying the KSs they signed. Retire: drops every secret but the primary, so KSs
// signed with the old ones stop working.
int PartnerRotateSecret(const std::string& db, int64_t id, bool json);
int PartnerRetireSecrets(const std::string& db, int64_t id);

// Lists a partner's app tokens (not deleted) with their usage: sessions started and when the
// last one was (as written by servers, which batch it: up to about a second behind). --json
// prints KalturaAppToken objects, token values included, plus sessionsStarted and lastSessionAt;
// the table leaves the values out.
int AppTokenList(const std::string& db, int64_t partner_id, bool json);

// The app token controls (docs/apptokens.md), acting as the operator (no privilege ceiling).
// Each prints one line (or JSON) and returns 0, 1 for a failure (no such partner or token, the
// store), or 2 for bad input. Token values are printed only by rotate.
struct AppTokenTarget {
  std::string db;
  int64_t partner_id = 0;
  std::string id;
};
// Disables (enabled = false) or enables a token.
int AppTokenSetEnabled(const AppTokenTarget& target, bool enabled);
struct AppTokenRotateOptions {
  AppTokenTarget target;
  int64_t grace_seconds = 0;
  bool revoke_sessions = false;
  bool json = false;
};
// Gives the token a fresh value and prints it.
int AppTokenRotate(const AppTokenRotateOptions& options);
struct AppTokenRevokeOptions {
  std::string db;
  int64_t partner_id = 0;
  std::optional<std::string> token_id;
  std::optional<std::string> user_id;
  std::optional<std::string> ks_hash;
  std::optional<int64_t> before;  // Unix seconds; default: now
};
// Revokes KSs: a token's or a user's minted before `before`, or one by its hash.
int AppTokenRevoke(const AppTokenRevokeOptions& options);

// `ksgate partner update`: a partner's settings, one flag per setting ("on"/"off" values;
// "allow"/"deny" for user_secret_setrole); unset flags leave a setting as it is. Prints the
// settings now in force.
struct PartnerUpdateOptions {
  std::string db;
  int64_t id = 0;
  std::optional<std::string> app_token_privilege_ceiling;
  std::optional<std::string> app_token_show_once;
  std::optional<std::string> user_secret_setrole;
  bool json = false;
};
int PartnerUpdate(const PartnerUpdateOptions& options);

struct KsDecodeOptions {
  std::optional<std::string> db;
  std::optional<std::string> secret;
  std::string ks;
};
int KsDecode(const KsDecodeOptions& options);

// Reads a brute-force limit flag: "BURST/PER_MINUTE" (a burst of at least 1 failure and a
// refill of at least 0 per minute, both integers) or "0" (no limit). False if malformed.
bool ParseRateLimit(const std::string& text, services::RateLimit* out);

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). False if malformed.
bool ParseListen(const std::string& listen, std::string* host, uint16_t* port);

}  // namespace ksgate::cli
