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
#include "cli/operator_flags.h"
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

  std::string migrate_db;
  CLI::App* migrate_cmd = app.add_subcommand("migrate", "Apply pending schema migrations");
  migrate_cmd->add_option("--db", migrate_db, "Store URL: sqlite:PATH or postgresql://...")
      ->required();

  // partner, apptoken, ks.
  ksgate::cli::OperatorCommands operator_commands(app);

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
  if (std::optional<int> code = operator_commands.Run()) return *code;
  return 2;
}
