#include "obs/access_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/json_text.h"
#include "obs/log_line.h"
#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::obs {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AccessLog, NeverWritesAKsWhereverItIsInTheTarget) {
  const std::string ks = "djJ8MTAyfGSecretKsBytesThatMustNeverBeLogged0123456789abcdef";
  for (const std::string& target : {
           "/api_v3/service/media/action/list?ks=" + ks,                    // the query's start
           "/api_v3/service/media/action/list?format=1&ks=" + ks + "&x=1",  // its middle
           "/api_v3/service/media/action/list?format=1&ks=" + ks,           // its end
           "/api_v3/service/media/action/list/ks/" + ks,                    // a path pair
           "/api_v3/ks/" + ks + "/service/media/action/list",
           "/api_v3/service/media/action/list#" + ks,
           "/ksgate/v1/authorize/api_v3/ks/" + ks,
           "/" + ks,
           "/" + ks + "/x",
           "/x/" + ks,
       }) {
    EXPECT_EQ(LoggablePath(target).find("Secret"), std::string::npos) << target;
    EXPECT_EQ(
        AccessLog::FormatForTesting(AccessRecord{.method = "GET", .target = target}).find("Secret"),
        std::string::npos)
        << target;
  }
}

TEST(AccessLog, EscapesAKeptFirstSegment) {
  const std::string line =
      AccessLog::FormatForTesting(AccessRecord{.method = "GET", .target = "/a\"b\\c?ks=x"});
  EXPECT_NE(line.find("\"path\":\"/a\\\"b\\\\c\","), std::string::npos) << line;
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

// The text of `value` in a line: escaped as AppendJsonEscaped escapes it.
std::string Escaped(std::string_view value) {
  std::string out;
  AppendJsonEscaped(value, &out);
  return out;
}

TEST(AccessLog, EscapesEachStringFieldWhateverItsLength) {
  // Bytes to escape at every offset of values as long as the 16-byte blocks the plain test
  // reads and longer, in every string field.
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; at += 3) {
      std::string value(length, 'v');
      value[at] = "\"\\\n\x01\x80"[at % 5];
      AccessRecord r;
      r.request_id = value;
      r.client_ip = value;
      r.method = value;
      r.target = "/healthz";
      r.action = value;
      r.app_token_id = value;
      r.code = value;
      const std::string line = AccessLog::FormatForTesting(r);
      for (const char* key :
           {"request_id", "client_ip", "method", "action", "app_token_id", "code"}) {
        ASSERT_NE(line.find(std::string("\"") + key + "\":\"" + Escaped(value) + "\""),
                  std::string::npos)
            << key << " " << length << " " << at << ": " << line;
      }
      ASSERT_TRUE(line.ends_with("}\n")) << line;
      ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
    }
  }
}

TEST(AccessLog, TheLongestLineFitsItsRoom) {
  // Every string at its limit (64 KiB - 1, the rest cut) of bytes that escape to 6 each.
  const std::string huge(70000, '\x01');
  AccessRecord r;
  r.start_unix_micros = -1;  // before 1970: the longest time the clock gives
  r.request_id = huge;
  r.client_ip = huge;
  r.method = huge;
  std::string target(26, '/');  // "/~~~...~/" and the huge rest (not "/" + ...: GCC 12 -Wrestrict)
  target.replace(1, 24, std::string(24, '~'));
  target += huge;
  r.target = target;
  r.status = INT32_MIN;
  r.action = "multirequest";
  r.items = UINT64_MAX;
  r.partner_id = INT64_MIN;
  r.app_token_id = huge;
  r.code = huge;
  r.bytes_out = UINT64_MAX;
  r.latency_us = INT64_MIN;
  const std::string line = AccessLog::FormatForTesting(r);
  const std::string escaped = Escaped(huge.substr(0, 0xffff));
  EXPECT_EQ(escaped.size(), 6u * 0xffff);
  EXPECT_NE(line.find("\"code\":\"" + escaped + "\""), std::string::npos);
  EXPECT_NE(line.find("\"path\":\"/" + std::string(24, '~') + "/...\""), std::string::npos);
  EXPECT_TRUE(line.ends_with(",\"latency_us\":-9223372036854775808}\n")) << line.substr(0, 100);
  // The writer thread writes the same line, twice, in the room it makes for them.
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log,
                              AccessLog::Open(path, 4 * 1024 * 1024));
  log->Append(r);
  log->Append(r);
  log->Flush();
  EXPECT_EQ(log->dropped(), 0u);
  EXPECT_TRUE(ReadAll(path) == line + line);
}

TEST(AccessLog, WritesNumbersAsDecimal) {
  for (const int64_t n :
       {int64_t{0}, int64_t{7}, int64_t{10}, int64_t{99}, int64_t{100}, int64_t{101}, int64_t{999},
        int64_t{1000}, int64_t{65535}, int64_t{1234567}, int64_t{-1}, int64_t{-10}, int64_t{-100},
        INT64_MAX, INT64_MIN, INT64_MAX / 10, INT64_MIN / 10 + 1}) {
    AccessRecord r;
    r.method = "GET";
    r.status = static_cast<int>(n);
    r.partner_id = n;
    r.latency_us = n;
    r.bytes_out = static_cast<uint64_t>(n);
    r.action = "multirequest";
    r.items = static_cast<size_t>(n);
    const std::string line = AccessLog::FormatForTesting(r);
    const std::string text = std::to_string(n);
    EXPECT_NE(line.find("\"status\":" + std::to_string(static_cast<int>(n)) + ","),
              std::string::npos)
        << line;
    for (const char* key : {"items", "bytes_out", "latency_us"}) {
      EXPECT_NE(line.find(std::string("\"") + key + "\":" + text), std::string::npos)
          << key << ": " << line;
    }
    if (n != 0) {
      EXPECT_NE(line.find("\"partner_id\":" + text + ","), std::string::npos) << line;
    }
  }
}

