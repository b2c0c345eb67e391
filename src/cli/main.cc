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
#include "cli/serve_settings.h"
#include "common/clock.h"
#include "config/flags.h"

#ifdef KSGATE_MIMALLOC
#include <mimalloc.h>

#include <cstdlib>
#endif

namespace {

// "ksgate 0.1.0 (allocator: mimalloc 2.0.9)". The allocator named is the one that served a
// malloc just now, so a build whose link order left glibc's malloc in charge says so.
std::string VersionLine() {
  std::string line = "ksgate 0.1.0 (allocator: ";
#ifdef KSGATE_MIMALLOC
  void* probe = std::malloc(16);
  const bool ours = mi_is_in_heap_region(probe);
  std::free(probe);
  if (ours) {
    const int v = mi_version();  // 209 for 2.0.9
    return line + "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
           std::to_string(v % 10) + ")";
  }
#endif
  return line + "system malloc)";
}

}  // namespace

int main(int argc, char** argv) {
  // Databases (and their WAL files) hold secrets: whatever ksgate creates is private.
  umask(0077);
  // Logs go to stderr: stdout carries what commands print (JSON, tables, "listening on").
  spdlog::set_default_logger(spdlog::stderr_color_mt("ksgate"));
  CLI::App app{"ksgate: Kaltura-compatible app tokens and sessions"};
  app.require_subcommand(1);
  app.set_version_flag("--version", VersionLine());

  // serve and config check take the same settings (cli/serve_settings.h): a TOML file
  // (--config), KSGATE_* variables, and one flag each.
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve the Kaltura API v3");
  ksgate::config::Flags serve_flags(*serve_cmd, ksgate::cli::ServeSettings());
  CLI::App* config_cmd = app.add_subcommand("config", "Check a configuration");
  config_cmd->require_subcommand(1);
  CLI::App* config_check_cmd = config_cmd->add_subcommand(
      "check", "Check the settings serve would run with and print them as TOML (secrets masked)");
  ksgate::config::Flags config_check_flags(*config_check_cmd, ksgate::cli::ServeSettings());

  std::string migrate_db;
  std::string migrate_config;
  CLI::App* migrate_cmd = app.add_subcommand("migrate", "Apply pending schema migrations");
  migrate_cmd->add_option("--db", migrate_db,
                          "Store URL: sqlite:PATH or postgresql://... (else store.db of --config)");
  migrate_cmd->add_option("--config", migrate_config,
                          "Config file naming the store (store.db; KSGATE_DB overrides it)");

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

  if (*serve_cmd) return ksgate::cli::Serve(serve_flags.ToSources());
  if (*config_check_cmd) return ksgate::cli::ConfigCheck(config_check_flags.ToSources());
  if (*migrate_cmd) return ksgate::cli::MigrateConfigured(migrate_db, migrate_config);
  if (std::optional<int> code = operator_commands.Run()) return *code;
  return 2;
}
