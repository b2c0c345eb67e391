#include "store/caching_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "store/blocking.h"
#include "store/memory_store.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::Field;

constexpr int64_t kNow = 1'700'000'000;

// A CachingStore over a MemoryStore that the test can also change "behind its back", as another
// process or node would.
class CachingStoreTest : public ::testing::Test {
 protected:
  CachingStoreTest() : clock_(kNow) {
    auto backend = std::make_unique<MemoryStore>();
    backend_ = backend.get();
    cache_ = std::make_unique<CachingStore>(std::move(backend), clock_,
                                            CacheOptions{std::chrono::milliseconds(1000), 1000});
  }

  void SetUp() override {
    NewPartner p{.name = "p", .admin_secrets = {"a"}, .secret = "u"};
    KSGATE_ASSERT_OK_AND_ASSIGN(partner_, cache_->CreatePartner(p, kNow));
  }

  AppToken Token(const std::string& id) {
    AppToken t;
    t.id = id;
    t.token = "t";
    t.partner_id = partner_.id;
    t.created_at = t.updated_at = kNow;
    return t;
  }

  FakeClock clock_;
  MemoryStore* backend_;
  std::unique_ptr<CachingStore> cache_;
  Partner partner_;
};

TEST_F(CachingStoreTest, ServesReadsFromCacheUntilTheTtlPasses) {
  ASSERT_THAT(cache_->GetPartner(partner_.id), IsOk());
  ASSERT_THAT(backend_->SetPartnerStatus(partner_.id, PartnerStatus::kBlocked, kNow), IsOk());
  EXPECT_THAT(cache_->GetPartner(partner_.id),
              IsOkAndHolds(Field(&Partner::status, PartnerStatus::kActive)))
      << "cached";
  clock_.AdvanceSeconds(1);
  EXPECT_THAT(cache_->GetPartner(partner_.id),
              IsOkAndHolds(Field(&Partner::status, PartnerStatus::kBlocked)))
      << "expired";
}

// Requests share the cached partner rather than copying it; a write through the cache makes a
// new snapshot and leaves the ones handed out as they were.
TEST_F(CachingStoreTest, SharedPartnerIsTheCachedSnapshotUntilAWrite) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Partner> first,
                              cache_->GetSharedPartner(partner_.id));
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Partner> second,
                              cache_->GetSharedPartner(partner_.id));
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(first->status, PartnerStatus::kActive);
  EXPECT_THAT(cache_->GetPartner(partner_.id),
              IsOkAndHolds(Field(&Partner::admin_secrets, first->admin_secrets)));

  ASSERT_THAT(cache_->SetPartnerStatus(partner_.id, PartnerStatus::kBlocked, kNow), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Partner> after,
                              cache_->GetSharedPartner(partner_.id));
  EXPECT_NE(after.get(), first.get());
  EXPECT_EQ(after->status, PartnerStatus::kBlocked);
  EXPECT_EQ(first->status, PartnerStatus::kActive);  // a snapshot never changes
  EXPECT_THAT(cache_->GetSharedPartner(partner_.id + 1), StatusIs(StatusCode::kNotFound));
}

// A store without a cache of its own hands out a new snapshot of what it read each time.
TEST_F(CachingStoreTest, SharedPartnerOfAPlainStoreIsACopy) {
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Partner> first,
                              backend_->GetSharedPartner(partner_.id));
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Partner> second,
                              backend_->GetSharedPartner(partner_.id));
  EXPECT_NE(first.get(), second.get());
  EXPECT_EQ(first->id, partner_.id);
  EXPECT_THAT(backend_->GetSharedPartner(partner_.id + 1), StatusIs(StatusCode::kNotFound));
}

// Exchanges share the cached app token rather than copying it; a write through the cache makes
// a new snapshot and leaves the ones handed out as they were. GetAppToken copies that snapshot.
TEST_F(CachingStoreTest, SharedAppTokenIsTheCachedSnapshotUntilAWrite) {
  AppToken token = Token("0_ssssssss");
  token.description = "a description longer than any short string";
  ASSERT_THAT(cache_->InsertAppToken(token), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const AppToken> first,
                              cache_->GetSharedAppToken(partner_.id, token.id));
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const AppToken> second,
                              cache_->GetSharedAppToken(partner_.id, token.id));
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(*first, token);
  EXPECT_THAT(cache_->GetAppToken(partner_.id, token.id), IsOkAndHolds(token));

  AppToken updated = token;
  updated.description = "changed";
  ASSERT_THAT(cache_->UpdateAppToken(token, updated), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const AppToken> after,
                              cache_->GetSharedAppToken(partner_.id, token.id));
  EXPECT_NE(after.get(), first.get());
  EXPECT_EQ(after->description, "changed");
  EXPECT_EQ(first->description, token.description);  // a snapshot never changes
  EXPECT_THAT(cache_->GetSharedAppToken(partner_.id, "0_nothere"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(cache_->GetSharedAppToken(partner_.id + 1, token.id),
              StatusIs(StatusCode::kNotFound));
}

// A store without a cache of its own hands out a new snapshot of what it read each time.
TEST_F(CachingStoreTest, SharedAppTokenOfAPlainStoreIsACopy) {
  ASSERT_THAT(cache_->InsertAppToken(Token("0_pppppppp")), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const AppToken> first,
                              backend_->GetSharedAppToken(partner_.id, "0_pppppppp"));
  KSGATE_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const AppToken> second,
                              backend_->GetSharedAppToken(partner_.id, "0_pppppppp"));
  EXPECT_NE(first.get(), second.get());
  EXPECT_EQ(*first, *second);
  EXPECT_THAT(backend_->GetSharedAppToken(partner_.id, "0_nothere"),
              StatusIs(StatusCode::kNotFound));
}

