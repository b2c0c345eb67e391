#include "store/blocking.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "store/caching_store.h"
#include "store/test_util.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using store::testing::CountingStore;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

constexpr int64_t kNow = 1'700'000'000;
constexpr auto kTtl = std::chrono::milliseconds(1000);

// --- The note and the scope -------------------------------------------------------------------

TEST(InlineScope, ScopesNestAndEndWithTheOutermost) {
  EXPECT_FALSE(InInlineScope());
  {
    InlineScope outer;
    EXPECT_TRUE(InInlineScope());
    {
      InlineScope inner;
      EXPECT_TRUE(InInlineScope());
    }
    EXPECT_TRUE(InInlineScope()) << "the outer scope is still open";
  }
  EXPECT_FALSE(InInlineScope());
}

TEST(InlineScope, BelongsToItsThread) {
  InlineScope scope;
  bool other_thread_inline = true;
  std::thread([&] { other_thread_inline = InInlineScope(); }).join();
  EXPECT_FALSE(other_thread_inline);
  EXPECT_TRUE(InInlineScope());
}

TEST(WouldBlockNote, IsSetByARefusalReadWithoutClearingAndTakenOnce) {
  TakeWouldBlock();
  EXPECT_FALSE(WouldBlockNoted());
  EXPECT_THAT(RefuseToBlock(Access::kRead), StatusIs(StatusCode::kWouldBlock));
  EXPECT_TRUE(WouldBlockNoted());
  EXPECT_TRUE(WouldBlockNoted()) << "reading does not clear";
  bool other_thread_noted = true;
  std::thread([&] { other_thread_noted = WouldBlockNoted(); }).join();
  EXPECT_FALSE(other_thread_noted) << "the note is per thread";
  EXPECT_TRUE(TakeWouldBlock());
  EXPECT_FALSE(TakeWouldBlock());
  EXPECT_FALSE(WouldBlockNoted());
}

TEST(WouldBlockNote, RemembersWhetherARefusedCallWouldHaveWritten) {
  TakeWouldBlock();
  ASSERT_THAT(RefuseToBlock(Access::kRead), StatusIs(StatusCode::kWouldBlock));
  EXPECT_EQ(RefusedAccess(), Access::kRead);
  ASSERT_THAT(RefuseToBlock(Access::kWrite), StatusIs(StatusCode::kWouldBlock));
  ASSERT_THAT(RefuseToBlock(Access::kRead), StatusIs(StatusCode::kWouldBlock));
  EXPECT_EQ(RefusedAccess(), Access::kWrite) << "one write makes the work a write";
  ASSERT_TRUE(TakeWouldBlock());
  // A new round starts from its first refusal.
  ASSERT_THAT(RefuseToBlock(Access::kRead), StatusIs(StatusCode::kWouldBlock));
  EXPECT_EQ(RefusedAccess(), Access::kRead);
  TakeWouldBlock();
}

// --- CachingStore as the guard ----------------------------------------------------------------

// One Store method, called with arguments that make sense for the fixture's data; returns its
// status (OK for a Result holding a value).
struct StoreCall {
  std::string name;  // as CountingStore records it
  std::function<Status(Store&)> call;
};

template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}
Status StatusOf(const Status& s) { return s; }

