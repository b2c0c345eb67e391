#include "cli/operator_flags.h"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/clock.h"

namespace ksgate::cli {

namespace {

constexpr char kDbHelp[] = "Store URL: sqlite:PATH or postgresql://...";
constexpr char kJsonHelp[] = "Print one JSON object instead of text";

}  // namespace

// Every subcommand's flag values, and the subcommands to tell which was given.
struct OperatorCommands::Flags {
  CLI::App* partner_add = nullptr;
  CLI::App* partner_list = nullptr;
  CLI::App* partner_get = nullptr;
  CLI::App* partner_update = nullptr;
  CLI::App* partner_block = nullptr;
  CLI::App* partner_unblock = nullptr;
  CLI::App* partner_rotate = nullptr;
  CLI::App* partner_retire = nullptr;
  CLI::App* token_list = nullptr;
  CLI::App* token_get = nullptr;
  CLI::App* token_disable = nullptr;
  CLI::App* token_enable = nullptr;
  CLI::App* token_rotate = nullptr;
  CLI::App* token_revoke = nullptr;
  CLI::App* token_delete = nullptr;
  CLI::App* token_add = nullptr;
  CLI::App* token_update = nullptr;
  CLI::App* ks_decode = nullptr;
  CLI::App* ks_revoke = nullptr;