TEST_F(CachingStoreTest, CountsHitsAndMissesPerKind) {
  const CacheStats before = cache_->Stats(CacheKind::kPartner);
  ASSERT_THAT(cache_->GetPartner(partner_.id), IsOk());  // miss
  ASSERT_THAT(cache_->GetPartner(partner_.id), IsOk());  // hit
  ASSERT_THAT(cache_->GetPartner(partner_.id), IsOk());  // hit
  {
    InlineScope inline_scope;  // refused inline: neither (the call runs again elsewhere)
    EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_none"), StatusIs(StatusCode::kWouldBlock));
    TakeWouldBlock();
  }
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_none"), StatusIs(StatusCode::kNotFound));
  const CacheStats partners = cache_->Stats(CacheKind::kPartner);
  EXPECT_EQ(partners.hits - before.hits, 2u);
  EXPECT_EQ(partners.misses - before.misses, 1u);
  const CacheStats tokens = cache_->Stats(CacheKind::kAppToken);
  EXPECT_EQ(tokens.hits, 0u);
  EXPECT_EQ(tokens.misses, 1u);
  EXPECT_EQ(CacheKindName(CacheKind::kSessionCutoff), "session_cutoff");
}

TEST_F(CachingStoreTest, WritesThroughTheCacheAreSeenAtOnce) {
  ASSERT_THAT(cache_->GetPartner(partner_.id), IsOk());
  ASSERT_THAT(cache_->SetPartnerStatus(partner_.id, PartnerStatus::kBlocked, kNow), IsOk());
  EXPECT_THAT(cache_->GetPartner(partner_.id),
              IsOkAndHolds(Field(&Partner::status, PartnerStatus::kBlocked)));
  PartnerSettings deny;
  deny.user_secret_setrole = UserSecretSetRole::kDeny;
  ASSERT_THAT(cache_->SetPartnerSettings(partner_.id, deny, kNow), IsOk());
  EXPECT_THAT(cache_->GetPartner(partner_.id), IsOkAndHolds(Field(&Partner::settings, deny)));
  ASSERT_THAT(cache_->UpdatePartner(partner_.id, {.ks_max_expiry = 600}, kNow), IsOk());
  EXPECT_THAT(cache_->GetPartner(partner_.id), IsOkAndHolds(Field(&Partner::ks_max_expiry, 600)));

  ASSERT_THAT(cache_->InsertAppToken(Token("0_aaaaaaaa")), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(AppToken before, cache_->GetAppToken(partner_.id, "0_aaaaaaaa"));
  AppToken after = before;
  after.description = "changed";
  ASSERT_THAT(cache_->UpdateAppToken(before, after), IsOk());
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_aaaaaaaa"),
              IsOkAndHolds(Field(&AppToken::description, "changed")));
  ASSERT_THAT(cache_->DeleteAppToken(partner_.id, "0_aaaaaaaa", Revocation{"k1"}, kNow), IsOk());
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_aaaaaaaa"), StatusIs(StatusCode::kNotFound));
}

TEST_F(CachingStoreTest, NotFoundIsCachedAndClearedByAnInsertThroughTheCache) {
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_bbbbbbbb"), StatusIs(StatusCode::kNotFound));
  ASSERT_THAT(cache_->InsertAppToken(Token("0_bbbbbbbb")), IsOk());
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_bbbbbbbb"), IsOk());
  EXPECT_THAT(cache_->GetPartner(99), StatusIs(StatusCode::kNotFound));
}

TEST_F(CachingStoreTest, RevocationIsSeenAtOnceThroughTheCacheAndWithinTheTtlOtherwise) {
  const std::vector<std::string> keys = {"ks-hash", "session-key"};
  const std::vector<std::string> other = {"other"};
  EXPECT_THAT(cache_->IsRevoked(keys, kNow), IsOkAndHolds(false));
  ASSERT_THAT(cache_->Revoke(Revocation{"session-key"}, kNow), IsOk());
  EXPECT_THAT(cache_->IsRevoked(keys, kNow), IsOkAndHolds(true));

  EXPECT_THAT(cache_->IsRevoked(other, kNow), IsOkAndHolds(false));
  ASSERT_THAT(backend_->Revoke(Revocation{"other"}, kNow), IsOk());  // another node
  EXPECT_THAT(cache_->IsRevoked(other, kNow), IsOkAndHolds(false));
  clock_.AdvanceSeconds(1);
  EXPECT_THAT(cache_->IsRevoked(other, kNow), IsOkAndHolds(true));
}

