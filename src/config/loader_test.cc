#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "testing/matchers.h"

namespace ksgate::config {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string NoCommas(std::string_view v) {
  return v.find(',') == std::string_view::npos ? "" : "no commas allowed";
}

// A small table shaped like serve's: every type, a check, a redaction, two sections.
std::vector<Setting> TestSettings() {
  return {
      {.key = "server.listen",
       .flag = "--listen",
       .help = "where",
       .default_value = std::string("127.0.0.1:8080"),
       .check = NoCommas},
      {.key = "server.threads",
       .flag = "--threads",
       .help = "threads",
       .default_value = int64_t{0},
       .min = 0,
       .max = 256},
      {.key = "server.trusted_proxies",
       .flag = "--trusted-proxy",
       .help = "proxies",
       .default_value = List{}},
      {.key = "store.db",
       .flag = "--db",
       .help = "url",
       .default_value = std::string("sqlite:var/ksgate.db"),
       .redact =
           [](std::string_view v) { return v.starts_with("pg:") ? "pg:***" : std::string(v); }},
      {.key = "gateway.upstreams",
       .flag = "--upstream",
       .help = "upstreams",
       .default_value = List{},
       .check =
           [](std::string_view v) {
             return v.find('=') == std::string_view::npos ? std::string("needs '='") : "";
           }},
      {.key = "gateway.secret",
       .flag = "--gate-secret",
       .help = "a secret",
       .default_value = std::string(""),
       .redact = [](std::string_view) { return std::string(kMasked); }},
  };
}

using Env = std::map<std::string, std::string>;

Environment FromMap(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

class LoaderTest : public ::testing::Test {
 protected:
  LoaderTest() {
    char tmpl[] = "/tmp/ksgate-config-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    file_ = dir_ + "/ksgate.toml";
  }
  ~LoaderTest() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& text, const std::string& name = "ksgate.toml") {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  Result<Values> LoadFrom(const std::string& toml, Env env = {},
                          std::map<std::string, Value, std::less<>> flags = {}) {
    Write(toml);
    return Load(settings_, {.file = file_, .env = FromMap(std::move(env)), .flags = flags});
  }

  // The one-line error of a Load that must fail.
  std::string ErrorOf(const Result<Values>& r) {
    EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
    if (r.ok()) return "";
    const std::string message = r.error().message();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }

  const std::vector<Setting> settings_ = TestSettings();
  std::string dir_;
  std::string file_;  // where LoadFrom writes its TOML
};

TEST(Setting, EnvNameDerivesFromTheFlag) {
  const Setting store_threads{.key = "store.threads", .flag = "--store-threads"};
  EXPECT_EQ(store_threads.EnvName(), "KSGATE_STORE_THREADS");
  const Setting listen{.key = "server.listen", .flag = "--listen"};
  EXPECT_EQ(listen.EnvName(), "KSGATE_LISTEN");
  const Setting s{.key = "tls.handshake_timeout_ms"};
  EXPECT_EQ(s.Section(), "tls");
  EXPECT_EQ(s.Name(), "handshake_timeout_ms");
}

TEST_F(LoaderTest, NoSourcesGiveTheDefaults) {
  KSGATE_ASSERT_OK_AND_ASSIGN(Values v, Load(settings_, {}));
  EXPECT_EQ(v.String("server.listen"), "127.0.0.1:8080");
  EXPECT_EQ(v.Int("server.threads"), 0);
  EXPECT_TRUE(v.Strings("server.trusted_proxies").empty());
  EXPECT_EQ(v.SourceOf("server.listen"), Source::kDefault);
}

TEST_F(LoaderTest, FileThenEnvironmentThenFlagsEachOverrideTheLower) {
  const std::string toml =
      "[server]\nlisten = \"0.0.0.0:1\"\nthreads = 2\ntrusted_proxies = [\"10.0.0.1\"]\n"
      "[store]\ndb = \"sqlite:/file.db\"\n";
  KSGATE_ASSERT_OK_AND_ASSIGN(
      Values v, LoadFrom(toml, {{"KSGATE_LISTEN", "0.0.0.0:2"}, {"KSGATE_THREADS", "3"}},
                         {{"server.listen", std::string("0.0.0.0:3")}}));
  EXPECT_EQ(v.String("server.listen"), "0.0.0.0:3");
  EXPECT_EQ(v.SourceOf("server.listen"), Source::kFlag);
  EXPECT_EQ(v.Int("server.threads"), 3);
  EXPECT_EQ(v.SourceOf("server.threads"), Source::kEnv);
  EXPECT_EQ(v.String("store.db"), "sqlite:/file.db");
  EXPECT_EQ(v.SourceOf("store.db"), Source::kFile);
  EXPECT_EQ(v.Strings("server.trusted_proxies"), List{"10.0.0.1"});
  EXPECT_EQ(v.SourceOf("gateway.upstreams"), Source::kDefault);
}

TEST_F(LoaderTest, AHigherSourceReplacesAListWhole) {
  KSGATE_ASSERT_OK_AND_ASSIGN(Values v,
                              LoadFrom("[server]\ntrusted_proxies = [\"10.0.0.1\", \"10.0.0.2\"]\n",
                                       {{"KSGATE_TRUSTED_PROXY", "10.0.0.3"}}));
  EXPECT_EQ(v.Strings("server.trusted_proxies"), List{"10.0.0.3"});
}

TEST_F(LoaderTest, EnvironmentListsSplitAtUnescapedCommas) {
  KSGATE_ASSERT_OK_AND_ASSIGN(
      Values v,
      Load(settings_, {.env = FromMap({{"KSGATE_UPSTREAM",
                                        R"(media\,baseentry=http://a,reports=http://b)"}})}));
  EXPECT_EQ(v.Strings("gateway.upstreams"), (List{"media,baseentry=http://a", "reports=http://b"}));
  EXPECT_EQ(SplitEnvList(R"(a\\,b)"), (List{"a\\", "b"}));
  EXPECT_EQ(SplitEnvList(R"(a\b)"), List{"a\\b"});
  EXPECT_EQ(SplitEnvList(""), List{});
  EXPECT_EQ(SplitEnvList("a,,b"), (List{"a", "", "b"}));
}

TEST_F(LoaderTest, AMissingFileIsAnErrorNamingIt) {
  const std::string missing = dir_ + "/nope.toml";
  const std::string e = ErrorOf(Load(settings_, {.file = missing}));
  EXPECT_EQ(e, "config " + missing + ": cannot read: No such file or directory");
}

TEST_F(LoaderTest, ATomlSyntaxErrorNamesTheLine) {
  const std::string e = ErrorOf(LoadFrom("[server]\nlisten = \"a\"\nthreads = = 2\n"));
  EXPECT_THAT(e, HasSubstr("config " + file_ + ": line 3: "));
}

TEST_F(LoaderTest, UnknownKeysAndSectionsAreErrorsNamingThem) {
  EXPECT_EQ(ErrorOf(LoadFrom("[server]\nlisen = \"x\"\n")),
            "config " + file_ + ": key server.lisen: unknown key");
  EXPECT_EQ(ErrorOf(LoadFrom("[sever]\nlisten = \"x\"\n")),
            "config " + file_ + ": key sever: unknown section");
  EXPECT_EQ(ErrorOf(LoadFrom("listen = \"x\"\n")),
            "config " + file_ + ": key listen: unknown key (did you mean server.listen?)");
  EXPECT_EQ(ErrorOf(LoadFrom("[server.tls]\ncert = \"x\"\n")),
            "config " + file_ + ": key server.tls: unknown key");
  EXPECT_EQ(ErrorOf(LoadFrom("server = 1\n")),
            "config " + file_ + ": key server: expected a [server] table");
}

TEST_F(LoaderTest, ValuesOfTheWrongTypeAreErrorsNamingTheKey) {
  EXPECT_EQ(ErrorOf(LoadFrom("[server]\nthreads = \"2\"\n")),
            "config " + file_ + ": key server.threads: expected an integer, got a string");
  EXPECT_EQ(
      ErrorOf(LoadFrom("[server]\nthreads = 2.5\n")),
      "config " + file_ + ": key server.threads: expected an integer, got a floating-point number");
  EXPECT_EQ(ErrorOf(LoadFrom("[server]\nlisten = 8080\n")),
            "config " + file_ + ": key server.listen: expected a string, got an integer");
  EXPECT_EQ(ErrorOf(LoadFrom("[server]\ntrusted_proxies = \"10.0.0.1\"\n")),
            "config " + file_ +
                ": key server.trusted_proxies: expected an array of strings, got a string");
  EXPECT_EQ(ErrorOf(LoadFrom("[server]\ntrusted_proxies = [\"a\", 1]\n")),
            "config " + file_ +
                ": key server.trusted_proxies: expected an array of strings, got an array "
                "holding an integer");
}

TEST_F(LoaderTest, BadValuesAreErrorsNamingWhereTheyCameFrom) {
  EXPECT_EQ(ErrorOf(LoadFrom("[server]\nthreads = 300\n")),
            "config " + file_ + ": key server.threads: must be between 0 and 256, got 300");
  EXPECT_EQ(ErrorOf(LoadFrom("[server]\nlisten = \"a,b\"\n")),
            "config " + file_ + ": key server.listen: no commas allowed");
  EXPECT_EQ(ErrorOf(LoadFrom("[gateway]\nupstreams = [\"a=b\", \"nope\"]\n")),
            "config " + file_ + ": key gateway.upstreams: needs '='");
  EXPECT_EQ(ErrorOf(LoadFrom("", {{"KSGATE_THREADS", "-1"}})),
            "KSGATE_THREADS: must be between 0 and 256, got -1");
  EXPECT_EQ(ErrorOf(LoadFrom("", {{"KSGATE_THREADS", "two"}})),
            "KSGATE_THREADS: expected an integer, got 'two'");
  EXPECT_EQ(ErrorOf(LoadFrom("", {{"KSGATE_THREADS", ""}})),
            "KSGATE_THREADS: expected an integer, got ''");
  EXPECT_EQ(ErrorOf(LoadFrom("", {{"KSGATE_UPSTREAM", "a=b,c"}})), "KSGATE_UPSTREAM: needs '='");
  EXPECT_EQ(ErrorOf(LoadFrom("", {}, {{"server.listen", std::string("x,y")}})),
            "--listen: no commas allowed");
  EXPECT_EQ(ErrorOf(LoadFrom("", {}, {{"server.threads", std::string("1")}})),
            "--threads: expected integer");
}

TEST_F(LoaderTest, AValidEnvironmentDoesNotExcuseABadFile) {
  // The file is read whole first: its errors stop the load even when a higher source would
  // override the value.
  EXPECT_THAT(ErrorOf(LoadFrom("[server]\nthreads = 999\n", {{"KSGATE_THREADS", "2"}})),
              HasSubstr("key server.threads"));
}

TEST_F(LoaderTest, UnrelatedKsgateVariablesAreIgnored) {
  EXPECT_THAT(LoadFrom("", {{"KSGATE_BIN", "/x"}, {"KSGATE_TEST_DB", "postgres"}}), IsOk());
}

TEST_F(LoaderTest, DescribeNamesTheSourceOfAValue) {
  KSGATE_ASSERT_OK_AND_ASSIGN(
      Values v, LoadFrom("[server]\nlisten = \"0.0.0.0:1\"\n", {{"KSGATE_THREADS", "3"}},
                         {{"store.db", std::string("sqlite:x")}}));
  EXPECT_EQ(v.Describe(settings_[0]), "config " + file_ + ": key server.listen");
  EXPECT_EQ(v.Describe(settings_[1]), "KSGATE_THREADS");
  EXPECT_EQ(v.Describe(settings_[3]), "--db");
  EXPECT_EQ(v.Describe(settings_[4]), "key gateway.upstreams");
}

TEST_F(LoaderTest, ToTomlShowsEverySettingMaskedAndParsesBack) {
  KSGATE_ASSERT_OK_AND_ASSIGN(
      Values v, LoadFrom("[store]\ndb = \"pg://u:pw@h/d\"\n[gateway]\nsecret = \"s3cr3t\"\n"
                         "upstreams = [\"a,b=http://x \\\"q\\\"\"]\n",
                         {{"KSGATE_THREADS", "4"}}));
  const std::string text = ToToml(settings_, v);
  EXPECT_THAT(text, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(text, Not(HasSubstr("pw")));
  EXPECT_THAT(text, HasSubstr("threads = 4  # KSGATE_THREADS\n"));
  EXPECT_THAT(text, HasSubstr("listen = \"127.0.0.1:8080\"  # default\n"));
  EXPECT_THAT(text, HasSubstr("db = \"pg:***\"  # config file\n"));
  EXPECT_THAT(text, HasSubstr("secret = \"***\""));
  EXPECT_LT(text.find("[server]"), text.find("[store]"));
  EXPECT_LT(text.find("[store]"), text.find("[gateway]"));

  // Valid TOML that loads back to the same values (the redacted ones as shown).
  toml::table parsed;
  ASSERT_NO_THROW(parsed = toml::parse(text));
  EXPECT_EQ(parsed["server"]["threads"].value_or(int64_t{0}), 4);
  EXPECT_EQ(parsed["gateway"]["upstreams"][0].value_or(std::string()), "a,b=http://x \"q\"");
  EXPECT_EQ(parsed["server"]["trusted_proxies"].as_array()->size(), 0u);
  const std::string reloaded = Write(text, "effective.toml");
  KSGATE_ASSERT_OK_AND_ASSIGN(Values again, Load(settings_, {.file = reloaded}));
  EXPECT_EQ(again.Strings("gateway.upstreams"), v.Strings("gateway.upstreams"));
  EXPECT_EQ(again.Int("server.threads"), 4);
}

}  // namespace
}  // namespace ksgate::config
