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
  ExpectInvalid("mysql://localhost/ksgate");
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

TEST(OpenStore, UnknownSchemeErrorHidesThePassword) {
  Result<std::unique_ptr<Store>> store = OpenStore("mysql://admin:Pa55-word@db/ksgate");
  ASSERT_THAT(store, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store.error().message(), Not(HasSubstr("Pa55-word")));
}

TEST(OpenChangeFeed, MemoryAndASqliteUrlWithoutItsStoreHaveNoFeed) {
  for (const char* url : {"memory:", "sqlite::memory:", "sqlite:/var/lib/ksgate.db"}) {
    Result<std::unique_ptr<ChangeFeed>> feed = OpenChangeFeed(url);
    ASSERT_THAT(feed, IsOk()) << url;
    EXPECT_EQ(*feed, nullptr) << url;
  }
  EXPECT_THAT(OpenChangeFeed("mysql://db/x"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(OpenChangeFeed, ASqliteFileHasItsStoresFeedAndAnInMemoryDatabaseNone) {
  ScratchDir dir;
  const std::string url = "sqlite:" + (dir.path() / "ksgate.db").string();
  Result<std::unique_ptr<Store>> file = OpenStore(url);
  ASSERT_THAT(file, IsOk());
  Result<std::unique_ptr<ChangeFeed>> feed = OpenChangeFeed(url, file->get());
  ASSERT_THAT(feed, IsOk());
  EXPECT_NE(*feed, nullptr);
  Result<std::unique_ptr<Store>> memory = OpenStore("sqlite::memory:");
  ASSERT_THAT(memory, IsOk());
  Result<std::unique_ptr<ChangeFeed>> none = OpenChangeFeed("sqlite::memory:", memory->get());
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(*none, nullptr);
}

#if KSGATE_WITH_POSTGRES

// Nothing listens on port 1 of 127.0.0.1: connecting fails at once, whatever the environment.
constexpr char kUnreachable[] = "postgresql://ksgate:Pa55-word@127.0.0.1:1/ksgate";

TEST(OpenStore, UnreachablePostgresIsUnavailableAndTheMessageHidesThePassword) {
  for (const char* url :
       {kUnreachable, "postgres://ksgate:Pa55-word@127.0.0.1:1/ksgate?connect_timeout=2"}) {
    Result<std::unique_ptr<Store>> store = OpenStore(url);
    ASSERT_THAT(store, StatusIs(StatusCode::kUnavailable)) << RedactStoreUrl(url);
    EXPECT_THAT(store.error().message(), Not(HasSubstr("Pa55-word")));
    EXPECT_THAT(store.error().message(), Not(HasSubstr("\n")));
  }
}

TEST(OpenStore, PostgresUrlLibpqCannotParseIsInvalidAndHidesThePassword) {
  for (const char* url : {"postgresql://ksgate:Pa55-word@127.0.0.1:port/ksgate",
                          "postgresql://ksgate:Pa55-word@127.0.0.1/ksgate?nonsense=1"}) {
    Result<std::unique_ptr<Store>> store = OpenStore(url);
    ASSERT_THAT(store, StatusIs(StatusCode::kInvalidArgument)) << RedactStoreUrl(url);
    EXPECT_THAT(store.error().message(), Not(HasSubstr("Pa55-word")));
  }
}

TEST(OpenChangeFeed, PostgresUrlGivesAFeedThatHasNotConnectedYet) {
  Result<std::unique_ptr<ChangeFeed>> feed = OpenChangeFeed(kUnreachable);
  ASSERT_THAT(feed, IsOk());
  EXPECT_NE(*feed, nullptr);
  EXPECT_THAT(OpenChangeFeed("postgresql://a:Pa55-word@h:port/x"),
              StatusIs(StatusCode::kInvalidArgument));
}

#else

TEST(OpenStore, PostgresUrlWithoutThePostgresBackendIsInvalid) {
  ExpectInvalid("postgresql://ksgate@localhost/ksgate");
  ExpectInvalid("postgres://ksgate@localhost/ksgate");
  EXPECT_THAT(OpenChangeFeed("postgresql://ksgate@localhost/ksgate"),
              StatusIs(StatusCode::kInvalidArgument));
}

#endif

TEST(RedactStoreUrl, MasksThePasswordOfAUrl) {
  EXPECT_EQ(RedactStoreUrl("postgresql://ksgate:Pa55-word@db.example:5432/ksgate"),
            "postgresql://ksgate:****@db.example:5432/ksgate");
  EXPECT_EQ(RedactStoreUrl("postgres://:Pa55-word@db/ksgate"), "postgres://:****@db/ksgate");
  // '@' and, wrongly unencoded, '/' inside the password.
  EXPECT_EQ(RedactStoreUrl("postgresql://u:p@ss/w@rd@db/ksgate?sslmode=require"),
            "postgresql://u:****@db/ksgate?sslmode=require");
}

TEST(RedactStoreUrl, MasksPasswordParameters) {
  EXPECT_EQ(RedactStoreUrl("postgresql://db/ksgate?user=u&password=Pa55-word&sslmode=require"),
            "postgresql://db/ksgate?user=u&password=****&sslmode=require");
  EXPECT_EQ(RedactStoreUrl("postgresql://db/ksgate?PASSWORD=Pa55-word"),
            "postgresql://db/ksgate?PASSWORD=****");
  EXPECT_EQ(RedactStoreUrl("host=db password=Pa55-word dbname=ksgate"),
            "host=db password=**** dbname=ksgate");
  EXPECT_EQ(RedactStoreUrl("host=db password='Pa55 w\\'ord' dbname=ksgate"),
            "host=db password=**** dbname=ksgate");
}

TEST(RedactStoreUrl, LeavesUrlsWithoutAPasswordAlone) {
  for (const char* url :
       {"sqlite:/var/lib/ksgate.db", "memory:", "postgresql://", "postgresql://u@db:5432/ksgate",
        "postgresql://db/ksgate?sslmode=require", "sqlite:/tmp/my password=x.db"}) {
    EXPECT_EQ(RedactStoreUrl(url), url);
  }
}

}  // namespace
}  // namespace ksgate::store
