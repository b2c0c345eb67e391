// The Store contract for app tokens (insert, get, update, compare-and-set, delete, list), run
// against every backend like store_contract_test.cc. The fixture is in store_contract_test.h.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/store.h"
#include "store/store_contract_test.h"
#include "store/test_util.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::testing::Backend;
using ::ksgate::store::testing::kNow;
using ::ksgate::store::testing::StoreContractTest;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

// --- App tokens: insert, get -----------------------------------------------------------------

TEST_P(StoreContractTest, InsertedTokenReadsBackWithEveryField) {
  Partner p = AddPartner();
  AppToken full = FullToken(p.id, "0_fullfull");
  AppToken bare = Token(p.id, "0_barebare");
  ASSERT_THAT(store_->InsertAppToken(full), IsOk());
  ASSERT_THAT(store_->InsertAppToken(bare), IsOk());

  Result<AppToken> got_full = store_->GetAppToken(p.id, "0_fullfull");
  ASSERT_THAT(got_full, IsOk());
  EXPECT_EQ(*got_full, full);
  Result<AppToken> got_bare = store_->GetAppToken(p.id, "0_barebare");
  ASSERT_THAT(got_bare, IsOk());
  EXPECT_EQ(*got_bare, bare);
  EXPECT_FALSE(got_bare->expiry.has_value());
  EXPECT_FALSE(got_bare->session_user_id.has_value());
}

