// ksgate: the command line. Parses flags (CLI11) and hands over to commands.h.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "common/clock.h"

int main(int argc, char** argv) {
  // Databases (and their WAL files) hold secrets: whatever ksgate creates is private.
  umask(0077);
  // Logs go to stderr: stdout carries what commands print (JSON, tables, "listening on").
  spdlog::set_default_logger(spdlog::stderr_color_mt("ksgate"));
  CLI::App app{"ksgate: Kaltura-compatible app tokens and sessions"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ksgate 0.1.0");

  ksgate::cli::ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve the Kaltura API v3");
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--db", serve.db, "Store URL: sqlite:PATH")->capture_default_str();
  serve_cmd->add_option("--threads", serve.threads, "I/O threads (default: number of cores)")
      ->check(CLI::Range(1, 256));
  serve_cmd
      ->add_option("--cache-ttl-ms", serve.cache_ttl_ms,
                   "How long cached reads are served (default: 1000; 30000 on PostgreSQL, whose "
                   "change feed applies other nodes' writes at once); 0 = no cache")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}));
  serve_cmd->add_option("--trusted-proxy", serve.trusted_proxies,
                        "Peer address or CIDR whose X-Forwarded-For is believed (repeatable)");
  serve_cmd
      ->add_option("--store-threads", serve.store_threads,
                   "Threads that run what reads from the database (the store executor)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve_cmd
      ->add_option("--store-write-threads", serve.store_write_threads,
                   "Threads that run what writes to the database (apart, so writers never hold "
                   "readers up)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve_cmd
      ->add_option("--store-queue", serve.store_queue,
                   "Requests that may wait for a store thread; more get SERVER_BUSY")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  serve_cmd->add_option("--upstream", serve.upstreams,
                        "SERVICE[,SERVICE...]=http://HOST:PORT[/BASE]: services served behind the "
                        "gate (repeatable)");
  serve_cmd
      ->add_option("--permissions", serve.permissions_file,
                   "Permissions file extending the built-in catalogue (docs/gateway.md)")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--route", serve.routes,
                        "'METHOD /path[*]=service.action' for the authorize endpoint (repeatable, "
                        "first match wins)");
  serve_cmd
      ->add_option("--upstream-signing-key", serve.signing_key_file,
                   "File holding the key (32+ bytes) that signs X-Ksgate-* headers")
      ->check(CLI::ExistingFile);
  serve_cmd
      ->add_option("--upstream-timeout-ms", serve.upstream_timeout_ms,
                   "Bound on each step of an upstream call")
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}))
      ->capture_default_str();
  serve_cmd
      ->add_option("--failure-limit-address", serve.failure_limit_address,
                   "Failed app-token hashes and session.start secrets one client address may "
                   "make: BURST/PER_MINUTE, or 0 for no limit (docs/security.md)")
      ->capture_default_str();
  serve_cmd
      ->add_option("--failure-limit-token", serve.failure_limit_token,
                   "Failed hashes for one app token, from any address: BURST/PER_MINUTE or 0")
      ->capture_default_str();
  serve_cmd
      ->add_option("--failure-limit-partner", serve.failure_limit_partner,
                   "Failed session.start secrets for one partner, from any address: "
                   "BURST/PER_MINUTE or 0")
      ->capture_default_str();
  serve_cmd
      ->add_option("--failure-limit-keys", serve.failure_limit_keys,
                   "Buckets the brute-force limits keep per kind (addresses, tokens, partners)")
      ->check(CLI::Range(int64_t{16}, int64_t{100000000}))
      ->capture_default_str();
  serve_cmd
      ->add_option("--max-answer-bytes", serve.max_answer_bytes,
                   "Bytes of a multirequest's results together; items past it get "
                   "REQUEST_LIMIT_EXCEEDED")
      ->check(CLI::Range(int64_t{1024}, int64_t{1} << 32))
      ->capture_default_str();
  serve_cmd
      ->add_option("--max-connections", serve.max_connections,
                   "Open connections; more are closed at once")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}))
      ->capture_default_str();
  serve_cmd
      ->add_option("--max-connections-per-address", serve.max_connections_per_address,
                   "Open connections per client address (IPv6: per /64; trusted proxies are "
                   "exempt); 0 = no limit")
      ->check(CLI::Range(int64_t{0}, int64_t{10000000}))
      ->capture_default_str();
  serve_cmd
      ->add_option("--first-byte-timeout-ms", serve.first_byte_timeout_ms,
                   "A new connection that sends nothing for this long is closed")
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}))
      ->capture_default_str();
  auto* tls_cert = serve_cmd
                       ->add_option("--tls-cert", serve.tls_cert_file,
                                    "PEM certificate chain: serve HTTPS (with --tls-key)")
                       ->check(CLI::ExistingFile);
  auto* tls_key =
      serve_cmd->add_option("--tls-key", serve.tls_key_file, "PEM private key of --tls-cert")
          ->check(CLI::ExistingFile);
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);
  serve_cmd
      ->add_option("--tls-handshake-timeout-ms", serve.tls_handshake_timeout_ms,
                   "A TLS handshake not over within this of the accept is dropped")
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}))
      ->capture_default_str();

  // --- Observability (docs/operations.md "Logs" to "Health") ---------------------------------
  serve_cmd->add_option("--log-level", serve.log_level, "Server log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  serve_cmd
      ->add_option("--log-format", serve.log_format,
                   "Server log format: text, or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  serve_cmd->add_option("--log-file", serve.log_file,
                        "File the server log is appended to (default: stderr; SIGHUP reopens it)");
  serve_cmd
      ->add_option("--access-log", serve.access_log,
                   "Access log, one JSON line per request: off, stderr or a file path (SIGHUP "
                   "reopens it)")
      ->capture_default_str();
  serve_cmd->add_option("--audit-log", serve.audit_log,
                        "Audit log file: JSON lines of security events (default: none; SIGHUP "
                        "reopens it)");
  serve_cmd->add_option("--audit-key-file", serve.audit_key_file,
                        "File of the audit log's HMAC key (default: the audit log's path + .key, "
                        "created when missing)");
  serve_cmd->add_option("--admin-listen", serve.admin_listen,
                        "HOST:PORT serving /metrics, /healthz and /readyz apart (the main "
                        "listener then answers them 404; default: the main listener serves them)");

  std::string migrate_db;
  CLI::App* migrate_cmd = app.add_subcommand("migrate", "Apply pending schema migrations");
  migrate_cmd->add_option("--db", migrate_db, "Store URL: sqlite:PATH")->required();

  CLI::App* partner_cmd = app.add_subcommand("partner", "Manage partners");
  partner_cmd->require_subcommand(1);
  ksgate::cli::PartnerAddOptions add;
  CLI::App* add_cmd = partner_cmd->add_subcommand("add", "Create a partner with fresh secrets");
  add_cmd->add_option("--db", add.db, "Store URL")->required();
  add_cmd->add_option("--name", add.name, "Partner name")->required();
  add_cmd->add_option("--ks-version", add.ks_version, "KS version the partner issues (1 or 2)")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  add_cmd->add_option("--ks-max-expiry", add.ks_max_expiry, "Longest session.start KS, seconds")
      ->check(CLI::Range(int64_t{1}, ksgate::kMaxRelativeSeconds))
      ->capture_default_str();
  add_cmd->add_flag("--json", add.json, "Print the partner as JSON");

  std::string list_db;
  bool list_json = false;
  CLI::App* list_cmd = partner_cmd->add_subcommand("list", "List partners (secrets not shown)");
  list_cmd->add_option("--db", list_db, "Store URL")->required();
  list_cmd->add_flag("--json", list_json, "Print JSON");

  std::string status_db;
  int64_t status_id = 0;
  CLI::App* block_cmd =
      partner_cmd->add_subcommand("block", "Block a partner: its KSs stop working");
  block_cmd->add_option("--db", status_db, "Store URL")->required();
  block_cmd->add_option("id", status_id, "Partner id")->required();
  CLI::App* unblock_cmd = partner_cmd->add_subcommand("unblock", "Make a blocked partner active");
  unblock_cmd->add_option("--db", status_db, "Store URL")->required();
  unblock_cmd->add_option("id", status_id, "Partner id")->required();

  bool rotate_json = false;
  CLI::App* rotate_cmd = partner_cmd->add_subcommand(
      "rotate-secret", "Make a fresh admin secret the primary; old ones keep verifying");
  rotate_cmd->add_option("--db", status_db, "Store URL")->required();
  rotate_cmd->add_option("id", status_id, "Partner id")->required();
  rotate_cmd->add_flag("--json", rotate_json, "Print JSON");
  CLI::App* retire_cmd = partner_cmd->add_subcommand(
      "retire-secrets", "Drop every admin secret but the primary (their KSs stop working)");
  retire_cmd->add_option("--db", status_db, "Store URL")->required();
  retire_cmd->add_option("id", status_id, "Partner id")->required();

  ksgate::cli::PartnerUpdateOptions update;
  CLI::App* update_cmd = partner_cmd->add_subcommand(
      "update", "Change a partner's settings (each flag optional; the others stay as they are)");
  update_cmd->add_option("--db", update.db, "Store URL")->required();
  update_cmd->add_option("id", update.id, "Partner id")->required();
  // One partner setting: FLAG on|off, the meaning of each value in its help.
  auto add_setting = [&](const char* flag, std::optional<std::string>& target, const char* help) {
    update_cmd->add_option(flag, target, help)->check(CLI::IsMember({"on", "off"}));
  };
  add_setting("--app-token-privilege-ceiling", update.app_token_privilege_ceiling,
              "on: appToken.add/update/rotate refuse a token that grants more than the caller's "
              "role (the admin secret's sessions keep full power); off: Kaltura's behaviour (the "
              "default)");
  add_setting("--app-token-show-once", update.app_token_show_once,
              "on: a token value is returned by appToken.add and appToken.rotate only, never by "
              "get/list/update (nor by apptoken list); off: Kaltura's behaviour (the default)");
  update_cmd
      ->add_option("--user-secret-setrole", update.user_secret_setrole,
                   "deny: session.start with the user secret may not setrole a role above a "
                   "user's (docs/security.md); allow: Kaltura's behaviour (the default)")
      ->check(CLI::IsMember({"allow", "deny"}));
  update_cmd->add_flag("--json", update.json, "Print the settings as JSON");

  CLI::App* apptoken_cmd =
      app.add_subcommand("apptoken", "Inspect and control app tokens (docs/apptokens.md)");
  apptoken_cmd->require_subcommand(1);
  std::string tokens_db;
  int64_t tokens_partner = 0;
  bool tokens_json = false;
  CLI::App* tokens_list_cmd = apptoken_cmd->add_subcommand("list", "List a partner's app tokens");
  tokens_list_cmd->add_option("--db", tokens_db, "Store URL")->required();
  tokens_list_cmd->add_option("--partner", tokens_partner, "Partner id")->required();
  tokens_list_cmd->add_flag("--json", tokens_json,
                            "Print KalturaAppToken JSON (with token values)");

  ksgate::cli::AppTokenTarget enable_target;
  CLI::App* disable_cmd = apptoken_cmd->add_subcommand(
      "disable", "Disable a token: it starts no session and its live KSs stop working");
  CLI::App* enable_cmd = apptoken_cmd->add_subcommand(
      "enable", "Enable a disabled token: sessions and its live KSs work again");
  for (CLI::App* cmd : {disable_cmd, enable_cmd}) {
    cmd->add_option("--db", enable_target.db, "Store URL")->required();
    cmd->add_option("--partner", enable_target.partner_id, "Partner id")->required();
    cmd->add_option("id", enable_target.id, "App token id")->required();
  }

  ksgate::cli::AppTokenRotateOptions rotate_token;
  CLI::App* rotate_token_cmd =
      apptoken_cmd->add_subcommand("rotate", "Give a token a fresh value (same id) and print it");
  rotate_token_cmd->add_option("--db", rotate_token.target.db, "Store URL")->required();
  rotate_token_cmd->add_option("--partner", rotate_token.target.partner_id, "Partner id")
      ->required();
  rotate_token_cmd->add_option("id", rotate_token.target.id, "App token id")->required();
  rotate_token_cmd
      ->add_option("--grace", rotate_token.grace_seconds,
                   "Seconds the old value keeps starting sessions (0: it stops at once)")
      ->check(CLI::Range(int64_t{0}, ksgate::kMaxRelativeSeconds))
      ->capture_default_str();
  rotate_token_cmd->add_flag("--revoke-sessions", rotate_token.revoke_sessions,
                             "Also revoke every KS the token minted so far");
  rotate_token_cmd->add_flag("--json", rotate_token.json,
                             "Print the KalturaAppToken (with its new value) as JSON");

  ksgate::cli::AppTokenRevokeOptions revoke;
  CLI::App* revoke_cmd = apptoken_cmd->add_subcommand(
      "revoke", "Revoke KSs you do not hold: a token's, a user's, or one by its hash");
  revoke_cmd->add_option("--db", revoke.db, "Store URL")->required();
  revoke_cmd->add_option("--partner", revoke.partner_id, "Partner id")->required();
  revoke_cmd->add_option("--token", revoke.token_id,
                         "App token id: revoke every KS it minted before --before");
  revoke_cmd->add_option("--user", revoke.user_id,
                         "User id: revoke every KS of the user issued before --before");
  revoke_cmd->add_option("--ks-hash", revoke.ks_hash,
                         "Revoke one KS by its hash (the \"hash\" of ksgate ks decode)");
  revoke_cmd->add_option("--before", revoke.before,
                         "Unix seconds: revoke KSs issued before this (default: every KS issued "
                         "so far); not with --ks-hash");

  CLI::App* ks_cmd = app.add_subcommand("ks", "Inspect KSs");
  ks_cmd->require_subcommand(1);
  ksgate::cli::KsDecodeOptions decode;
  CLI::App* decode_cmd =
      ks_cmd->add_subcommand("decode", "Verify a KS and print its fields as JSON");
  auto* db_opt =
      decode_cmd->add_option("--db", decode.db, "Store URL to find the partner's secrets");
  auto* secret_opt =
      decode_cmd->add_option("--secret", decode.secret, "Admin secret to verify with");
  db_opt->excludes(secret_opt);
  decode_cmd->add_option("ks", decode.ks, "The KS")->required();

  auto is_command = [&](const char* name) {
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == name) return true;
    }
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::fprintf(stderr, "ksgate: unknown command '%s' (try ksgate --help)\n", argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ksgate: %s\n", e.what());
    return 2;
  }

  if (*serve_cmd) return ksgate::cli::Serve(serve);
  if (*migrate_cmd) return ksgate::cli::Migrate(migrate_db);
  if (*add_cmd) return ksgate::cli::PartnerAdd(add);
  if (*list_cmd) return ksgate::cli::PartnerList(list_db, list_json);
  if (*block_cmd) return ksgate::cli::PartnerSetStatus(status_db, status_id, false);
  if (*unblock_cmd) return ksgate::cli::PartnerSetStatus(status_db, status_id, true);
  if (*rotate_cmd) return ksgate::cli::PartnerRotateSecret(status_db, status_id, rotate_json);
  if (*retire_cmd) return ksgate::cli::PartnerRetireSecrets(status_db, status_id);
  if (*update_cmd) return ksgate::cli::PartnerUpdate(update);
  if (*tokens_list_cmd) return ksgate::cli::AppTokenList(tokens_db, tokens_partner, tokens_json);
  if (*disable_cmd) return ksgate::cli::AppTokenSetEnabled(enable_target, false);
  if (*enable_cmd) return ksgate::cli::AppTokenSetEnabled(enable_target, true);
  if (*rotate_token_cmd) return ksgate::cli::AppTokenRotate(rotate_token);
  if (*revoke_cmd) return ksgate::cli::AppTokenRevoke(revoke);
  if (*decode_cmd) {
    if (!decode.db && !decode.secret) {
      std::fprintf(stderr, "ksgate: ks decode needs --db or --secret\n");
      return 2;
    }
    return ksgate::cli::KsDecode(decode);
  }
  return 2;
}
