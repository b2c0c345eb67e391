#include "store/caching_store.h"

#include <gtest/gtest.h>

#include <memory>

#include "store/memory_store.h"

namespace ksgate::store {
namespace {

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
    NewPartner p{.name = "p", .admin_secrets = {"a"}, .secret = "u"};
    partner_ = *cache_->CreatePartner(p, kNow);
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
  ASSERT_TRUE(cache_->GetPartner(partner_.id).ok());
  ASSERT_TRUE(backend_->SetPartnerStatus(partner_.id, PartnerStatus::kBlocked, kNow).ok());
  EXPECT_EQ(cache_->GetPartner(partner_.id)->status, PartnerStatus::kActive) << "cached";
  clock_.AdvanceSeconds(1);
  EXPECT_EQ(cache_->GetPartner(partner_.id)->status, PartnerStatus::kBlocked) << "expired";
}

TEST_F(CachingStoreTest, WritesThroughTheCacheAreSeenAtOnce) {
  ASSERT_TRUE(cache_->GetPartner(partner_.id).ok());
  ASSERT_TRUE(cache_->SetPartnerStatus(partner_.id, PartnerStatus::kBlocked, kNow).ok());
  EXPECT_EQ(cache_->GetPartner(partner_.id)->status, PartnerStatus::kBlocked);

  ASSERT_TRUE(cache_->InsertAppToken(Token("0_aaaaaaaa")).ok());
  AppToken before = *cache_->GetAppToken(partner_.id, "0_aaaaaaaa");
  AppToken after = before;
  after.description = "changed";
  ASSERT_TRUE(cache_->UpdateAppToken(before, after).ok());
  EXPECT_EQ(cache_->GetAppToken(partner_.id, "0_aaaaaaaa")->description, "changed");
  ASSERT_TRUE(cache_->DeleteAppToken(partner_.id, "0_aaaaaaaa", Revocation{"k1"}, kNow).ok());
  EXPECT_EQ(cache_->GetAppToken(partner_.id, "0_aaaaaaaa").error().code(), StatusCode::kNotFound);
}

TEST_F(CachingStoreTest, NotFoundIsCachedAndClearedByAnInsertThroughTheCache) {
  EXPECT_EQ(cache_->GetAppToken(partner_.id, "0_bbbbbbbb").error().code(), StatusCode::kNotFound);
  ASSERT_TRUE(cache_->InsertAppToken(Token("0_bbbbbbbb")).ok());
  EXPECT_TRUE(cache_->GetAppToken(partner_.id, "0_bbbbbbbb").ok());
  EXPECT_EQ(cache_->GetPartner(99).error().code(), StatusCode::kNotFound);
}

TEST_F(CachingStoreTest, RevocationIsSeenAtOnceThroughTheCacheAndWithinTheTtlOtherwise) {
  const std::vector<std::string> keys = {"ks-hash", "session-key"};
  EXPECT_FALSE(*cache_->IsRevoked(keys, kNow));
  ASSERT_TRUE(cache_->Revoke(Revocation{"session-key"}, kNow).ok());
  EXPECT_TRUE(*cache_->IsRevoked(keys, kNow));

  EXPECT_FALSE(*cache_->IsRevoked(std::vector<std::string>{"other"}, kNow));
  ASSERT_TRUE(backend_->Revoke(Revocation{"other"}, kNow).ok());  // another node
  EXPECT_FALSE(*cache_->IsRevoked(std::vector<std::string>{"other"}, kNow));
  clock_.AdvanceSeconds(1);
  EXPECT_TRUE(*cache_->IsRevoked(std::vector<std::string>{"other"}, kNow));
}

TEST_F(CachingStoreTest, AStaleCompareAndSetDropsTheCachedCopy) {
  ASSERT_TRUE(cache_->InsertAppToken(Token("0_cccccccc")).ok());
  AppToken cached = *cache_->GetAppToken(partner_.id, "0_cccccccc");
  AppToken elsewhere = cached;
  elsewhere.description = "another node";
  ASSERT_TRUE(backend_->UpdateAppToken(cached, elsewhere).ok());
  AppToken mine = cached;
  mine.description = "mine";
  EXPECT_EQ(cache_->UpdateAppToken(cached, mine).code(), StatusCode::kAborted);
  // The retry reads the backend's row, not the stale cached one.
  EXPECT_EQ(cache_->GetAppToken(partner_.id, "0_cccccccc")->description, "another node");
}

TEST_F(CachingStoreTest, RolesAreCachedByIdAndSystemName) {
  UserRole r;
  r.partner_id = partner_.id;
  r.name = "R";
  r.system_name = "SYS";
  r.permission_names = "*";
  UserRole inserted = *cache_->InsertUserRole(r);
  EXPECT_EQ(cache_->FindUserRoleBySystemName(partner_.id, "SYS")->id, inserted.id);
  UserRole deleted = inserted;
  deleted.status = UserRoleStatus::kDeleted;
  ASSERT_TRUE(cache_->UpdateUserRole(inserted, deleted).ok());
  EXPECT_EQ(cache_->FindUserRoleBySystemName(partner_.id, "SYS").error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(cache_->GetUserRole(partner_.id, inserted.id).error().code(), StatusCode::kNotFound);
}

TEST_F(CachingStoreTest, ZeroTtlDisablesCaching) {
  auto backend = std::make_unique<MemoryStore>();
  MemoryStore* raw = backend.get();
  CachingStore uncached(std::move(backend), clock_, CacheOptions{std::chrono::milliseconds(0)});
  NewPartner p{.name = "p", .admin_secrets = {"a"}, .secret = "u"};
  Partner created = *uncached.CreatePartner(p, kNow);
  ASSERT_TRUE(uncached.GetPartner(created.id).ok());
  ASSERT_TRUE(raw->SetPartnerStatus(created.id, PartnerStatus::kBlocked, kNow).ok());
  EXPECT_EQ(uncached.GetPartner(created.id)->status, PartnerStatus::kBlocked);
}

TEST_F(CachingStoreTest, AFullCacheStartsOver) {
  for (int i = 0; i < 2500; ++i) {
    std::string key = std::to_string(i);
    key.insert(0, "k");  // not "k" + to_string(i): GCC 12 warns falsely (-Wrestrict) at -O3
    EXPECT_FALSE(*cache_->IsRevoked(std::vector<std::string>{key}, kNow));
  }
  ASSERT_TRUE(cache_->Revoke(Revocation{"k5"}, kNow).ok());
  EXPECT_TRUE(*cache_->IsRevoked(std::vector<std::string>{"k5"}, kNow));
}

}  // namespace
}  // namespace ksgate::store