// Every method of the Store interface, each once.
std::vector<StoreCall> EveryCall(int64_t partner_id) {
  AppToken token;
  token.id = "0_newtoken";
  token.token = "t";
  token.partner_id = partner_id;
  token.created_at = token.updated_at = kNow;
  UserRole role;
  role.partner_id = partner_id;
  role.name = "R";
  role.system_name = "SYS";
  const Revocation revocation{"some-ks-hash"};
  const std::vector<std::string> keys = {"key"};
  const std::vector<AppTokenUsage> usage = {
      AppTokenUsage{.token_id = "0_newtoken", .partner_id = partner_id, .sessions_started = 1}};
  auto call = [](std::string name, auto f) {
    return StoreCall{std::move(name), [f](Store& s) { return StatusOf(f(s)); }};
  };
  return {
      call("Migrate", [](Store& s) { return s.Migrate(); }),
      call("CreatePartner",
           [](Store& s) {
             return s.CreatePartner(NewPartner{.name = "n", .admin_secrets = {"a"}}, kNow);
           }),
      call("GetPartner", [=](Store& s) { return s.GetPartner(partner_id); }),
      call("ListPartners", [](Store& s) { return s.ListPartners(); }),
      call("SetPartnerStatus",
           [=](Store& s) { return s.SetPartnerStatus(partner_id, PartnerStatus::kActive, kNow); }),
      call("SetPartnerAdminSecrets",
           [=](Store& s) {
             return s.SetPartnerAdminSecrets(partner_id, {"a", "b"}, kNow);
           }),
      call("Revoke", [=](Store& s) { return s.Revoke(revocation, kNow); }),
      call("IsRevoked", [=](Store& s) { return s.IsRevoked(keys, kNow); }),
      call("InsertAppToken", [=](Store& s) { return s.InsertAppToken(token); }),
      call("GetAppToken", [=](Store& s) { return s.GetAppToken(partner_id, "0_newtoken"); }),
      call("UpdateAppToken", [=](Store& s) { return s.UpdateAppToken(token, token); }),
      call("DeleteAppToken",
           [=](Store& s) { return s.DeleteAppToken(partner_id, "0_other", revocation, kNow); }),
      call("ListAppTokens", [=](Store& s) { return s.ListAppTokens(partner_id, {}); }),
      call("InsertUserRole", [=](Store& s) { return s.InsertUserRole(role); }),
      call("GetUserRole", [=](Store& s) { return s.GetUserRole(partner_id, kFirstUserRoleId); }),
      call("FindUserRoleBySystemName",
           [=](Store& s) { return s.FindUserRoleBySystemName(partner_id, "SYS"); }),
      call("UpdateUserRole", [=](Store& s) { return s.UpdateUserRole(role, role); }),
      call("ListUserRoles", [=](Store& s) { return s.ListUserRoles(partner_id, {}); }),
      call("ConsumeAction", [](Store& s) { return s.ConsumeAction("h", 3, std::nullopt, kNow); }),
      call("AddAppTokenUsage", [=](Store& s) { return s.AddAppTokenUsage(usage); }),
      call("ListAppTokenUsage", [=](Store& s) { return s.ListAppTokenUsage(partner_id); }),
      call("SetPartnerSettings",
           [=](Store& s) { return s.SetPartnerSettings(partner_id, PartnerSettings{}, kNow); }),
      call("UpdatePartner",
           [=](Store& s) {
             return s.UpdatePartner(partner_id, PartnerChanges{.name = "renamed"}, kNow);
           }),
      call("SetSessionCutoff",
           [](Store& s) {
             return s.SetSessionCutoff(SessionCutoff{"u:1:bob", kNow}, kNow);
           }),
      call("GetSessionCutoff", [](Store& s) { return s.GetSessionCutoff("u:1:bob"); }),
      call("ClaimAppTokenSession",
           [=](Store& s) { return s.ClaimAppTokenSession(partner_id, "0_aaaaaaaa", 5); }),
  };
}

// A CachingStore over a CountingStore, with one partner.
class CachingGuardTest : public ::testing::Test {
 protected:
  explicit CachingGuardTest(std::chrono::milliseconds ttl = kTtl) : clock_(kNow) {
    auto backend = std::make_unique<CountingStore>();
    backend_ = backend.get();
    cache_ = std::make_unique<CachingStore>(std::move(backend), clock_, CacheOptions{ttl});
  }

  void SetUp() override {
    KSGATE_ASSERT_OK_AND_ASSIGN(
        partner_, backend_->CreatePartner(NewPartner{.name = "p", .admin_secrets = {"a"}}, kNow));
    backend_->Reset();
    TakeWouldBlock();
  }

  // Runs `call` on the cache inside an InlineScope.
  Status Inline(const std::function<Status(Store&)>& call) {
    InlineScope scope;
    return call(*cache_);
  }

  FakeClock clock_;
  CountingStore* backend_;
  std::unique_ptr<CachingStore> cache_;
  Partner partner_;
};

