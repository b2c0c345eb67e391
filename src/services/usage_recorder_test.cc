#include "services/usage_recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ks/crypto.h"
#include "services/test_fixture.h"
#include "store/blocking.h"
#include "store/caching_store.h"
#include "store/memory_store.h"
#include "testing/matchers.h"

namespace ksgate::services {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(UsageRecorder, FlushWritesWhatWasNotedAsOneBatch) {
  store::MemoryStore store;
  UsageRecorder recorder(store);
  recorder.Note(1, "0_aaaaaaaa", 100);
  recorder.Note(1, "0_aaaaaaaa", 105);
  recorder.Note(1, "0_bbbbbbbb", 101);
  EXPECT_EQ(recorder.pending(), 2u);
  EXPECT_THAT(store.ListAppTokenUsage(1), IsOkAndHolds(IsEmpty()));  // nothing until a flush
  ASSERT_THAT(recorder.Flush(), IsOk());
  EXPECT_EQ(recorder.pending(), 0u);
  EXPECT_THAT(store.ListAppTokenUsage(1),
              IsOkAndHolds(ElementsAre(store::AppTokenUsage{"0_aaaaaaaa", 1, 2, 105},
                                       store::AppTokenUsage{"0_bbbbbbbb", 1, 1, 101})));
  // Later flushes add to what is stored.
  recorder.Note(1, "0_aaaaaaaa", 110);
  ASSERT_THAT(recorder.Flush(), IsOk());
  EXPECT_THAT(store.ListAppTokenUsage(1),
              IsOkAndHolds(ElementsAre(store::AppTokenUsage{"0_aaaaaaaa", 1, 3, 110},
                                       store::AppTokenUsage{"0_bbbbbbbb", 1, 1, 101})));
}

// A flush that fails keeps its counts. The failure: a CachingStore refuses every write on a
// thread that must not wait (store/blocking.h).
TEST(UsageRecorder, AFailedFlushKeepsItsCountsForTheNextOne) {
  FakeClock clock(100);
  store::CachingStore store(std::make_unique<store::MemoryStore>(), clock);
  UsageRecorder recorder(store);
  recorder.Note(1, "0_aaaaaaaa", 100);
  {
    store::InlineScope inline_only;
    EXPECT_THAT(recorder.Flush(), StatusIs(StatusCode::kWouldBlock));
    EXPECT_TRUE(store::TakeWouldBlock());
  }
  recorder.Note(1, "0_aaaaaaaa", 120);  // noted while the store could not be written
  EXPECT_EQ(recorder.pending(), 1u);
  ASSERT_THAT(recorder.Flush(), IsOk());
  EXPECT_THAT(store.ListAppTokenUsage(1),
              IsOkAndHolds(ElementsAre(store::AppTokenUsage{"0_aaaaaaaa", 1, 2, 120})));
}

TEST(UsageRecorder, FlushWithNothingNotedWritesNothing) {
  FakeClock clock(100);
  store::CachingStore store(std::make_unique<store::MemoryStore>(), clock);
  UsageRecorder recorder(store);
  store::InlineScope inline_only;  // any store call would fail
  EXPECT_THAT(recorder.Flush(), IsOk());
  EXPECT_FALSE(store::TakeWouldBlock());
}

class AppTokenUsageTest : public ServicesTest {};

TEST_F(AppTokenUsageTest, EverySessionStartedIsNotedAndFailuresAreNot) {
  KSGATE_ASSERT_OK_AND_ASSIGN(store::AppToken token, tokens_.Add(a_, AppTokenPatch{}));
  const std::string widget = WidgetKs(a_);
  StartAppTokenSessionRequest r;
  r.id = token.id;
  r.token_hash = ks::HexDigest(ks::HashAlgorithm::kSha256, widget + token.token);
  ASSERT_THAT(tokens_.StartSession(CallerOf(widget), r), IsOk());
  ASSERT_THAT(tokens_.StartSession(CallerOf(widget), r), IsOk());
  r.token_hash = "wrong";
  EXPECT_FALSE(tokens_.StartSession(CallerOf(widget), r).ok());
  ASSERT_THAT(app_.usage().Flush(), IsOk());
  EXPECT_THAT(store_.ListAppTokenUsage(a_.id),
              IsOkAndHolds(ElementsAre(store::AppTokenUsage{token.id, a_.id, 2, kNow})));
}

}  // namespace
}  // namespace ksgate::services
