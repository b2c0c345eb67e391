#include "config/flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "testing/matchers.h"

namespace ksgate::config {
namespace {

using ::testing::HasSubstr;

std::vector<Setting> TestSettings() {
  return {
      {.key = "server.listen",
       .flag = "--listen",
       .help = "where",
       .default_value = std::string("127.0.0.1:8080"),
       .check =
           [](std::string_view v) {
             return v.find(':') == std::string_view::npos ? std::string("must be HOST:PORT") : "";
           }},
      {.key = "server.threads",
       .flag = "--threads",
       .help = "threads",
       .default_value = int64_t{0},
       .min = 0,
       .max = 256},
      {.key = "gateway.routes", .flag = "--route", .help = "routes", .default_value = List{}},
  };
}

class FlagsTest : public ::testing::Test {
 protected:
  // Parses `args` (after the program name); the CLI11 error message, or "" on success.
  std::string Parse(std::vector<std::string> args) {
    std::vector<const char*> argv = {"ksgate"};
    for (const std::string& a : args) argv.push_back(a.c_str());
    try {
      app_.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
      return e.what();
    }
    return "";
  }

  const std::vector<Setting> settings_ = TestSettings();
  CLI::App app_{"test"};
  Flags flags_{app_, settings_};
};

TEST_F(FlagsTest, OnlyGivenFlagsBecomeSources) {
  ASSERT_EQ(Parse({"--threads", "4", "--route", "GET /a=x.y", "--route", "* /b*=x.z"}), "");
  const Sources sources = flags_.ToSources();
  ASSERT_EQ(sources.flags.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(sources.flags.at("server.threads")), 4);
  EXPECT_EQ(std::get<List>(sources.flags.at("gateway.routes")), (List{"GET /a=x.y", "* /b*=x.z"}));
  EXPECT_EQ(sources.flags.count("server.listen"), 0u);
}

TEST_F(FlagsTest, ConfigFlagNamesTheFile) {
  ASSERT_EQ(Parse({"--config", "/etc/ksgate/ksgate.toml"}), "");
  EXPECT_EQ(flags_.ToSources().file, "/etc/ksgate/ksgate.toml");
}

TEST_F(FlagsTest, KsgateConfigVariableNamesTheFileWhenTheFlagDoesNot) {
  ::setenv("KSGATE_CONFIG", "/from/env.toml", 1);
  ASSERT_EQ(Parse({}), "");
  EXPECT_EQ(flags_.ToSources().file, "/from/env.toml");
  ::unsetenv("KSGATE_CONFIG");
}

TEST_F(FlagsTest, BadFlagsFailWithCli11Messages) {
  EXPECT_THAT(Parse({"--threads", "999"}), HasSubstr("--threads"));
  EXPECT_THAT(Parse({"--threads", "999"}), HasSubstr("not in range"));
}

TEST_F(FlagsTest, StringFlagsAreCheckedByTheSetting) {
  const std::string e = Parse({"--listen", "nowhere"});
  EXPECT_THAT(e, HasSubstr("--listen"));
  EXPECT_THAT(e, HasSubstr("must be HOST:PORT"));
}

TEST_F(FlagsTest, HelpNamesTheKeyAndTheEnvironmentVariable) {
  const std::string help = app_.help();
  EXPECT_THAT(help, HasSubstr("--listen"));
  EXPECT_THAT(help, HasSubstr("server.listen, KSGATE_LISTEN"));
  EXPECT_THAT(help, HasSubstr("--config"));
}

}  // namespace
}  // namespace ksgate::config