TEST_F(CachingGuardTest,
       InsideAScopeEveryCallThatIsNotACacheHitIsRefusedWithoutTouchingTheBackend) {
  for (const StoreCall& c : EveryCall(partner_.id)) {
    SCOPED_TRACE(c.name);
    backend_->Reset();
    EXPECT_THAT(Inline(c.call), StatusIs(StatusCode::kWouldBlock));
    EXPECT_THAT(backend_->calls(), IsEmpty());
    EXPECT_TRUE(TakeWouldBlock()) << "the refusal is noted";
    EXPECT_FALSE(TakeWouldBlock());
  }
}

TEST_F(CachingGuardTest, OutsideAScopeEveryCallGoesToTheBackendAndNothingIsNoted) {
  for (const StoreCall& c : EveryCall(partner_.id)) {
    SCOPED_TRACE(c.name);
    backend_->Reset();
    EXPECT_THAT(c.call(*cache_), ::testing::Not(StatusIs(StatusCode::kWouldBlock)));
    EXPECT_THAT(backend_->calls(), ElementsAre(c.name));
    EXPECT_FALSE(WouldBlockNoted());
  }
}

TEST_F(CachingGuardTest, CacheHitsAreServedInsideAScopeWithoutTouchingTheBackend) {
  AppToken token;
  token.id = "0_cached";
  token.token = "t";
  token.partner_id = partner_.id;
  ASSERT_THAT(backend_->InsertAppToken(token), IsOk());
  UserRole role;
  role.partner_id = partner_.id;
  role.name = "R";
  role.system_name = "SYS";
  KSGATE_ASSERT_OK_AND_ASSIGN(UserRole inserted, backend_->InsertUserRole(role));
  const std::vector<std::string> keys = {"k1", "k2"};
  ASSERT_THAT(backend_->Revoke(Revocation{"k2"}, kNow), IsOk());

  // Warm the cache, found and not found.
  ASSERT_THAT(cache_->GetPartner(partner_.id), IsOk());
  ASSERT_THAT(cache_->GetPartner(999), StatusIs(StatusCode::kNotFound));
  ASSERT_THAT(cache_->GetAppToken(partner_.id, "0_cached"), IsOk());
  ASSERT_THAT(cache_->GetAppToken(partner_.id, "0_nosuch"), StatusIs(StatusCode::kNotFound));
  ASSERT_THAT(cache_->GetUserRole(partner_.id, inserted.id), IsOk());
  ASSERT_THAT(cache_->FindUserRoleBySystemName(partner_.id, "SYS"), IsOk());
  ASSERT_THAT(cache_->IsRevoked(keys, kNow), IsOkAndHolds(true));
  backend_->Reset();

  InlineScope scope;
  EXPECT_THAT(cache_->GetPartner(partner_.id), IsOkAndHolds(Field(&Partner::name, "p")));
  EXPECT_THAT(cache_->GetPartner(999), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_cached"),
              IsOkAndHolds(Field(&AppToken::id, "0_cached")));
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_nosuch"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(cache_->GetUserRole(partner_.id, inserted.id),
              IsOkAndHolds(Field(&UserRole::system_name, "SYS")));
  EXPECT_THAT(cache_->FindUserRoleBySystemName(partner_.id, "SYS"),
              IsOkAndHolds(Field(&UserRole::id, inserted.id)));
  EXPECT_THAT(cache_->IsRevoked(keys, kNow), IsOkAndHolds(true));
  EXPECT_THAT(cache_->IsRevoked(std::vector<std::string>{"k1"}, kNow), IsOkAndHolds(false));
  EXPECT_THAT(backend_->calls(), IsEmpty());
  EXPECT_FALSE(WouldBlockNoted()) << "a hit is not a refusal";
}

TEST_F(CachingGuardTest, AnEntryPastItsTtlIsAMissInsideAScope) {
  ASSERT_THAT(cache_->GetPartner(partner_.id), IsOk());
  clock_.AdvanceSeconds(1);
  backend_->Reset();
  EXPECT_THAT(Inline([&](Store& s) { return s.GetPartner(partner_.id).status(); }),
              StatusIs(StatusCode::kWouldBlock));
  EXPECT_THAT(backend_->calls(), IsEmpty());
  EXPECT_TRUE(TakeWouldBlock());
}