TEST_P(StoreContractTest, InsertRejectsAnIdTakenInAnyPartner) {
  Partner p1 = AddPartner("p1");
  Partner p2 = AddPartner("p2");
  ASSERT_THAT(store_->InsertAppToken(Token(p1.id, "0_samesame")), IsOk());
  EXPECT_THAT(store_->InsertAppToken(Token(p1.id, "0_samesame")),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->InsertAppToken(Token(p2.id, "0_samesame")),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->GetAppToken(p2.id, "0_samesame"), StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, InsertRejectsTheIdOfADeletedToken) {
  Partner p = AddPartner();
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_deleted1")), IsOk());
  ASSERT_THAT(store_->DeleteAppToken(p.id, "0_deleted1", Revoke("sess"), kNow), IsOk());
  EXPECT_THAT(store_->InsertAppToken(Token(p.id, "0_deleted1")),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->GetAppToken(p.id, "0_deleted1"), StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, InsertRejectsAnUnknownPartner) {
  EXPECT_THAT(store_->InsertAppToken(Token(42, "0_orphan00")), StatusIs(StatusCode::kNotFound));
  Partner p = AddPartner();
  EXPECT_THAT(store_->InsertAppToken(Token(p.id, "0_orphan00")), IsOk())
      << "the rejected insert must not have taken the id";
}

TEST_P(StoreContractTest, GetReturnsNotFoundForAnUnknownId) {
  Partner p = AddPartner();
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_known000")), IsOk());
  EXPECT_THAT(store_->GetAppToken(p.id, "0_unknown0"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetAppToken(p.id, ""), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetAppToken(p.id, "0_KNOWN000"), StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, GetReturnsDisabledTokens) {
  Partner p = AddPartner();
  AppToken t = Token(p.id, "0_disabled");
  t.status = AppTokenStatus::kDisabled;
  ASSERT_THAT(store_->InsertAppToken(t), IsOk());
  Result<AppToken> got = store_->GetAppToken(p.id, "0_disabled");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->status, AppTokenStatus::kDisabled);
}

TEST_P(StoreContractTest, PartnersCannotSeeOrTouchEachOthersTokens) {
  Partner owner = AddPartner("owner");
  Partner other = AddPartner("other");
  ASSERT_THAT(store_->InsertAppToken(Token(owner.id, "0_owned000")), IsOk());

  EXPECT_THAT(store_->GetAppToken(other.id, "0_owned000"), StatusIs(StatusCode::kNotFound));
  AppToken hijack = Token(other.id, "0_owned000");
  hijack.description = "mine now";
  EXPECT_THAT(store_->UpdateAppToken(Token(other.id, "0_owned000"), hijack),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteAppToken(other.id, "0_owned000", Revoke("k-other"), kNow),
              StatusIs(StatusCode::kNotFound));
  EXPECT_FALSE(Revoked({"k-other"})) << "a failed delete must not revoke";
  EXPECT_THAT(ListIds(other.id, AllOf()), IsEmpty());
  AppTokenQuery by_id = AllOf();
  by_id.id_equal = "0_owned000";
  EXPECT_THAT(ListIds(other.id, by_id), IsEmpty());

  Result<AppToken> still = store_->GetAppToken(owner.id, "0_owned000");
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(*still, Token(owner.id, "0_owned000"));
}

// --- App tokens: update, delete --------------------------------------------------------------

TEST_P(StoreContractTest, UpdateReplacesEveryStoredField) {
  Partner p = AddPartner();
  ASSERT_THAT(store_->InsertAppToken(FullToken(p.id, "0_updated0")), IsOk());

  AppToken changed = Token(p.id, "0_updated0", kNow - 10, kNow + 99);
  changed.token = "fedcba9876543210fedcba9876543210";
  changed.session_type = 0;
  changed.description = "new";
  ASSERT_THAT(store_->UpdateAppToken(FullToken(p.id, "0_updated0"), changed), IsOk());

  Result<AppToken> got = store_->GetAppToken(p.id, "0_updated0");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, changed);
  EXPECT_FALSE(got->expiry.has_value()) << "null fields in the update clear stored values";
  EXPECT_FALSE(got->hash_type.has_value());
}

TEST_P(StoreContractTest, UpdateReturnsNotFoundForUnknownOrDeletedTokens) {
  Partner p = AddPartner();
  EXPECT_THAT(store_->UpdateAppToken(Token(p.id, "0_missing0"), Token(p.id, "0_missing0")),
              StatusIs(StatusCode::kNotFound));

  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_gone0000")), IsOk());
  ASSERT_THAT(store_->DeleteAppToken(p.id, "0_gone0000", Revoke("k"), kNow), IsOk());
  AppToken revive = Token(p.id, "0_gone0000");
  EXPECT_THAT(store_->UpdateAppToken(Token(p.id, "0_gone0000"), revive),
              StatusIs(StatusCode::kNotFound))
      << "the token as read before the delete";
  AppToken deleted = revive;
  deleted.status = AppTokenStatus::kDeleted;
  deleted.updated_at = kNow;
  EXPECT_THAT(store_->UpdateAppToken(deleted, revive), StatusIs(StatusCode::kNotFound))
      << "the token as stored after the delete";
  EXPECT_THAT(store_->GetAppToken(p.id, "0_gone0000"), StatusIs(StatusCode::kNotFound));
}

// --- App tokens: compare-and-set update ------------------------------------------------------

TEST_P(StoreContractTest, UpdateWithAStaleExpectedTokenIsAbortedAndChangesNothing) {
  Partner p = AddPartner();
  ASSERT_THAT(store_->InsertAppToken(FullToken(p.id, "0_stale000")), IsOk());
  Result<AppToken> read = store_->GetAppToken(p.id, "0_stale000");
  ASSERT_THAT(read, IsOk());

  AppToken first = *read;
  first.description = "first";
  first.updated_at = kNow + 1;
  ASSERT_THAT(store_->UpdateAppToken(*read, first), IsOk());

  AppToken stale = *read;
  stale.session_duration = 60;
  stale.updated_at = kNow + 2;
  EXPECT_THAT(store_->UpdateAppToken(*read, stale), StatusIs(StatusCode::kAborted));
  Result<AppToken> got = store_->GetAppToken(p.id, "0_stale000");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, first) << "an aborted update writes nothing";
}

TEST_P(StoreContractTest, UpdateComparesEveryFieldOfTheExpectedToken) {
  Partner p = AddPartner();
  const AppToken full = FullToken(p.id, "0_fields00");
  ASSERT_THAT(store_->InsertAppToken(full), IsOk());
  AppToken updated = full;
  updated.description = "must not be written";

  std::vector<std::pair<std::string, std::function<void(AppToken&)>>> changes = {
      {"token", [](AppToken& t) { t.token = "ffffffffffffffffffffffffffffffff"; }},
      {"created_at", [](AppToken& t) { ++t.created_at; }},
      {"updated_at", [](AppToken& t) { ++t.updated_at; }},
      {"status", [](AppToken& t) { t.status = AppTokenStatus::kActive; }},
      {"expiry", [](AppToken& t) { t.expiry.reset(); }},
      {"session_type", [](AppToken& t) { t.session_type = 0; }},
      {"session_user_id", [](AppToken& t) { t.session_user_id = "User@example.com"; }},
      {"session_duration", [](AppToken& t) { t.session_duration = 7201; }},
      {"session_privileges", [](AppToken& t) { t.session_privileges.reset(); }},
      {"hash_type", [](AppToken& t) { t.hash_type = "SHA1"; }},
      {"description", [](AppToken& t) { t.description = ""; }},
      {"previous_token", [](AppToken& t) { t.previous_token.reset(); }},
      {"previous_token_until", [](AppToken& t) { ++*t.previous_token_until; }},
      {"sessions_revoked_before", [](AppToken& t) { t.sessions_revoked_before.reset(); }},
      {"max_sessions", [](AppToken& t) { t.max_sessions = 1; }},
      {"allowed_cidrs", [](AppToken& t) { t.allowed_cidrs = "10.0.0.0/9"; }},
      {"exchanges_per_minute", [](AppToken& t) { t.exchanges_per_minute.reset(); }},
      {"max_session_expiry", [](AppToken& t) { t.max_session_expiry = 0; }},
  };
  for (const auto& [field, change] : changes) {
    AppToken expected = full;
    change(expected);
    EXPECT_THAT(store_->UpdateAppToken(expected, updated), StatusIs(StatusCode::kAborted))
        << "expected differs in " << field;
  }
  EXPECT_THAT(store_->GetAppToken(p.id, "0_fields00"), IsOkAndHolds(full));

  // Null and empty text are different values.
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_nulls000")), IsOk());
  AppToken empty = Token(p.id, "0_nulls000");
  empty.description = "";
  EXPECT_THAT(store_->UpdateAppToken(empty, empty), StatusIs(StatusCode::kAborted));
  EXPECT_THAT(store_->GetAppToken(p.id, "0_nulls000"), IsOkAndHolds(Token(p.id, "0_nulls000")));
  EXPECT_THAT(store_->UpdateAppToken(Token(p.id, "0_nulls000"), empty), IsOk());
  EXPECT_THAT(store_->GetAppToken(p.id, "0_nulls000"), IsOkAndHolds(empty));
}

TEST_P(StoreContractTest, TwoUpdatesFromTheSameReadFirstWinsSecondIsAborted) {
  // The lost update this guards against: two requests read the token, change different
  // fields and write it back; the second write must not silently undo the first.
  Partner p = AddPartner();
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_race0000")), IsOk());
  Result<AppToken> read = store_->GetAppToken(p.id, "0_race0000");
  ASSERT_THAT(read, IsOk());

  AppToken described = *read;
  described.description = "described";
  AppToken longer = *read;
  longer.session_duration = 3600;
  ASSERT_THAT(store_->UpdateAppToken(*read, described), IsOk());
  EXPECT_THAT(store_->UpdateAppToken(*read, longer), StatusIs(StatusCode::kAborted));
  EXPECT_THAT(store_->GetAppToken(p.id, "0_race0000"), IsOkAndHolds(described));

  // The loser re-reads, re-applies its change and wins: both changes are kept.
  Result<AppToken> reread = store_->GetAppToken(p.id, "0_race0000");
  ASSERT_THAT(reread, IsOk());
  longer = *reread;
  longer.session_duration = 3600;
  ASSERT_THAT(store_->UpdateAppToken(*reread, longer), IsOk());
  Result<AppToken> got = store_->GetAppToken(p.id, "0_race0000");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->description, "described");
  EXPECT_EQ(got->session_duration, 3600);
}

