#include "obs/access_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::obs {
namespace {

std::string Path(std::string_view target) {
  std::string out;
  AppendLoggablePath(target, &out);
  return out;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AccessLog, FormatsEveryField) {
  AccessRecord r;
  r.start_unix_micros = 1'700'000'000'000'001;
  r.request_id = "r\"1";
  r.client_ip = "192.0.2.9";
  r.method = "POST";
  r.target = "/api_v3/service/multirequest?ks=X";
  r.status = 200;
  r.action = "multirequest";
  r.items = 3;
  r.partner_id = 12;
  r.app_token_id = "0_tok";
  r.code = "ok";
  r.bytes_out = 512;
  r.latency_us = 345;
  EXPECT_EQ(AccessLog::FormatForTesting(r),
            "{\"time\":\"2023-11-14T22:13:20.000001Z\",\"request_id\":\"r\\\"1\","
            "\"client_ip\":\"192.0.2.9\",\"method\":\"POST\","
            "\"path\":\"/api_v3/service/multirequest\",\"status\":200,"
            "\"action\":\"multirequest\",\"items\":3,\"partner_id\":12,"
            "\"app_token_id\":\"0_tok\",\"code\":\"ok\",\"bytes_out\":512,\"latency_us\":345}\n");
}

TEST(AccessLog, LeavesOutFieldsThatDoNotApply) {
  AccessRecord r;
  r.method = "GET";
  r.target = "/healthz";
  r.status = 200;
  r.code = "none";
  const std::string line = AccessLog::FormatForTesting(r);
  EXPECT_EQ(line.find("\"action\""), std::string::npos);
  EXPECT_EQ(line.find("\"items\""), std::string::npos);
  EXPECT_EQ(line.find("\"partner_id\""), std::string::npos);
  EXPECT_EQ(line.find("\"app_token_id\""), std::string::npos);
}

TEST(AccessLog, WritesAppendedLinesToItsFile) {
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log, AccessLog::Open(path));
  AccessRecord r;
  r.method = "GET";
  r.target = "/healthz";
  r.status = 200;
  r.code = "ok";
  for (int i = 0; i < 100; ++i) log->Append(r);
  log->Flush();
  const std::string text = ReadAll(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 100);
  EXPECT_EQ(log->dropped(), 0u);
}

TEST(AccessLog, WritesWithoutBeingAskedSoon) {
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log, AccessLog::Open(path));
  AccessRecord r;
  r.method = "GET";
  log->Append(r);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ReadAll(path).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(ReadAll(path).empty());
}

TEST(AccessLog, DropsAndCountsLinesThatDoNotFit) {
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  AccessRecord r;
  r.method = "GET";
  const size_t line = AccessLog::FormatForTesting(r).size();
  // Room for two lines: the writer cannot drain faster than a tight loop appends 1000.
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log, AccessLog::Open(path, 2 * line));
  for (int i = 0; i < 1000; ++i) log->Append(r);
  log->Flush();
  const std::string text = ReadAll(path);
  const auto written = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
  EXPECT_GT(log->dropped(), 0u);
  EXPECT_EQ(written + log->dropped(), 1000u);
}

TEST(AccessLog, WritesWhatIsBufferedWhenDestroyed) {
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  {
    KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log, AccessLog::Open(path));
    AccessRecord r;
    r.method = "GET";
    for (int i = 0; i < 10; ++i) log->Append(r);
  }
  const std::string text = ReadAll(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 10);
}

TEST(AccessLog, ReopenStartsANewFileAfterRotation) {
  testing::ScratchDir dir;
  const std::filesystem::path path = dir.path() / "access.log";
  const std::filesystem::path rotated = dir.path() / "access.log.1";
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log, AccessLog::Open(path.string()));
  AccessRecord r;
  r.method = "GET";
  log->Append(r);
  log->Flush();
  std::filesystem::rename(path, rotated);
  log->Append(r);
  log->Flush();  // still to the renamed file: it is the same open file
  EXPECT_THAT(ReopenLogFiles(), testing::IsOk());
  log->Append(r);
  log->Append(r);
  log->Flush();
  const std::string old_text = ReadAll(rotated);
  const std::string new_text = ReadAll(path);
  EXPECT_EQ(std::count(old_text.begin(), old_text.end(), '\n'), 2);
  EXPECT_EQ(std::count(new_text.begin(), new_text.end(), '\n'), 2);
}

TEST(AccessLog, ALongTargetIsLoggedAsItsPathWould) {
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log, AccessLog::Open(path));
  const std::string long_pairs = "/api_v3/service/session/action/get/ks/" + std::string(3000, 'k');
  const std::string long_first = "/" + std::string(3000, 'x') + "/y";
  for (const std::string& target : {long_pairs, long_first}) {
    AccessRecord r;
    r.method = "GET";
    r.target = target;
    r.request_id = "long";
    log->Append(r);
  }
  log->Flush();
  const std::string text = ReadAll(path);
  EXPECT_NE(text.find("\"path\":\"" + Path(long_pairs) + "\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"path\":\"" + Path(long_first) + "\""), std::string::npos) << text;
  EXPECT_EQ(Path(long_pairs), "/api_v3/service/session/action/get/...");
  EXPECT_EQ(Path(long_first), "/*/...");
}

TEST(AccessLog, AFileThatCannotBeOpenedIsAnError) {
  EXPECT_THAT(AccessLog::Open("/nonexistent-dir/access.log"),
              testing::StatusIs(StatusCode::kUnavailable));
}

}  // namespace
}  // namespace ksgate::obs