TEST_F(CachingGuardTest, IsRevokedIsServedOnlyWhenEveryKeyIsAHit) {
  ASSERT_THAT(cache_->IsRevoked(std::vector<std::string>{"a"}, kNow), IsOkAndHolds(false));
  backend_->Reset();
  EXPECT_THAT(Inline([](Store& s) {
                return s.IsRevoked(std::vector<std::string>{"a", "b"}, kNow).status();
              }),
              StatusIs(StatusCode::kWouldBlock))
      << "b was never read";
  EXPECT_TRUE(TakeWouldBlock());
  // "Not revoked" stays true as time passes (only a write, which drops the entry, revokes).
  Result<bool> later = NotFoundError("not run");
  EXPECT_THAT(Inline([&](Store& s) {
                later = s.IsRevoked(std::vector<std::string>{"a"}, kNow + 1);
                return later.status();
              }),
              IsOk());
  EXPECT_THAT(later, IsOkAndHolds(false));
  EXPECT_FALSE(TakeWouldBlock());
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

TEST_F(CachingGuardTest, ARevokedAnswerServesOnlyTheSameNow) {
  ASSERT_THAT(cache_->Revoke({"r", RevocationType::kKsHash, kNow + 10}, kNow), IsOk());
  ASSERT_THAT(cache_->IsRevoked(std::vector<std::string>{"r"}, kNow), IsOkAndHolds(true));
  backend_->Reset();
  Result<bool> same = NotFoundError("not run");
  EXPECT_THAT(Inline([&](Store& s) {
                same = s.IsRevoked(std::vector<std::string>{"r"}, kNow);
                return same.status();
              }),
              IsOk());
  EXPECT_THAT(same, IsOkAndHolds(true));
  // A revocation ends with time: read again for another now.
  EXPECT_THAT(Inline([](Store& s) {
                return s.IsRevoked(std::vector<std::string>{"r"}, kNow + 1).status();
              }),
              StatusIs(StatusCode::kWouldBlock));
  EXPECT_THAT(backend_->calls(), IsEmpty());
  EXPECT_TRUE(TakeWouldBlock());
}

TEST_F(CachingGuardTest, AReadRefusedInsideAScopeIsNotCached) {
  EXPECT_THAT(Inline([&](Store& s) { return s.GetPartner(partner_.id).status(); }),
              StatusIs(StatusCode::kWouldBlock));
  TakeWouldBlock();
  EXPECT_THAT(cache_->GetPartner(partner_.id), IsOk());
  EXPECT_THAT(backend_->calls(), ElementsAre("GetPartner")) << "read once, outside the scope";
}

TEST_F(CachingGuardTest, AnotherThreadIsNotInTheScope) {
  InlineScope scope;
  Result<Partner> read = NotFoundError("not run");
  std::thread([&] { read = cache_->GetPartner(partner_.id); }).join();
  EXPECT_THAT(read, IsOk());
  EXPECT_THAT(backend_->calls(), ElementsAre("GetPartner"));
  EXPECT_FALSE(WouldBlockNoted());
}

class UncachedGuardTest : public CachingGuardTest {
 protected:
  UncachedGuardTest() : CachingGuardTest(std::chrono::milliseconds(0)) {}
};

TEST_F(UncachedGuardTest, WithATtlOfZeroEveryReadInsideAScopeIsRefused) {
  ASSERT_THAT(cache_->GetPartner(partner_.id), IsOk());
  ASSERT_THAT(cache_->IsRevoked(std::vector<std::string>{"a"}, kNow), IsOk());
  backend_->Reset();
  for (const StoreCall& c : EveryCall(partner_.id)) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(Inline(c.call), StatusIs(StatusCode::kWouldBlock));
    EXPECT_TRUE(TakeWouldBlock());
  }
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

TEST(CountingStore, FailsEveryCallWhenToldTo) {
  CountingStore store;
  store.FailWith(UnavailableError("down"));
  EXPECT_THAT(store.GetPartner(1), StatusIs(StatusCode::kUnavailable, "down"));
  EXPECT_THAT(store.Revoke(Revocation{"k"}, kNow), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(store.calls(), ElementsAre("GetPartner", "Revoke"));
  store.FailWith(Status());
  EXPECT_THAT(store.GetPartner(1), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace ksgate::store