TEST_P(StoreContractTest, UpdateRejectsExpectedAndUpdatedOfDifferentTokens) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  const AppToken a = Token(p.id, "0_aaaaaaaa");
  const AppToken b = Token(p.id, "0_bbbbbbbb");
  ASSERT_THAT(store_->InsertAppToken(a), IsOk());
  ASSERT_THAT(store_->InsertAppToken(b), IsOk());

  AppToken b_changed = b;
  b_changed.description = "changed";
  EXPECT_THAT(store_->UpdateAppToken(a, b_changed), StatusIs(StatusCode::kInvalidArgument));
  AppToken moved = a;
  moved.partner_id = other.id;
  EXPECT_THAT(store_->UpdateAppToken(a, moved), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->UpdateAppToken(moved, a), StatusIs(StatusCode::kInvalidArgument));
  // Checked first: even when the updated token does not exist.
  EXPECT_THAT(store_->UpdateAppToken(a, Token(p.id, "0_missing0")),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->GetAppToken(p.id, "0_aaaaaaaa"), IsOkAndHolds(a));
  EXPECT_THAT(store_->GetAppToken(p.id, "0_bbbbbbbb"), IsOkAndHolds(b));
}

TEST_P(StoreContractTest, UpdateOfADeletedTokenIsNotFoundNotAborted) {
  Partner p = AddPartner();
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_deleted0")), IsOk());
  Result<AppToken> read = store_->GetAppToken(p.id, "0_deleted0");
  ASSERT_THAT(read, IsOk());
  ASSERT_THAT(store_->DeleteAppToken(p.id, "0_deleted0", Revoke("k"), kNow + 1), IsOk());
  AppToken changed = *read;
  changed.description = "too late";
  EXPECT_THAT(store_->UpdateAppToken(*read, changed), StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, DeleteHidesTheTokenAndWritesTheRevocation) {
  Partner p = AddPartner();
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_todelete")), IsOk());
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_tokeep00")), IsOk());
  Revocation r = Revoke("session-key", 2000, RevocationType::kSessionId);

  ASSERT_THAT(store_->DeleteAppToken(p.id, "0_todelete", r, kNow + 5), IsOk());

  EXPECT_THAT(store_->GetAppToken(p.id, "0_todelete"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(ListIds(p.id, AllOf()), ElementsAre("0_tokeep00"));
  EXPECT_EQ(TotalCount(p.id, AllOf()), 1);
  EXPECT_TRUE(Revoked({"session-key"}, 2000 + kRevocationGraceSeconds - 1));
  EXPECT_FALSE(Revoked({"session-key"}, 2000 + kRevocationGraceSeconds));
}

TEST_P(StoreContractTest, DeleteTwiceReturnsNotFoundAndLeavesTheRevocation) {
  Partner p = AddPartner();
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_deltwice")), IsOk());
  ASSERT_THAT(store_->DeleteAppToken(p.id, "0_deltwice", Revoke("first"), kNow), IsOk());
  EXPECT_THAT(store_->DeleteAppToken(p.id, "0_deltwice", Revoke("second"), kNow),
              StatusIs(StatusCode::kNotFound));
  EXPECT_TRUE(Revoked({"first"}));
  EXPECT_FALSE(Revoked({"second"}));
}

TEST_P(StoreContractTest, DeleteOfAnUnknownTokenRevokesNothing) {
  Partner p = AddPartner();
  EXPECT_THAT(store_->DeleteAppToken(p.id, "0_nothere0", Revoke("k"), kNow),
              StatusIs(StatusCode::kNotFound));
  EXPECT_FALSE(Revoked({"k"}));
}

// --- App tokens: list ------------------------------------------------------------------------

TEST_P(StoreContractTest, ListWithoutOrderReturnsInsertionOrder) {
  Partner p = AddPartner();
  InsertFour(p.id);
  EXPECT_THAT(ListIds(p.id, AllOf()),
              ElementsAre("0_aaaaaaaa", "0_bbbbbbbb", "0_cccccccc", "0_dddddddd"));
}

TEST_P(StoreContractTest, ListOfAPartnerWithoutTokensIsEmpty) {
  Partner p = AddPartner();
  Result<AppTokenPage> page = store_->ListAppTokens(p.id, AppTokenQuery());
  ASSERT_THAT(page, IsOk());
  EXPECT_THAT(page->objects, IsEmpty());
  EXPECT_EQ(page->total_count, 0);
  EXPECT_THAT(store_->ListAppTokens(999, AppTokenQuery()), IsOk());
}

TEST_P(StoreContractTest, ListReturnsFullRecords) {
  Partner p = AddPartner();
  AppToken full = FullToken(p.id, "0_fullfull");
  ASSERT_THAT(store_->InsertAppToken(full), IsOk());
  Result<AppTokenPage> page = store_->ListAppTokens(p.id, AllOf());
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0], full);
}

TEST_P(StoreContractTest, ListFiltersByIdEqual) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.id_equal = "0_cccccccc";
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_cccccccc"));
  q.id_equal = "0_zzzzzzzz";
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListFiltersByIdIn) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.id_in = std::vector<std::string>{"0_dddddddd", "0_zzzzzzzz", "0_aaaaaaaa"};
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_aaaaaaaa", "0_dddddddd"));
  q.id_in = std::vector<std::string>{};
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());
  EXPECT_EQ(TotalCount(p.id, q), 0);
}

