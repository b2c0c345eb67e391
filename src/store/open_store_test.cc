#include "store/open_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::store {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::ScratchDir;
using ::ksgate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kNow = 1'700'000'000;

// Opens `url`, migrates, creates a partner and reads it back.
void ExpectUsable(std::string_view url) {
  Result<std::unique_ptr<Store>> store = OpenStore(url);
  ASSERT_THAT(store, IsOk()) << url;
  ASSERT_THAT((*store)->Migrate(), IsOk());
  NewPartner p;
  p.name = "p";
  p.admin_secrets = {"s"};
  Result<Partner> created = (*store)->CreatePartner(p, kNow);
  ASSERT_THAT(created, IsOk());
  EXPECT_THAT((*store)->GetPartner(created->id), IsOk());
}

// The error must be kInvalidArgument with a single-line message fit for a CLI.
void ExpectInvalid(std::string_view url) {
  EXPECT_THAT(OpenStore(url),
              StatusIs(StatusCode::kInvalidArgument, AllOf(Not(IsEmpty()), Not(HasSubstr("\n")))))
      << url;
}

TEST(OpenStore, MemoryUrlOpensAnInMemoryStore) { ExpectUsable("memory:"); }

TEST(OpenStore, SqliteMemoryUrlOpensAPrivateInMemoryDatabase) {
  ExpectUsable("sqlite::memory:");
  // Each store gets its own database: a fresh one has no partners.
  Result<std::unique_ptr<Store>> fresh = OpenStore("sqlite::memory:");
  ASSERT_THAT(fresh, IsOk());
  ASSERT_THAT((*fresh)->Migrate(), IsOk());
  EXPECT_THAT((*fresh)->GetPartner(1), StatusIs(StatusCode::kNotFound));
}

TEST(OpenStore, SqliteUrlCreatesMissingParentDirectories) {
  ScratchDir dir;
  const std::filesystem::path file = dir.path() / "a" / "b" / "ksgate.db";
  ExpectUsable("sqlite:" + file.string());
  EXPECT_TRUE(std::filesystem::is_regular_file(file));
}

TEST(OpenStore, UnknownSchemeIsInvalid) {
  ExpectInvalid("postgres://localhost/ksgate");
  ExpectInvalid("memory:extra");
  ExpectInvalid("");
  ExpectInvalid("/var/lib/ksgate.db");
}

TEST(OpenStore, SqliteWithoutPathIsInvalid) { ExpectInvalid("sqlite:"); }

TEST(OpenStore, SqlitePathThatIsADirectoryIsInvalid) {
  ScratchDir dir;
  ExpectInvalid("sqlite:" + dir.path().string());
}

TEST(OpenStore, SqlitePathBelowARegularFileIsInvalid) {
  ScratchDir dir;
  const std::filesystem::path blocker = dir.path() / "file";
  std::ofstream(blocker) << "x";
  ExpectInvalid("sqlite:" + (blocker / "sub" / "ksgate.db").string());
}

TEST(OpenStore, SqliteFileThatIsNotADatabaseIsInvalid) {
  ScratchDir dir;
  const std::filesystem::path junk = dir.path() / "junk.db";
  std::ofstream(junk) << std::string(4096, 'j');
  ExpectInvalid("sqlite:" + junk.string());
}

}  // namespace
}  // namespace ksgate::store
