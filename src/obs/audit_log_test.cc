#include "obs/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ks/crypto.h"
#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::obs {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AuditKey, IsCreatedOnceFromTheCsprngWithMode0600) {
  ksgate::testing::ScratchDir dir;
  const std::string path = (dir.path() / "audit.key").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::string key, LoadOrCreateAuditKey(path));
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(ReadAll(path), key + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Loaded, not replaced, the next time.
  EXPECT_THAT(LoadOrCreateAuditKey(path), ::ksgate::testing::IsOkAndHolds(key));
  // Another install's key is another key.
  EXPECT_THAT(LoadOrCreateAuditKey((dir.path() / "other.key").string()),
              ::ksgate::testing::IsOkAndHolds(::testing::Ne(key)));
}

TEST(AuditKey, AnOperatorsKeyIsUsedAsWritten) {
  ksgate::testing::ScratchDir dir;
  const std::string path = (dir.path() / "audit.key").string();
  std::ofstream(path) << "an operator's key of at least thirty-two bytes\r\n";
  EXPECT_THAT(LoadOrCreateAuditKey(path),
              ::ksgate::testing::IsOkAndHolds("an operator's key of at least thirty-two bytes"));
}

TEST(AuditKey, AShortKeyIsRefused) {
  ksgate::testing::ScratchDir dir;
  const std::string path = (dir.path() / "audit.key").string();
  std::ofstream(path) << "short\n";
  EXPECT_THAT(LoadOrCreateAuditKey(path),
              StatusIs(StatusCode::kInvalidArgument,
                       "audit key " + path + ": the key must be at least 32 bytes"));
}

TEST(AuditKey, DefaultsToAFileBesideTheLog) {
  EXPECT_EQ(DefaultAuditKeyPath("/var/log/ksgate/audit.log"), "/var/log/ksgate/audit.log.key");
}

TEST(AuditLog, HmacIsHmacSha256UnderTheKey) {
  auto log = AuditLog::ForTesting(LogFile::Stderr(), "key");
  // RFC 4231-style check with the well-known "quick brown fox" vector.
  EXPECT_EQ(log->Hmac("The quick brown fox jumps over the lazy dog"),
            "hmac-sha256:f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(AuditLog, WritesOneLinePerEventBeforeReturning) {
  ksgate::testing::ScratchDir dir;
  const std::string log_path = (dir.path() / "audit.log").string();
  const std::string key_path = (dir.path() / "audit.log.key").string();
  KSGATE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<AuditLog> log, AuditLog::Open(log_path, key_path));
  ASSERT_THAT(log->Write("{\"event\":\"a\"}"), IsOk());
  EXPECT_EQ(ReadAll(log_path), "{\"event\":\"a\"}\n");  // no flush needed: already written
  ASSERT_THAT(log->Write("{\"event\":\"b\"}"), IsOk());
  EXPECT_EQ(ReadAll(log_path), "{\"event\":\"a\"}\n{\"event\":\"b\"}\n");
  KSGATE_ASSERT_OK_AND_ASSIGN(std::string key, LoadOrCreateAuditKey(key_path));
  EXPECT_EQ(log->Hmac("x"), "hmac-sha256:" + ks::HmacSha256Hex(key, "x"));
  struct stat st {};
  ASSERT_EQ(::stat(log_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace ksgate::obs
