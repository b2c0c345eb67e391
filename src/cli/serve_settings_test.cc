#include "cli/serve_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/loader.h"
#include "testing/matchers.h"

namespace ksgate::cli {
namespace {

using ::ksgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class ServeSettingsTest : public ::testing::Test {
 protected:
  ServeSettingsTest() {
    char tmpl[] = "/tmp/ksgate-serve-settings.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~ServeSettingsTest() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // The values of a config file `toml` (and `env`), which must load.
  config::Values Load(const std::string& toml, std::map<std::string, std::string> env = {}) {
    config::Sources sources{.file = Write("ksgate.toml", toml)};
    sources.env = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    Result<config::Values> values = config::Load(ServeSettings(), sources);
    EXPECT_THAT(values, ::ksgate::testing::IsOk());
    return values.ok() ? *values : config::Values();
  }

  std::string dir_;
};

TEST_F(ServeSettingsTest, KeysFlagsAndVariablesAreUniqueAndInTheDocumentedSections) {
  std::set<std::string> keys, flags, envs;
  const std::set<std::string> sections = {"server", "store", "cache", "gateway",
                                          "limits", "tls",   "log",   "admin"};
  for (const config::Setting& s : ServeSettings()) {
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_TRUE(flags.insert(s.flag).second) << s.flag;
    EXPECT_TRUE(envs.insert(s.EnvName()).second) << s.EnvName();
    EXPECT_TRUE(sections.count(std::string(s.Section()))) << s.key;
    EXPECT_FALSE(s.help.empty()) << s.key;
    EXPECT_TRUE(s.flag.starts_with("--")) << s.flag;
  }
  EXPECT_TRUE(envs.count("KSGATE_LISTEN"));
  EXPECT_TRUE(envs.count("KSGATE_UPSTREAM"));
}

TEST_F(ServeSettingsTest, DefaultsAreServeOptionsDefaults) {
  KSGATE_ASSERT_OK_AND_ASSIGN(config::Values values, config::Load(ServeSettings(), {}));
  const ServeOptions got = ServeOptionsFrom(values);
  const ServeOptions want;
  EXPECT_EQ(got.listen, want.listen);
  EXPECT_EQ(got.db, want.db);
  EXPECT_EQ(got.threads, want.threads);
  EXPECT_EQ(got.cache_ttl_ms, want.cache_ttl_ms);
  EXPECT_EQ(got.cache_max_entries, want.cache_max_entries);
  EXPECT_EQ(got.store_queue, want.store_queue);
  EXPECT_EQ(got.failure_limit_address, want.failure_limit_address);
  EXPECT_EQ(got.max_connections, want.max_connections);
  EXPECT_EQ(got.shutdown_grace_ms, want.shutdown_grace_ms);
  EXPECT_EQ(got.tls_handshake_timeout_ms, want.tls_handshake_timeout_ms);
}

// SQLite's writes run on its writer thread (ServerOptions::store_writer): one write thread is
// kept, idle.
TEST(StoreWriteThreads, ZeroChoosesOneForSqliteAndAFewForOtherStores) {
  ServeOptions o;
  EXPECT_EQ(o.store_write_threads, 0);
  o.db = "sqlite:var/ksgate.db";
  EXPECT_EQ(StoreWriteThreads(o), 1);
  o.db = "postgresql://db/ksgate";
  EXPECT_EQ(StoreWriteThreads(o), 4);
  o.db = "memory:";
  EXPECT_EQ(StoreWriteThreads(o), 4);
  o.store_write_threads = 7;
  EXPECT_EQ(StoreWriteThreads(o), 7);
  o.db = "sqlite:var/ksgate.db";
  EXPECT_EQ(StoreWriteThreads(o), 7);
}

TEST_F(ServeSettingsTest, EverySettingReachesItsField) {
  const std::string perms = Write("perms.ini", "");
  const config::Values values = Load(
      "[server]\nlisten = \"[::1]:9\"\nthreads = 3\ntrusted_proxies = [\"10.0.0.0/8\"]\n"
      "shutdown_grace_ms = 250\n"
      "[store]\ndb = \"sqlite:/x.db\"\nthreads = 5\nwrite_threads = 6\nqueue = 7\n"
      "[cache]\nttl_ms = 0\nmax_entries = 4\n"
      "[gateway]\nupstreams = [\"media=http://a:1\"]\nroutes = [\"GET /a=media.list\"]\n"
      "permissions = \"" +
      perms +
      "\"\nupstream_timeout_ms = 8\n"
      "[limits]\nfailure_limit_address = \"0\"\nfailure_limit_token = \"5/1\"\n"
      "failure_limit_partner = \"6/2\"\nfailure_limit_keys = 17\nmax_answer_bytes = 2048\n"
      "max_connections = 9\nmax_connections_per_address = 0\nfirst_byte_timeout_ms = 11\n"
      "[tls]\nhandshake_timeout_ms = 12\n");
  const ServeOptions o = ServeOptionsFrom(values);
  EXPECT_EQ(o.listen, "[::1]:9");
  EXPECT_EQ(o.threads, 3);
  EXPECT_THAT(o.trusted_proxies, ElementsAre("10.0.0.0/8"));
  EXPECT_EQ(o.shutdown_grace_ms, 250);
  EXPECT_EQ(o.db, "sqlite:/x.db");
  EXPECT_EQ(o.store_threads, 5);
  EXPECT_EQ(o.store_write_threads, 6);
  EXPECT_EQ(o.store_queue, 7);
  EXPECT_EQ(o.cache_ttl_ms, 0);
  EXPECT_EQ(o.cache_max_entries, 4);
  EXPECT_THAT(o.upstreams, ElementsAre("media=http://a:1"));
  EXPECT_THAT(o.routes, ElementsAre("GET /a=media.list"));
  EXPECT_EQ(o.permissions_file, perms);
  EXPECT_EQ(o.upstream_timeout_ms, 8);
  EXPECT_EQ(o.failure_limit_address, "0");
  EXPECT_EQ(o.failure_limit_token, "5/1");
  EXPECT_EQ(o.failure_limit_partner, "6/2");
  EXPECT_EQ(o.failure_limit_keys, 17);
  EXPECT_EQ(o.max_answer_bytes, 2048);
  EXPECT_EQ(o.max_connections, 9);
  EXPECT_EQ(o.max_connections_per_address, 0);
  EXPECT_EQ(o.first_byte_timeout_ms, 11);
  EXPECT_EQ(o.tls_handshake_timeout_ms, 12);
}

TEST_F(ServeSettingsTest, ChecksNameTheKeyAndTheReason) {
  auto error = [&](const std::string& toml) -> std::string {
    Result<config::Values> r = config::Load(ServeSettings(), {.file = Write("bad.toml", toml)});
    EXPECT_FALSE(r.ok()) << toml;
    return r.ok() ? "" : r.error().message();
  };
  const std::string where = "config " + dir_ + "/bad.toml: key ";
  EXPECT_THAT(error("[server]\nlisten = \"8080\"\n"),
              HasSubstr(where + "server.listen: must be HOST:PORT"));
  EXPECT_THAT(error("[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n"),
              HasSubstr(where + "server.trusted_proxies: "));
  EXPECT_THAT(
      error("[store]\ndb = \"mysql://u:pw@h/d\"\n"),
      HasSubstr(where + "store.db: unknown store URL \"mysql://u:****@h/d\": use sqlite:PATH"));
  EXPECT_THAT(error("[store]\ndb = \"mysql://u:pw@h/d\"\n"), Not(HasSubstr("pw")));
  EXPECT_THAT(error("[gateway]\nupstreams = [\"media\"]\n"),
              HasSubstr(where + "gateway.upstreams: "));
  EXPECT_THAT(error("[gateway]\nroutes = [\"GET /a\"]\n"), HasSubstr(where + "gateway.routes: "));
  EXPECT_THAT(error("[gateway]\npermissions = \"/nonexistent/perms.ini\"\n"),
              HasSubstr(where + "gateway.permissions: no such file: /nonexistent/perms.ini"));
  EXPECT_THAT(error("[limits]\nfailure_limit_token = \"fast\"\n"),
              HasSubstr(where + "limits.failure_limit_token: must be BURST/PER_MINUTE"));
  EXPECT_THAT(error("[limits]\nmax_connections = 0\n"),
              HasSubstr(where + "limits.max_connections: must be between 1 and 10000000, got 0"));
  EXPECT_THAT(error("[tls]\ncert = \"" + dir_ + "\"\n"), HasSubstr(where + "tls.cert: not a file"));
}

TEST_F(ServeSettingsTest, TheDatabasePasswordIsMaskedInTheEffectiveConfiguration) {
  const config::Values values = Load("[store]\ndb = \"postgresql://ks:Pa55word@db:5432/ks\"\n");
  const std::string text = config::ToToml(ServeSettings(), values);
  EXPECT_THAT(text, Not(HasSubstr("Pa55word")));
  EXPECT_THAT(text, HasSubstr("db = \"postgresql://ks:****@db:5432/ks\""));
}

TEST_F(ServeSettingsTest, TlsCertificateAndKeyGoTogether) {
  const std::string pem = Write("x.pem", "x");
  EXPECT_EQ(CheckServeValues(Load("")), "");
  EXPECT_EQ(CheckServeValues(Load("[tls]\ncert = \"" + pem + "\"\nkey = \"" + pem + "\"\n")), "");
  EXPECT_THAT(CheckServeValues(Load("[tls]\ncert = \"" + pem + "\"\n")),
              HasSubstr("key tls.cert: needs tls.key too"));
  EXPECT_EQ(CheckServeValues(Load("", {{"KSGATE_TLS_KEY", pem}})),
            "KSGATE_TLS_KEY: needs KSGATE_TLS_CERT too");
}

TEST_F(ServeSettingsTest, AReloadNamesTheFixedSettingsThatChangedOnly) {
  const config::Values running = Load("[server]\nthreads = 2\n");
  const config::Values next =
      Load("[server]\nthreads = 4\nlisten = \"0.0.0.0:1\"\n[gateway]\nroutes = [\"GET /a=x.y\"]\n");
  EXPECT_THAT(FixedSettingsChanged(running, next), ElementsAre("server.listen", "server.threads"));
  EXPECT_THAT(FixedSettingsChanged(running, running), IsEmpty());
}

TEST_F(ServeSettingsTest, GateFilesAreLoadedAndTheirErrorsNameTheKey) {
  const std::string perms = Write("perms.ini", "[permission MEDIA_READ]\nactions = media.list\n");
  const std::string key = Write("key", std::string(40, 'k') + "\n");
  KSGATE_ASSERT_OK_AND_ASSIGN(
      GateFiles files,
      LoadGateFiles(Load("[gateway]\npermissions = \"" + perms + "\"\nsigning_key_file = \"" + key +
                         "\"\nupstreams = [\"media=http://a:1\"]\n"),
                    true));
  ASSERT_TRUE(files.catalogue.has_value());
  EXPECT_TRUE(files.catalogue->Find("MEDIA_READ").has_value());
  EXPECT_EQ(files.gateway.signing_key, std::string(40, 'k'));
  ASSERT_EQ(files.gateway.upstreams.size(), 1u);

  const std::string bad = Write("bad.ini", "[permission X]\nnonsense\n");
  EXPECT_THAT(
      LoadGateFiles(Load("[gateway]\npermissions = \"" + bad + "\"\n"), true),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("key gateway.permissions: " + bad + ": ")));
  const std::string short_key = Write("short", "abc");
  EXPECT_THAT(
      LoadGateFiles(Load("", {{"KSGATE_UPSTREAM_SIGNING_KEY", short_key}}), true),
      StatusIs(StatusCode::kInvalidArgument,
               HasSubstr("KSGATE_UPSTREAM_SIGNING_KEY: " + short_key + ": the key must be")));
  // A reload does not read the signing key.
  EXPECT_THAT(LoadGateFiles(Load("", {{"KSGATE_UPSTREAM_SIGNING_KEY", short_key}}), false),
              ::ksgate::testing::IsOk());
}

// docs/operations.md lists every setting with its flag and variable.
TEST(ServeSettingsDocs, OperationsGuideListsEverySetting) {
  std::ifstream in(std::string(KSGATE_SOURCE_DIR) + "/docs/operations.md");
  ASSERT_TRUE(in) << "docs/operations.md not found";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (const config::Setting& s : ServeSettings()) {
    const std::string row = "| `" + s.key + "` | `" + s.flag + "` | `" + s.EnvName() + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/operations.md lacks the row " << row;
  }
}

}  // namespace
}  // namespace ksgate::cli
