// The ksgate subcommands. Each returns the process exit code and writes its own one-line
// error to stderr on failure. main.cc and operator_flags.cc parse flags; these do the work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"
#include "services/failure_limiter.h"

namespace ksgate::cli {

// What `ksgate serve` is configured with: each field is one setting (cli/serve_settings.cc
// declares its TOML key, flag and KSGATE_* variable), defaults as here.
struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string db = "sqlite:var/ksgate.db";
  int threads = 0;  // 0 = number of cores
  std::vector<std::string> trusted_proxies;
  // How long cached reads (partners, tokens, roles, revocations) may be served; without a
  // change feed (memory:), changes made by other processes take effect within this. 0 disables
  // the cache; -1 (the default): 30000 with a change feed (a SQLite file's, PostgreSQL's),
  // which applies other processes' writes as they come, else 1000.
  int64_t cache_ttl_ms = -1;
  // Entries the cache keeps per kind of record (store::CacheOptions::max_entries): its bound on
  // memory.
  int64_t cache_max_entries = 100000;  // store::kDefaultCacheEntries
  // The store executor (http::ServerOptions::store_threads / store_queue).
  int store_threads = 8;
  // 0: ServeWriteThreads' choice for the store.
  int store_write_threads = 0;
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
  // On SIGTERM or SIGINT, how long requests in flight may take (http::HttpLimits::shutdown_grace).
  int64_t shutdown_grace_ms = 10000;
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

// `ksgate serve`: resolves the settings from `sources` (defaults < config file < KSGATE_*
// variables < flags), opens the store and serves until SIGTERM or SIGINT, then drains requests
// in flight for up to server.shutdown_grace_ms and returns 0. SIGHUP reopens the logs and
// reloads the permissions file, the upstreams and the routes from the same sources (a reload
// that fails logs why and keeps what runs). Returns 2 (a one-line error) for bad settings, 1
// when the store cannot be opened or the port bound.
int Serve(const config::Sources& sources);

// `ksgate config check`: resolves and checks the settings as `serve` would (without opening the
// database, binding the port or loading the TLS files), then prints the effective configuration
// as TOML, secrets masked, and returns 0; or prints the one-line error and returns 2.
int ConfigCheck(const config::Sources& sources);

int Migrate(const std::string& db);
// `ksgate migrate`: the store `db` names, else the one the settings of `config_file` (and the
// KSGATE_* variables) name, as serve would resolve it. 2 (one line) when neither is given or the
// settings are bad.
int MigrateConfigured(const std::string& db, const std::string& config_file);

struct PartnerAddOptions {
  std::string db;
  std::string name;
  int ks_version = 2;
  int64_t ks_max_expiry = 86400;
  bool json = false;
};
int PartnerAdd(const PartnerAddOptions& options);
int PartnerList(const std::string& db, bool json);
// The operator commands on one partner print one line (or one JSON object with --json) and
// return 0, 1 for a failure (no such partner, the store) or 2 for bad input.
struct PartnerTarget {
  std::string db;
  int64_t id = 0;
  bool json = false;
};
// `ksgate partner get`: the partner's fields and settings, never a secret (how many admin
// secrets verify KSs instead).
int PartnerGet(const PartnerTarget& target);
// Sets a partner's status ("active" or "blocked").
int PartnerSetStatus(const PartnerTarget& target, bool active);
// Admin secret rotation. Rotate: a fresh secret becomes the primary (it signs new KSs) and is
// printed; the old ones keep verifying the KSs they signed. Retire: drops every secret but the
// primary, so KSs signed with the old ones stop working.
int PartnerRotateSecret(const PartnerTarget& target);
int PartnerRetireSecrets(const PartnerTarget& target);

// Lists a partner's app tokens (not deleted) with their usage: sessions started and when the
// last one was (as written by servers, which batch it: up to about a second behind). --json
// prints KalturaAppToken objects, token values included, plus sessionsStarted and lastSessionAt;
// the table leaves the values out.
int AppTokenList(const std::string& db, int64_t partner_id, bool json);

// The app token controls (docs/apptokens.md), acting as the operator (no privilege ceiling).
// Each prints one line (or one JSON object with --json) and returns 0, 1 for a failure (no such
// partner or token, the store), or 2 for bad input. Token values are printed only by rotate,
// and by get --json unless the partner's show-once setting is on (as apptoken list).
struct AppTokenTarget {
  std::string db;
  int64_t partner_id = 0;
  std::string id;
  bool json = false;
};
// `ksgate apptoken get`: the token's fields, its exchange policy and its usage.
int AppTokenGet(const AppTokenTarget& target);

// The KalturaAppToken fields `apptoken add` and `update` write, as appToken.add/update do (the
// same bounds; as the operator, so no privilege ceiling): each set one is written, and `clear`
// names fields (by flag, without "--") that update sets to null (hash-type: back to SHA256,
// session-duration: back to the partner's KS maximum expiry).
struct AppTokenFields {
  std::optional<std::string> description;
  std::optional<int> session_type;  // 0 USER, 2 ADMIN
  std::optional<std::string> session_user_id;
  std::optional<int64_t> session_duration;
  std::optional<std::string> session_privileges;
  std::optional<std::string> hash_type;
  std::optional<int64_t> expiry;  // absolute Unix seconds
  std::optional<int64_t> max_sessions;
  std::optional<std::string> allowed_cidrs;
  std::optional<int64_t> exchanges_per_minute;
  std::optional<int64_t> max_session_expiry;
  std::vector<std::string> clear;
};
// The names `clear` accepts.
inline constexpr const char* kClearableAppTokenFields[] = {"description",
                                                           "session-type",
                                                           "session-user-id",
                                                           "session-duration",
                                                           "session-privileges",
                                                           "hash-type",
                                                           "expiry",
                                                           "max-sessions",
                                                           "allowed-cidrs",
                                                           "exchanges-per-minute",
                                                           "max-session-expiry"};
struct AppTokenAddOptions {
  std::string db;
  int64_t partner_id = 0;
  AppTokenFields fields;
  bool json = false;
};
// Adds a token as appToken.add and prints it with its value (which, with the partner's
// show-once setting on, is the only time it is shown, as with appToken.add).
int AppTokenAdd(const AppTokenAddOptions& options);
struct AppTokenUpdateOptions {
  AppTokenTarget target;
  AppTokenFields fields;
};
// Changes a token as appToken.update (at least one field set or cleared) and prints it as get.
int AppTokenUpdate(const AppTokenUpdateOptions& options);
// Disables (enabled = false) or enables a token.
int AppTokenSetEnabled(const AppTokenTarget& target, bool enabled);
// Deletes a token as appToken.delete does: it is gone and every KS it minted is revoked.
int AppTokenDelete(const AppTokenTarget& target);
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
  bool json = false;
};
// Revokes KSs: a token's or a user's minted before `before`, or one by its hash. The one
// implementation of revocation by token: `ks revoke --app-token` calls it too.
int AppTokenRevoke(const AppTokenRevokeOptions& options);

