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
#include "cli/serve_settings.h"
#include "common/clock.h"
#include "config/flags.h"

int main(int argc, char** argv) {
  // Databases (and their WAL files) hold secrets: whatever ksgate creates is private.
  umask(0077);
  // Logs go to stderr: stdout carries what commands print (JSON, tables, "listening on").
  spdlog::set_default_logger(spdlog::stderr_color_mt("ksgate"));
  CLI::App app{"ksgate: Kaltura-compatible app tokens and sessions"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ksgate 0.1.0");

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
  migrate_cmd->add_option("--db", migrate_db, "Store URL: sqlite:PATH (else store.db of --config)");
  migrate_cmd->add_option("--config", migrate_config,
                          "Config file naming the store (store.db; KSGATE_DB overrides it)");

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

  if (*serve_cmd) return ksgate::cli::Serve(serve_flags.ToSources());
  if (*config_check_cmd) return ksgate::cli::ConfigCheck(config_check_flags.ToSources());
  if (*migrate_cmd) return ksgate::cli::MigrateConfigured(migrate_db, migrate_config);
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