  PartnerAddOptions add;
  std::string list_db;
  bool list_json = false;
  PartnerTarget partner;  // get, block, unblock, rotate-secret, retire-secrets
  PartnerUpdateOptions update;
  std::string tokens_db;  // apptoken list
  int64_t tokens_partner = 0;
  bool tokens_json = false;
  AppTokenTarget token;  // get, disable, enable, delete
  AppTokenRotateOptions rotate;
  AppTokenAddOptions token_add_options;
  AppTokenUpdateOptions token_update_options;
  AppTokenRevokeOptions revoke;
  KsDecodeOptions decode;
  KsRevokeOptions ks_revoke_options;
};

namespace {

// The partner id, as a positional argument or --id.
void AddPartnerId(CLI::App* cmd, int64_t& id) {
  cmd->add_option("id,--id", id, "Partner id (as an argument or --id N)")->required();
}

// --db, --partner and the token id (positional or --id) of a command on one app token.
void AddTokenTarget(CLI::App* cmd, AppTokenTarget& target) {
  cmd->add_option("--db", target.db, kDbHelp)->required();
  cmd->add_option("--partner", target.partner_id, "Partner id")->required();
  cmd->add_option("id,--id", target.id, "App token id (as an argument or --id ID)")->required();
}

// The KalturaAppToken fields of apptoken add and update; `update` adds --clear.
void AddTokenFields(CLI::App* cmd, AppTokenFields& t, bool update) {
  cmd->add_option("--description", t.description, "Description (at most 4096 bytes)");
  cmd->add_option("--session-type", t.session_type,
                  "Type of the KSs it mints: 0 (USER) or 2 (ADMIN); unset: the startSession "
                  "caller's choice")
      ->check(CLI::IsMember({0, 2}));
  cmd->add_option("--session-user-id", t.session_user_id,
                  "User of the KSs it mints; unset: the startSession caller's choice");
  cmd->add_option("--session-duration", t.session_duration,
                  "Longest KS it mints, in seconds (default: the partner's KS maximum expiry)");
  cmd->add_option("--session-privileges", t.session_privileges,
                  "Privileges of the KSs it mints, e.g. setrole:PLAYBACK_BASE_ROLE");
  cmd->add_option("--hash-type", t.hash_type,
                  "Hash of startSession's tokenHash: SHA1, MD5, SHA256 (the default) or SHA512")
      ->check(CLI::IsMember({"SHA1", "MD5", "SHA256", "SHA512"}));
  cmd->add_option("--expiry", t.expiry,
                  "When the token expires, in absolute Unix seconds (unset: never)");
  cmd->add_option("--max-sessions", t.max_sessions,
                  "Exchange policy: sessions it may ever start (then APP_TOKEN_USAGE_EXCEEDED)");
  cmd->add_option("--allowed-cidrs", t.allowed_cidrs,
                  "Exchange policy: comma-separated addresses and CIDR blocks the exchange must "
                  "come from (else APP_TOKEN_IP_NOT_ALLOWED)");
  cmd->add_option("--exchanges-per-minute", t.exchanges_per_minute,
                  "Exchange policy: exchanges a minute, per node (then ACTION_BLOCKED)");
  cmd->add_option("--max-session-expiry", t.max_session_expiry,
                  "Exchange policy: longest KS an exchange gives, in seconds, asked for or not");
  if (update) {
    cmd->add_option("--clear", t.clear,
                    "A field to set to null, by its flag name without -- (e.g. max-sessions); "
                    "repeatable")
        ->check(CLI::IsMember(std::vector<std::string>(std::begin(kClearableAppTokenFields),
                                                       std::end(kClearableAppTokenFields))));
  }
}

void AddPartnerCommands(CLI::App& app, OperatorCommands::Flags& f) {
  CLI::App* partner = app.add_subcommand("partner", "Manage partners");
  partner->require_subcommand(1);

  f.partner_add = partner->add_subcommand("add", "Create a partner with fresh secrets");
  f.partner_add->add_option("--db", f.add.db, kDbHelp)->required();
  f.partner_add->add_option("--name", f.add.name, "Partner name (1 to 256 bytes)")->required();
  f.partner_add
      ->add_option("--ks-version", f.add.ks_version, "KS version the partner issues (1 or 2)")
      ->check(CLI::IsMember({1, 2}))
      ->capture_default_str();
  f.partner_add
      ->add_option("--ks-max-expiry", f.add.ks_max_expiry,
                   "Longest KS session.start issues, in seconds (at most 10 years)")
      ->check(CLI::Range(int64_t{1}, kMaxRelativeSeconds))
      ->capture_default_str();
  f.partner_add->add_flag("--json", f.add.json,
                          "Print the partner, with its secrets, as one JSON object");

  f.partner_list = partner->add_subcommand("list", "List partners (secrets not shown)");
  f.partner_list->add_option("--db", f.list_db, kDbHelp)->required();
  f.partner_list->add_flag("--json", f.list_json, "Print a JSON array of partners");

  f.partner_get = partner->add_subcommand(
      "get", "Show a partner's fields and settings (how many admin secrets, never a secret)");
  f.partner_block = partner->add_subcommand("block", "Block a partner: its KSs stop working");
  f.partner_unblock = partner->add_subcommand("unblock", "Make a blocked partner active");
  f.partner_rotate = partner->add_subcommand(
      "rotate-secret",
      "Make a fresh admin secret the primary and print it; old ones keep verifying");
  f.partner_retire = partner->add_subcommand(
      "retire-secrets", "Drop every admin secret but the primary (their KSs stop working)");
  for (CLI::App* cmd :
       {f.partner_get, f.partner_block, f.partner_unblock, f.partner_rotate, f.partner_retire}) {
    cmd->add_option("--db", f.partner.db, kDbHelp)->required();
    AddPartnerId(cmd, f.partner.id);
    cmd->add_flag("--json", f.partner.json, kJsonHelp);
  }

  PartnerUpdateOptions& u = f.update;
  f.partner_update = partner->add_subcommand(
      "update",
      "Change a partner's name, KS settings or ksgate settings (each flag optional, at least "
      "one; the others stay as they are) and print the partner");
  CLI::App* cmd = f.partner_update;
  cmd->add_option("--db", u.db, kDbHelp)->required();
  AddPartnerId(cmd, u.id);
  cmd->add_option("--name", u.name, "New partner name (1 to 256 bytes)");
  cmd->add_option("--ks-version", u.ks_version,
                  "KS version of the KSs issued from now on (1 or 2); KSs issued before keep "
                  "verifying")
      ->check(CLI::IsMember({1, 2}));
  cmd->add_option("--ks-max-expiry", u.ks_max_expiry,
                  "Longest KS issued from now on, in seconds (1 to 10 years): caps session.start, "
                  "widget sessions and app tokens without a sessionDuration")
      ->check(CLI::Range(int64_t{1}, kMaxRelativeSeconds));
  cmd->add_option("--app-token-privilege-ceiling", u.app_token_privilege_ceiling,
                  "on: appToken.add/update/rotate refuse a token that grants more than the "
                  "caller's role (the admin secret's sessions keep full power); off: Kaltura's "
                  "behaviour (the default)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--app-token-show-once", u.app_token_show_once,
                  "on: a token value is returned by appToken.add and appToken.rotate only, never "
                  "by get/list/update (nor by apptoken list/get); off: Kaltura's behaviour (the "
                  "default)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--user-secret-setrole", u.user_secret_setrole,
                  "deny: session.start with the user secret may not setrole a role above a "
                  "user's (docs/security.md); allow: Kaltura's behaviour (the default)")
      ->check(CLI::IsMember({"allow", "deny"}));
  cmd->add_flag("--json", u.json, kJsonHelp);
}

void AddAppTokenCommands(CLI::App& app, OperatorCommands::Flags& f) {
  CLI::App* apptoken =
      app.add_subcommand("apptoken", "Inspect and control app tokens (docs/apptokens.md)");
  apptoken->require_subcommand(1);

  f.token_list = apptoken->add_subcommand("list", "List a partner's app tokens and their usage");
  f.token_list->add_option("--db", f.tokens_db, kDbHelp)->required();
  f.token_list->add_option("--partner", f.tokens_partner, "Partner id")->required();
  f.token_list->add_flag("--json", f.tokens_json,
                         "Print a JSON array of KalturaAppToken objects with their usage (token "
                         "values unless the partner's show-once setting is on)");

  f.token_get = apptoken->add_subcommand(
      "get", "Show one app token: its fields, exchange policy and usage (never its value as text)");
  f.token_disable = apptoken->add_subcommand(
      "disable", "Disable a token: it starts no session and its live KSs stop working");
  f.token_enable = apptoken->add_subcommand(
      "enable", "Enable a disabled token: sessions and its live KSs work again");
  f.token_delete = apptoken->add_subcommand(
      "delete", "Delete a token as appToken.delete does: every KS it minted is revoked");
  for (CLI::App* cmd : {f.token_get, f.token_disable, f.token_enable, f.token_delete}) {
    AddTokenTarget(cmd, f.token);
  }
  f.token_get->add_flag("--json", f.token.json,
                        "Print the KalturaAppToken and its usage as one JSON object (with the "
                        "token value unless the partner's show-once setting is on)");
  for (CLI::App* cmd : {f.token_disable, f.token_enable}) {
    cmd->add_flag("--json", f.token.json,
                  "Print the KalturaAppToken as one JSON object (without its value)");
  }
  f.token_delete->add_flag("--json", f.token.json, kJsonHelp);

  AppTokenAddOptions& a = f.token_add_options;
  f.token_add = apptoken->add_subcommand(
      "add", "Add a token as appToken.add (as the operator) and print it with its value");
  f.token_add->add_option("--db", a.db, kDbHelp)->required();
  f.token_add->add_option("--partner", a.partner_id, "Partner id")->required();
  AddTokenFields(f.token_add, a.fields, false);
  f.token_add->add_flag("--json", a.json,
                        "Print the KalturaAppToken, with its value, as one JSON object");

  AppTokenUpdateOptions& up = f.token_update_options;
  f.token_update = apptoken->add_subcommand(
      "update",
      "Change a token's fields and exchange policy as appToken.update (each flag optional, at "
      "least one) and print it");
  AddTokenTarget(f.token_update, up.target);
  AddTokenFields(f.token_update, up.fields, true);
  f.token_update->add_flag("--json", up.target.json,
                           "Print the KalturaAppToken as one JSON object (its value unless the "
                           "partner's show-once setting is on)");

  AppTokenRotateOptions& r = f.rotate;
  f.token_rotate =
      apptoken->add_subcommand("rotate", "Give a token a fresh value (same id) and print it");
  AddTokenTarget(f.token_rotate, r.target);
  f.token_rotate
      ->add_option("--grace", r.grace_seconds,
                   "Seconds the old value keeps starting sessions (0: it stops at once)")
      ->check(CLI::Range(int64_t{0}, kMaxRelativeSeconds))
      ->capture_default_str();
  f.token_rotate->add_flag("--revoke-sessions", r.revoke_sessions,
                           "Also revoke every KS the token minted so far");
  f.token_rotate->add_flag("--json", r.json,
                           "Print the KalturaAppToken (with its new value) as one JSON object");

  AppTokenRevokeOptions& v = f.revoke;
  f.token_revoke = apptoken->add_subcommand(
      "revoke", "Revoke KSs you do not hold: a token's, a user's, or one by its hash");
  CLI::App* cmd = f.token_revoke;
  cmd->add_option("--db", v.db, kDbHelp)->required();
  cmd->add_option("--partner", v.partner_id, "Partner id")->required();
  cmd->add_option("--token", v.token_id, "App token id: revoke every KS it minted before --before");
  cmd->add_option("--user", v.user_id,
                  "User id: revoke every KS of the user issued before --before");
  cmd->add_option("--ks-hash", v.ks_hash,
                  "Revoke one KS by its hash (the \"hash\" of ksgate ks decode)");
  cmd->add_option("--before", v.before,
                  "Unix seconds: revoke KSs issued before this (default: every KS issued so "
                  "far); not with --ks-hash");
  cmd->add_flag("--json", v.json, "Print what was revoked as one JSON object");
}

void AddKsCommands(CLI::App& app, OperatorCommands::Flags& f) {
  CLI::App* ks = app.add_subcommand("ks", "Inspect and revoke KSs");
  ks->require_subcommand(1);

  f.ks_decode = ks->add_subcommand("decode", "Verify a KS and print its fields as JSON");
  auto* db = f.ks_decode->add_option("--db", f.decode.db,
                                     "Store URL to find the partner's secrets (and tell whether "
                                     "the KS is revoked)");
  auto* secret =
      f.ks_decode->add_option("--secret", f.decode.secret, "Admin secret to verify with");
  db->excludes(secret);
  f.ks_decode->add_option("ks", f.decode.ks, "The KS")->required();

  KsRevokeOptions& o = f.ks_revoke_options;
  f.ks_revoke = ks->add_subcommand(
      "revoke",
      "Revoke KSs you do not hold: one KS, every KS of a session id, or every KS minted from an "
      "app token (exactly one of --ks, --session-id, --app-token)");
  CLI::App* cmd = f.ks_revoke;
  cmd->add_option("--db", o.db, kDbHelp)->required();
  cmd->add_option("--ks", o.ks,
                  "A KS, verified with its partner's admin secrets, then revoked as session.end "
                  "revokes it (with its session id, for a day); - reads it from stdin");
  cmd->add_option("--session-id", o.session_id,
                  "With --partner: revoke every KS carrying sessionid:<ID>, issued so far or "
                  "later (an app token's KSs carry its id), for 10 years");
  cmd->add_option("--app-token", o.app_token,
                  "With --partner: revoke every KS the app token minted before --before (as "
                  "apptoken revoke --token)");
  cmd->add_option("--partner", o.partner_id, "Partner id (with --session-id or --app-token)");
  cmd->add_option("--before", o.before,
                  "With --app-token: Unix seconds; revoke KSs issued before this (default: every "
                  "KS issued so far)");
  cmd->add_flag("--json", o.json, "Print what was revoked as one JSON object");
}

}  // namespace

OperatorCommands::OperatorCommands(CLI::App& app) : flags_(std::make_unique<Flags>()) {
  AddPartnerCommands(app, *flags_);
  AddAppTokenCommands(app, *flags_);
  AddKsCommands(app, *flags_);
}

OperatorCommands::~OperatorCommands() = default;

std::optional<int> OperatorCommands::Run() const {
  const Flags& f = *flags_;
  if (*f.partner_add) return PartnerAdd(f.add);
  if (*f.partner_list) return PartnerList(f.list_db, f.list_json);
  if (*f.partner_get) return PartnerGet(f.partner);
  if (*f.partner_update) return PartnerUpdate(f.update);
  if (*f.partner_block) return PartnerSetStatus(f.partner, false);
  if (*f.partner_unblock) return PartnerSetStatus(f.partner, true);
  if (*f.partner_rotate) return PartnerRotateSecret(f.partner);
  if (*f.partner_retire) return PartnerRetireSecrets(f.partner);
  if (*f.token_list) return AppTokenList(f.tokens_db, f.tokens_partner, f.tokens_json);
  if (*f.token_get) return AppTokenGet(f.token);
  if (*f.token_disable) return AppTokenSetEnabled(f.token, false);
  if (*f.token_enable) return AppTokenSetEnabled(f.token, true);
  if (*f.token_delete) return AppTokenDelete(f.token);
  if (*f.token_add) return AppTokenAdd(f.token_add_options);
  if (*f.token_update) return AppTokenUpdate(f.token_update_options);
  if (*f.token_rotate) return AppTokenRotate(f.rotate);
  if (*f.token_revoke) return AppTokenRevoke(f.revoke);
  if (*f.ks_decode) {
    if (!f.decode.db && !f.decode.secret) {
      std::fprintf(stderr, "ksgate: ks decode needs --db or --secret\n");
      return 2;
    }
    return KsDecode(f.decode);
  }
  if (*f.ks_revoke) return KsRevoke(f.ks_revoke_options);
  return std::nullopt;
}

}  // namespace ksgate::cli