TEST_P(StoreContractTest, ListFiltersByCreatedAtRangeInclusively) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.created_at_gte = 200;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_bbbbbbbb", "0_dddddddd"));
  q = AllOf();
  q.created_at_lte = 100;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_aaaaaaaa", "0_cccccccc"));
  q.created_at_gte = 100;
  q.created_at_lte = 200;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_aaaaaaaa", "0_bbbbbbbb", "0_cccccccc"));
  q.created_at_gte = 201;
  q.created_at_lte = 299;
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListFiltersByUpdatedAtRangeInclusively) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.updated_at_gte = 300;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_aaaaaaaa", "0_dddddddd"));
  q = AllOf();
  q.updated_at_lte = 200;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_bbbbbbbb", "0_cccccccc"));
  q.updated_at_gte = 150;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_cccccccc"));
}

TEST_P(StoreContractTest, ListFiltersByStatusEqual) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.status_equal = static_cast<int>(AppTokenStatus::kDisabled);
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_bbbbbbbb", "0_dddddddd"));
  q.status_equal = static_cast<int>(AppTokenStatus::kActive);
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_aaaaaaaa", "0_cccccccc"));
}

TEST_P(StoreContractTest, ListNeverReturnsDeletedTokensEvenWhenAskedFor) {
  Partner p = AddPartner();
  InsertFour(p.id);
  ASSERT_THAT(store_->DeleteAppToken(p.id, "0_aaaaaaaa", Revoke("k"), kNow), IsOk());
  AppTokenQuery q = AllOf();
  q.status_equal = static_cast<int>(AppTokenStatus::kDeleted);
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());
  EXPECT_EQ(TotalCount(p.id, q), 0);
  q = AllOf();
  q.status_in = std::vector<int>{3, 2};
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_cccccccc"));
  q = AllOf();
  q.id_equal = "0_aaaaaaaa";
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListFiltersByStatusIn) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.status_in = std::vector<int>{1};
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_bbbbbbbb", "0_dddddddd"));
  q.status_in = std::vector<int>{2, 1};
  EXPECT_EQ(ListIds(p.id, q).size(), 4u);
  q.status_in = std::vector<int>{};
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());
}