// The time field of each line of `text`.
std::vector<std::string> Times(const std::string& text) {
  std::vector<std::string> times;
  for (size_t at = text.find("\"time\":\""); at != std::string::npos;
       at = text.find("\"time\":\"", at + 1)) {
    const size_t begin = at + 8;
    times.push_back(text.substr(begin, text.find('"', begin) - begin));
  }
  return times;
}

std::string TimeText(int64_t unix_micros) {
  std::string out;
  AppendTime(unix_micros, &out);
  return out;
}

TEST(AccessLog, TheTimeOfEachLineIsItsOwnAcrossSeconds) {
  // The writer makes the date and time of day once per second: lines of one batch in the same
  // second, the next one, the one before (I/O threads queue out of order), across a day and a
  // year, and before 1970.
  const int64_t second = 1'735'689'599;  // 2024-12-31T23:59:59Z
  const int64_t starts[] = {second * 1000000 + 999999,
                            (second + 1) * 1000000,
                            second * 1000000 + 1,
                            (second + 1) * 1000000 + 500000,
                            (second - 86400) * 1000000,
                            (second + 1) * 1000000 + 999999,
                            -1,
                            -1000001,
                            second * 1000000};
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log, AccessLog::Open(path));
  AccessRecord r;
  r.method = "GET";
  for (const int64_t start : starts) {
    r.start_unix_micros = start;
    log->Append(r);
  }
  log->Flush();
  const std::vector<std::string> times = Times(ReadAll(path));
  ASSERT_EQ(times.size(), std::size(starts));
  for (size_t i = 0; i < times.size(); ++i) EXPECT_EQ(times[i], TimeText(starts[i])) << i;
  EXPECT_EQ(times[0], "2024-12-31T23:59:59.999999Z");
  EXPECT_EQ(times[1], "2025-01-01T00:00:00.000000Z");
  EXPECT_EQ(times[6], "1969-12-31T23:59:59.999999Z");
}

TEST(AccessLog, AStartOnTheSteadyClockIsWrittenAsNow) {
  AccessRecord r;
  r.method = "GET";
  r.start = std::chrono::steady_clock::now();
  const int64_t before = NowUnixMicros();
  const std::string line = AccessLog::FormatForTesting(r);
  const int64_t after = NowUnixMicros();
  const std::vector<std::string> times = Times(line);
  ASSERT_EQ(times.size(), 1u);
  // Within the second of one of the two readings (the line's micros come from another clock).
  EXPECT_TRUE(times[0].starts_with(TimeText(before).substr(0, 19)) ||
              times[0].starts_with(TimeText(after).substr(0, 19)))
      << times[0];
}

TEST(AccessLog, WritesWhatWasQueuedInOrderAsItsBufferGrows) {
  // Far more than the buffer's first reservation (128 KiB), appended faster than the writer
  // takes them: the buffer grows (copying what it holds) and nothing is lost or reordered.
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log,
                              AccessLog::Open(path, 64 * 1024 * 1024));
  constexpr int kLines = 20000;
  std::vector<std::string> ids;
  for (int i = 0; i < kLines; ++i) {
    // (Not "r" + std::to_string(i): GCC 12 warns falsely (-Wrestrict) at -O3.)
    std::string id(i % 50, 'x');
    id += std::to_string(i);
    ids.push_back(std::move(id));
  }
  for (const std::string& id : ids) {
    AccessRecord r;
    r.method = "GET";
    r.request_id = id;
    log->Append(r);
  }
  log->Flush();
  EXPECT_EQ(log->dropped(), 0u);
  std::istringstream text(ReadAll(path));
  std::string line;
  int n = 0;
  while (std::getline(text, line)) {
    ASSERT_LT(n, kLines);
    ASSERT_NE(line.find("\"request_id\":\"" + ids[n] + "\""), std::string::npos) << n << line;
    ++n;
  }
  EXPECT_EQ(n, kLines);
}

TEST(AccessLog, ARecordLargerThanTheWholeBufferIsDroppedAndCounted) {
  testing::ScratchDir dir;
  const std::string path = (dir.path() / "access.log").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AccessLog> log, AccessLog::Open(path, 4096));
  const std::string big(8192, 'b');
  AccessRecord r;
  r.method = "GET";
  r.request_id = big;
  log->Append(r);
  r.request_id = "small";
  log->Append(r);
  log->Flush();
  EXPECT_EQ(log->dropped(), 1u);
  const std::string text = ReadAll(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_NE(text.find("\"request_id\":\"small\""), std::string::npos);
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
  EXPECT_NE(text.find("\"path\":\"" + LoggablePath(long_pairs) + "\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"path\":\"" + LoggablePath(long_first) + "\""), std::string::npos) << text;
  EXPECT_EQ(LoggablePath(long_pairs), "/api_v3/service/session/action/get/...");
  EXPECT_EQ(LoggablePath(long_first), "/*/...");
}

TEST(AccessLog, AFileThatCannotBeOpenedIsAnError) {
  EXPECT_THAT(AccessLog::Open("/nonexistent-dir/access.log"),
              testing::StatusIs(StatusCode::kUnavailable));
}

}  // namespace
}  // namespace ksgate::obs