TEST_F(CachingStoreTest, AStaleCompareAndSetDropsTheCachedCopy) {
  ASSERT_THAT(cache_->InsertAppToken(Token("0_cccccccc")), IsOk());
  KSGATE_ASSERT_OK_AND_ASSIGN(AppToken cached, cache_->GetAppToken(partner_.id, "0_cccccccc"));
  AppToken elsewhere = cached;
  elsewhere.description = "another node";
  ASSERT_THAT(backend_->UpdateAppToken(cached, elsewhere), IsOk());
  AppToken mine = cached;
  mine.description = "mine";
  EXPECT_THAT(cache_->UpdateAppToken(cached, mine), StatusIs(StatusCode::kAborted));
  // The retry reads the backend's row, not the stale cached one.
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_cccccccc"),
              IsOkAndHolds(Field(&AppToken::description, "another node")));
}

TEST_F(CachingStoreTest, RolesAreCachedByIdAndSystemName) {
  UserRole r;
  r.partner_id = partner_.id;
  r.name = "R";
  r.system_name = "SYS";
  r.permission_names = "*";
  KSGATE_ASSERT_OK_AND_ASSIGN(UserRole inserted, cache_->InsertUserRole(r));
  EXPECT_THAT(cache_->FindUserRoleBySystemName(partner_.id, "SYS"),
              IsOkAndHolds(Field(&UserRole::id, inserted.id)));
  UserRole deleted = inserted;
  deleted.status = UserRoleStatus::kDeleted;
  ASSERT_THAT(cache_->UpdateUserRole(inserted, deleted), IsOk());
  EXPECT_THAT(cache_->FindUserRoleBySystemName(partner_.id, "SYS"),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(cache_->GetUserRole(partner_.id, inserted.id), StatusIs(StatusCode::kNotFound));
}

TEST_F(CachingStoreTest, ZeroTtlDisablesCaching) {
  auto backend = std::make_unique<MemoryStore>();
  MemoryStore* raw = backend.get();
  CachingStore uncached(std::move(backend), clock_, CacheOptions{std::chrono::milliseconds(0)});
  NewPartner p{.name = "p", .admin_secrets = {"a"}, .secret = "u"};
  KSGATE_ASSERT_OK_AND_ASSIGN(Partner created, uncached.CreatePartner(p, kNow));
  ASSERT_THAT(uncached.GetPartner(created.id), IsOk());
  ASSERT_THAT(raw->SetPartnerStatus(created.id, PartnerStatus::kBlocked, kNow), IsOk());
  EXPECT_THAT(uncached.GetPartner(created.id),
              IsOkAndHolds(Field(&Partner::status, PartnerStatus::kBlocked)));
}

TEST_F(CachingStoreTest, AFullCacheStaysAtItsBound) {
  // The fixture's bound: 1000 entries per kind.
  for (int i = 0; i < 2500; ++i) {
    std::string key = std::to_string(i);
    key.insert(0, "k");  // not "k" + to_string(i): GCC 12 warns falsely (-Wrestrict) at -O3
    EXPECT_THAT(cache_->IsRevoked(std::vector<std::string>{key}, kNow), IsOkAndHolds(false));
    EXPECT_LE(cache_->Size(CacheKind::kRevocation), 1000u);
  }
  EXPECT_EQ(cache_->Size(CacheKind::kRevocation), 1000u);
  // What is cached is still right: a write drops its entry, evicted or not.
  ASSERT_THAT(cache_->Revoke(Revocation{"k5"}, kNow), IsOk());
  EXPECT_THAT(cache_->IsRevoked(std::vector<std::string>{"k5"}, kNow), IsOkAndHolds(true));
  ASSERT_THAT(cache_->Revoke(Revocation{"k2499"}, kNow), IsOk());
  EXPECT_THAT(cache_->IsRevoked(std::vector<std::string>{"k2499"}, kNow), IsOkAndHolds(true));
  EXPECT_EQ(cache_->Size(CacheKind::kRevocation), 1000u);
}

TEST_F(CachingStoreTest, AFullTokenCacheKeepsServingWhatItReadLast) {
  for (int i = 0; i < 1500; ++i) {
    std::string id = std::to_string(100000 + i);
    id.insert(0, "0_");
    ASSERT_THAT(cache_->InsertAppToken(Token(id)), IsOk());
    ASSERT_THAT(cache_->GetAppToken(partner_.id, id), IsOk());
  }
  EXPECT_EQ(cache_->Size(CacheKind::kAppToken), 1000u);
  // The token read last is cached (a hit: no backend read, so a change behind the cache's back
  // is not seen within the TTL).
  const CacheStats before = cache_->Stats(CacheKind::kAppToken);
  EXPECT_THAT(cache_->GetAppToken(partner_.id, "0_101499"), IsOk());
  EXPECT_EQ(cache_->Stats(CacheKind::kAppToken).hits, before.hits + 1);
  EXPECT_EQ(cache_->Size(CacheKind::kAppToken), 1000u);
}

}  // namespace
}  // namespace ksgate::store