TEST_P(StoreContractTest, ListFiltersBySessionUserIdEqual) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.session_user_id_equal = "u1";
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_aaaaaaaa", "0_dddddddd"));
  q.session_user_id_equal = "";
  EXPECT_THAT(ListIds(p.id, q), IsEmpty()) << "a null session user id matches nothing";
}

TEST_P(StoreContractTest, ListAppliesEveryFilterTogether) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.session_user_id_equal = "u1";
  q.status_equal = static_cast<int>(AppTokenStatus::kDisabled);
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_dddddddd"));

  q = AllOf();
  q.id_in = std::vector<std::string>{"0_aaaaaaaa", "0_bbbbbbbb", "0_cccccccc"};
  q.created_at_lte = 150;
  q.updated_at_gte = 250;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_aaaaaaaa"));

  q.id_equal = "0_bbbbbbbb";
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());

  q = AllOf();
  q.id_equal = "0_bbbbbbbb";
  q.id_in = std::vector<std::string>{"0_bbbbbbbb", "0_cccccccc"};
  q.status_in = std::vector<int>{1, 2};
  q.created_at_gte = 200;
  q.created_at_lte = 200;
  q.updated_at_gte = 100;
  q.updated_at_lte = 100;
  q.status_equal = 1;
  q.session_user_id_equal = "u2";
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_bbbbbbbb"));
}