// `ksgate partner update`: a partner's name, KS version, KS maximum expiry and settings, one
// flag each ("on"/"off" values; "allow"/"deny" for user_secret_setrole); unset flags leave a
// field as it is, and at least one is needed (exit 2). Prints the partner as updated.
struct PartnerUpdateOptions {
  std::string db;
  int64_t id = 0;
  std::optional<std::string> name;
  std::optional<int> ks_version;
  std::optional<int64_t> ks_max_expiry;
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

// `ksgate ks revoke`: revokes KSs the operator does not hold, given exactly one of
//  - ks: one KS, verified with its partner's admin secrets first (a KS that does not verify is
//    bad input), revoked as session.end revokes it (its hash, and its session id for a day);
//    "-" reads it from the first line of stdin, which keeps it out of the process list;
//  - session_id (with partner_id): every KS of the partner carrying sessionid:<session_id>,
//    now and later, for as long as any KS issued now can live (SessionService::RevokeSessionId);
//  - app_token (with partner_id): every KS the token minted before `before` (default: so far),
//    through AppTokenRevoke.
// Prints what was revoked; 0, 1 (no such partner or token, the store) or 2 (bad input).
struct KsRevokeOptions {
  std::string db;
  std::optional<std::string> ks;
  std::optional<std::string> session_id;
  std::optional<std::string> app_token;
  std::optional<int64_t> partner_id;
  std::optional<int64_t> before;
  bool json = false;
};
int KsRevoke(const KsRevokeOptions& options);

// Reads a brute-force limit flag: "BURST/PER_MINUTE" (a burst of at least 1 failure and a
// refill of at least 0 per minute, both integers) or "0" (no limit). False if malformed.
bool ParseRateLimit(const std::string& text, services::RateLimit* out);

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). False if malformed.
bool ParseListen(const std::string& listen, std::string* host, uint16_t* port);

}  // namespace ksgate::cli