TEST_P(StoreContractTest, ListOrdersByCreatedAtWithTiesInInsertionOrder) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.order_by = {{AppTokenOrderField::kCreatedAt, true}};
  EXPECT_THAT(ListIds(p.id, q),
              ElementsAre("0_aaaaaaaa", "0_cccccccc", "0_bbbbbbbb", "0_dddddddd"));
  q.order_by = {{AppTokenOrderField::kCreatedAt, false}};
  EXPECT_THAT(ListIds(p.id, q),
              ElementsAre("0_dddddddd", "0_bbbbbbbb", "0_aaaaaaaa", "0_cccccccc"));
}

TEST_P(StoreContractTest, ListOrdersByUpdatedAtWithTiesInInsertionOrder) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.order_by = {{AppTokenOrderField::kUpdatedAt, true}};
  EXPECT_THAT(ListIds(p.id, q),
              ElementsAre("0_bbbbbbbb", "0_cccccccc", "0_aaaaaaaa", "0_dddddddd"));
  q.order_by = {{AppTokenOrderField::kUpdatedAt, false}};
  EXPECT_THAT(ListIds(p.id, q),
              ElementsAre("0_aaaaaaaa", "0_dddddddd", "0_cccccccc", "0_bbbbbbbb"));
}

TEST_P(StoreContractTest, ListAppliesOrderEntriesInTurn) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q = AllOf();
  q.order_by = {{AppTokenOrderField::kCreatedAt, false}, {AppTokenOrderField::kUpdatedAt, true}};
  EXPECT_THAT(ListIds(p.id, q),
              ElementsAre("0_dddddddd", "0_bbbbbbbb", "0_cccccccc", "0_aaaaaaaa"));
  q.order_by = {{AppTokenOrderField::kUpdatedAt, false}, {AppTokenOrderField::kCreatedAt, false}};
  EXPECT_THAT(ListIds(p.id, q),
              ElementsAre("0_dddddddd", "0_aaaaaaaa", "0_cccccccc", "0_bbbbbbbb"));
}

TEST_P(StoreContractTest, ListPagesWithLimitAndOffset) {
  Partner p = AddPartner();
  InsertFour(p.id);
  AppTokenQuery q;
  q.order_by = {{AppTokenOrderField::kCreatedAt, false}};
  q.limit = 3;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_dddddddd", "0_bbbbbbbb", "0_aaaaaaaa"));
  q.offset = 3;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_cccccccc"));
  q.limit = 2;
  q.offset = 1;
  EXPECT_THAT(ListIds(p.id, q), ElementsAre("0_bbbbbbbb", "0_aaaaaaaa"));
  q.offset = 4;
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());
  q.offset = 1000;
  EXPECT_THAT(ListIds(p.id, q), IsEmpty());
  EXPECT_EQ(TotalCount(p.id, q), 4);
}

TEST_P(StoreContractTest, ListLimitZeroReturnsEveryMatch) {
  Partner p = AddPartner();
  for (int i = 0; i < 45; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "0_tok%05d", i);
    ASSERT_THAT(store_->InsertAppToken(Token(p.id, id, kNow + i, kNow + i)), IsOk());
  }
  AppTokenQuery q;  // default limit 30
  EXPECT_EQ(ListIds(p.id, q).size(), 30u);
  q.limit = 0;
  EXPECT_EQ(ListIds(p.id, q).size(), 45u);
  q.offset = 40;
  EXPECT_EQ(ListIds(p.id, q).size(), 5u);
}

TEST_P(StoreContractTest, ListTotalCountCountsEveryMatchIgnoringPaging) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  InsertFour(p.id);
  ASSERT_THAT(store_->InsertAppToken(Token(other.id, "0_otherppp")), IsOk());
  ASSERT_THAT(store_->InsertAppToken(Token(p.id, "0_eeeeeeee")), IsOk());
  ASSERT_THAT(store_->DeleteAppToken(p.id, "0_eeeeeeee", Revoke("k"), kNow), IsOk());

  AppTokenQuery q;
  q.limit = 1;
  q.offset = 2;
  Result<AppTokenPage> page = store_->ListAppTokens(p.id, q);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->total_count, 4);

  q.status_equal = static_cast<int>(AppTokenStatus::kActive);
  EXPECT_EQ(TotalCount(p.id, q), 2);
  EXPECT_EQ(TotalCount(other.id, AllOf()), 1);
}

}  // namespace
}  // namespace ksgate::store
