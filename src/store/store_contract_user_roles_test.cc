// The Store contract for user roles (InsertUserRole, GetUserRole, FindUserRoleBySystemName,
// UpdateUserRole) and their persistence, run against every backend listed in
// store_contract_test.cc; listing is in store_contract_user_roles_list_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/records.h"
#include "store/store.h"
#include "store/store_contract_test.h"
#include "testing/matchers.h"

namespace ksgate::store {
namespace {

using ::ksgate::store::testing::kNow;
using ::ksgate::store::testing::StoreContractTest;
using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

// --- Insert ----------------------------------------------------------------------------------

TEST_P(StoreContractTest, InsertUserRoleAssignsIncreasingIdsFromFirstUserRoleId) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  UserRole first = AddRole(Role(p.id, "first"));
  UserRole second = AddRole(Role(other.id, "second"));
  UserRole third = AddRole(Role(p.id, "third"));
  EXPECT_EQ(first.id, kFirstUserRoleId);
  EXPECT_EQ(second.id, kFirstUserRoleId + 1) << "ids are shared by all partners";
  EXPECT_EQ(third.id, kFirstUserRoleId + 2);
}

TEST_P(StoreContractTest, InsertUserRoleReturnsAndStoresEveryField) {
  Partner p = AddPartner();
  const UserRole in = FullRole(p.id);
  Result<UserRole> inserted = store_->InsertUserRole(in);
  ASSERT_THAT(inserted, IsOk());
  UserRole expected = in;
  expected.id = kFirstUserRoleId;
  EXPECT_EQ(*inserted, expected);

  Result<UserRole> got = store_->GetUserRole(p.id, kFirstUserRoleId);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, expected);
  EXPECT_THAT(store_->GetUserRole(p.id, 42), StatusIs(StatusCode::kNotFound));

  UserRole bare = Role(p.id, "bare");
  Result<UserRole> bare_in = store_->InsertUserRole(bare);
  ASSERT_THAT(bare_in, IsOk());
  Result<UserRole> bare_got = store_->GetUserRole(p.id, bare_in->id);
  ASSERT_THAT(bare_got, IsOk());
  EXPECT_EQ(*bare_got, *bare_in);
  EXPECT_FALSE(bare_got->description.has_value());
  EXPECT_FALSE(bare_got->tags.has_value());
  EXPECT_EQ(bare_got->system_name, "");
}

TEST_P(StoreContractTest, InsertUserRoleForAnUnknownPartnerIsNotFound) {
  EXPECT_THAT(store_->InsertUserRole(Role(7, "orphan")), StatusIs(StatusCode::kNotFound));
  Partner p = AddPartner();
  EXPECT_EQ(AddRole(Role(p.id, "r")).id, kFirstUserRoleId) << "a failed insert uses no id";
}

TEST_P(StoreContractTest, InsertUserRoleRejectsADeletedRole) {
  Partner p = AddPartner();
  UserRole deleted = Role(p.id, "dead", "DEAD");
  deleted.status = UserRoleStatus::kDeleted;
  EXPECT_THAT(store_->InsertUserRole(deleted), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->InsertUserRole(Role(99, "dead")), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(AddRole(Role(p.id, "r", "DEAD")).id, kFirstUserRoleId);
}

TEST_P(StoreContractTest, InsertUserRoleRejectsASystemNameClashWithinThePartner) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  UserRole editor = AddRole(Role(p.id, "Editor", "EDITOR"));
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "Another editor", "EDITOR")),
              StatusIs(StatusCode::kAlreadyExists));
  // A blocked role still holds its name.
  UserRole blocked = Role(p.id, "Blocked", "BLOCKED");
  blocked.status = UserRoleStatus::kBlocked;
  AddRole(blocked);
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "x", "BLOCKED")),
              StatusIs(StatusCode::kAlreadyExists));

  // Other partners, other spellings and empty names do not clash.
  EXPECT_THAT(store_->InsertUserRole(Role(other.id, "Editor", "EDITOR")), IsOk());
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "editor", "editor")), IsOk());
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "no name 1")), IsOk());
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "no name 2")), IsOk());
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "no name 3", "")), IsOk());

  Result<UserRole> still = store_->FindUserRoleBySystemName(p.id, "EDITOR");
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(*still, editor);
  EXPECT_EQ(AddRole(Role(p.id, "next")).id, kFirstUserRoleId + 7) << "failed inserts use no id";
}

TEST_P(StoreContractTest, ADeletedRoleFreesItsSystemName) {
  Partner p = AddPartner();
  UserRole old_role = AddRole(Role(p.id, "Old", "EDITOR"));
  ASSERT_THAT(store_->UpdateUserRole(old_role, Deleted(old_role)), IsOk());

  UserRole new_role = AddRole(Role(p.id, "New", "EDITOR"));
  EXPECT_GT(new_role.id, old_role.id) << "ids are never reused";
  Result<UserRole> found = store_->FindUserRoleBySystemName(p.id, "EDITOR");
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->id, new_role.id);
  EXPECT_EQ(found->name, "New");
}

TEST_P(StoreContractTest, ConcurrentUserRoleInsertsGetDistinctIds) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t partner_id = i % 2 == 0 ? p.id : other.id;
        const std::string name = "t" + std::to_string(t) + "i" + std::to_string(i);
        if (!store_->InsertUserRole(Role(partner_id, name, name)).ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<int64_t> ids;
  for (int64_t partner_id : {p.id, other.id}) {
    for (int64_t id : ListRoleIds(partner_id, AllRoles())) ids.insert(id);
  }
  ASSERT_EQ(ids.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*ids.begin(), kFirstUserRoleId);
  EXPECT_EQ(*ids.rbegin(), kFirstUserRoleId + kThreads * kPerThread - 1);
}

// --- Get, find -------------------------------------------------------------------------------

TEST_P(StoreContractTest, GetUserRoleFindsOnlyLiveRolesOfThePartner) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  UserRole blocked = Role(p.id, "Blocked");
  blocked.status = UserRoleStatus::kBlocked;
  blocked = AddRole(blocked);
  UserRole gone = AddRole(Role(p.id, "Gone"));
  ASSERT_THAT(store_->UpdateUserRole(gone, Deleted(gone)), IsOk());

  Result<UserRole> got = store_->GetUserRole(p.id, blocked.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->status, UserRoleStatus::kBlocked);
  EXPECT_THAT(store_->GetUserRole(other.id, blocked.id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetUserRole(p.id, gone.id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetUserRole(p.id, 999), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetUserRole(p.id, 0), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetUserRole(p.id, -1), StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, FindUserRoleBySystemNameFindsOnlyLiveRolesOfThePartner) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  UserRole editor = AddRole(Role(p.id, "Editor", "EDITOR"));
  AddRole(Role(p.id, "Nameless"));
  UserRole gone = AddRole(Role(p.id, "Gone", "GONE"));
  ASSERT_THAT(store_->UpdateUserRole(gone, Deleted(gone)), IsOk());

  Result<UserRole> found = store_->FindUserRoleBySystemName(p.id, "EDITOR");
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(*found, editor);
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "editor"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "EDIT"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->FindUserRoleBySystemName(other.id, "EDITOR"),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "GONE"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, ""), StatusIs(StatusCode::kNotFound))
      << "an empty system name means none";
}

// --- Update ----------------------------------------------------------------------------------

TEST_P(StoreContractTest, UpdateUserRoleReplacesEveryStoredField) {
  Partner p = AddPartner();
  UserRole stored = AddRole(FullRole(p.id));

  UserRole changed = Role(p.id, "Renamed", "RENAMED", kNow - 100, kNow + 100);
  changed.id = stored.id;
  changed.status = UserRoleStatus::kActive;
  changed.permission_names = "ALWAYS_ALLOWED_ACTIONS";
  ASSERT_THAT(store_->UpdateUserRole(stored, changed), IsOk());

  Result<UserRole> got = store_->GetUserRole(p.id, stored.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, changed);
  EXPECT_FALSE(got->description.has_value()) << "null fields in the update clear stored values";
  EXPECT_FALSE(got->tags.has_value());
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "EDITOR_ROLE"),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "RENAMED"), IsOk());
}

TEST_P(StoreContractTest, UpdateUserRoleReturnsNotFoundForUnknownForeignOrDeletedRoles) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  UserRole unknown = Role(p.id, "Unknown");
  unknown.id = 999;
  EXPECT_THAT(store_->UpdateUserRole(unknown, unknown), StatusIs(StatusCode::kNotFound));

  UserRole owned = AddRole(Role(p.id, "Owned", "OWNED"));
  UserRole as_theirs = owned;
  as_theirs.partner_id = other.id;
  UserRole hijack = as_theirs;
  hijack.name = "Mine now";
  EXPECT_THAT(store_->UpdateUserRole(as_theirs, hijack), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetUserRole(p.id, owned.id), IsOkAndHolds(owned));

  const UserRole deleted = Deleted(owned);
  ASSERT_THAT(store_->UpdateUserRole(owned, deleted), IsOk());
  EXPECT_THAT(store_->UpdateUserRole(deleted, deleted), StatusIs(StatusCode::kNotFound));
  UserRole revive = owned;
  revive.status = UserRoleStatus::kActive;
  EXPECT_THAT(store_->UpdateUserRole(owned, revive), StatusIs(StatusCode::kNotFound))
      << "the role as read before the delete";
  EXPECT_THAT(store_->UpdateUserRole(deleted, revive), StatusIs(StatusCode::kNotFound))
      << "the role as stored after the delete";
  EXPECT_THAT(store_->GetUserRole(p.id, owned.id), StatusIs(StatusCode::kNotFound));
}

TEST_P(StoreContractTest, UpdateUserRoleRejectsASystemNameClash) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  UserRole editor = AddRole(Role(p.id, "Editor", "EDITOR"));
  UserRole viewer = AddRole(Role(p.id, "Viewer", "VIEWER"));
  AddRole(Role(other.id, "Theirs", "THEIRS"));

  UserRole clash = viewer;
  clash.system_name = "EDITOR";
  clash.name = "Changed";
  EXPECT_THAT(store_->UpdateUserRole(viewer, clash), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->GetUserRole(p.id, viewer.id), IsOkAndHolds(viewer))
      << "nothing changes on error";

  // Keeping its own name, taking another partner's name or dropping the name is fine.
  UserRole same = viewer;
  same.description = "still VIEWER";
  EXPECT_THAT(store_->UpdateUserRole(viewer, same), IsOk());
  UserRole theirs = viewer;
  theirs.system_name = "THEIRS";
  EXPECT_THAT(store_->UpdateUserRole(same, theirs), IsOk());
  UserRole nameless = viewer;
  nameless.system_name = "";
  EXPECT_THAT(store_->UpdateUserRole(theirs, nameless), IsOk());
  UserRole nameless_editor = editor;
  nameless_editor.system_name = "";
  EXPECT_THAT(store_->UpdateUserRole(editor, nameless_editor), IsOk()) << "empty names never clash";

  // EDITOR is free again.
  UserRole takes = viewer;
  takes.system_name = "EDITOR";
  EXPECT_THAT(store_->UpdateUserRole(nameless, takes), IsOk());
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "EDITOR"),
              IsOkAndHolds(Field(&UserRole::id, viewer.id)));
}

TEST_P(StoreContractTest, DeletingAUserRoleNeverClashes) {
  Partner p = AddPartner();
  AddRole(Role(p.id, "Editor", "EDITOR"));
  UserRole viewer = AddRole(Role(p.id, "Viewer", "VIEWER"));
  UserRole deleted = viewer;
  deleted.system_name = "EDITOR";
  deleted.status = UserRoleStatus::kDeleted;
  EXPECT_THAT(store_->UpdateUserRole(viewer, deleted), IsOk());
  EXPECT_THAT(store_->GetUserRole(p.id, viewer.id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "EDITOR"),
              IsOkAndHolds(Field(&UserRole::name, "Editor")));
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "VIEWER"), StatusIs(StatusCode::kNotFound));
}

// --- Update: compare-and-set -----------------------------------------------------------------

TEST_P(StoreContractTest, UpdateUserRoleWithAStaleExpectedRoleIsAbortedAndChangesNothing) {
  Partner p = AddPartner();
  const UserRole read = AddRole(FullRole(p.id));

  UserRole first = read;
  first.name = "First";
  first.updated_at = kNow + 1;
  ASSERT_THAT(store_->UpdateUserRole(read, first), IsOk());

  UserRole stale = read;
  stale.permission_names = "ALWAYS_ALLOWED_ACTIONS";
  stale.updated_at = kNow + 2;
  EXPECT_THAT(store_->UpdateUserRole(read, stale), StatusIs(StatusCode::kAborted));
  EXPECT_THAT(store_->UpdateUserRole(read, Deleted(read)), StatusIs(StatusCode::kAborted))
      << "a stale delete is aborted too";
  EXPECT_THAT(store_->GetUserRole(p.id, read.id), IsOkAndHolds(first))
      << "an aborted update writes nothing";
}

TEST_P(StoreContractTest, UpdateUserRoleComparesEveryFieldOfTheExpectedRole) {
  Partner p = AddPartner();
  const UserRole full = AddRole(FullRole(p.id));
  UserRole updated = full;
  updated.name = "must not be written";

  std::vector<std::pair<std::string, std::function<void(UserRole&)>>> changes = {
      {"name", [](UserRole& r) { r.name += " "; }},
      {"system_name", [](UserRole& r) { r.system_name = ""; }},
      {"description", [](UserRole& r) { r.description.reset(); }},
      {"status", [](UserRole& r) { r.status = UserRoleStatus::kActive; }},
      {"permission_names", [](UserRole& r) { r.permission_names = "*"; }},
      {"tags", [](UserRole& r) { r.tags = ""; }},
      {"created_at", [](UserRole& r) { ++r.created_at; }},
      {"updated_at", [](UserRole& r) { --r.updated_at; }},
  };
  for (const auto& [field, change] : changes) {
    UserRole expected = full;
    change(expected);
    ASSERT_NE(expected, full) << field;
    EXPECT_THAT(store_->UpdateUserRole(expected, updated), StatusIs(StatusCode::kAborted))
        << "expected differs in " << field;
  }
  EXPECT_THAT(store_->GetUserRole(p.id, full.id), IsOkAndHolds(full));
}

TEST_P(StoreContractTest, TwoUserRoleUpdatesFromTheSameReadFirstWinsSecondIsAborted) {
  Partner p = AddPartner();
  const UserRole inserted = AddRole(Role(p.id, "Editor", "EDITOR"));
  Result<UserRole> read = store_->GetUserRole(p.id, inserted.id);
  ASSERT_THAT(read, IsOk());

  UserRole described = *read;
  described.description = "described";
  UserRole tagged = *read;
  tagged.tags = "a,b";
  ASSERT_THAT(store_->UpdateUserRole(*read, described), IsOk());
  EXPECT_THAT(store_->UpdateUserRole(*read, tagged), StatusIs(StatusCode::kAborted));
  EXPECT_THAT(store_->GetUserRole(p.id, inserted.id), IsOkAndHolds(described));

  Result<UserRole> reread = store_->GetUserRole(p.id, inserted.id);
  ASSERT_THAT(reread, IsOk());
  tagged = *reread;
  tagged.tags = "a,b";
  ASSERT_THAT(store_->UpdateUserRole(*reread, tagged), IsOk());
  Result<UserRole> got = store_->GetUserRole(p.id, inserted.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->description, "described");
  EXPECT_EQ(got->tags, "a,b");
}

TEST_P(StoreContractTest, UpdateUserRoleChecksAbortedBeforeASystemNameClash) {
  Partner p = AddPartner();
  AddRole(Role(p.id, "Editor", "EDITOR"));
  const UserRole viewer = AddRole(Role(p.id, "Viewer", "VIEWER"));
  UserRole renamed = viewer;
  renamed.name = "Renamed";
  ASSERT_THAT(store_->UpdateUserRole(viewer, renamed), IsOk());

  UserRole clash = viewer;
  clash.system_name = "EDITOR";
  EXPECT_THAT(store_->UpdateUserRole(viewer, clash), StatusIs(StatusCode::kAborted))
      << "a stale expected role is reported before the clash";
  EXPECT_THAT(store_->UpdateUserRole(renamed, clash), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->GetUserRole(p.id, viewer.id), IsOkAndHolds(renamed));
}

TEST_P(StoreContractTest, UpdateUserRoleRejectsExpectedAndUpdatedOfDifferentRoles) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  const UserRole a = AddRole(Role(p.id, "A", "A"));
  const UserRole b = AddRole(Role(p.id, "B", "B"));

  UserRole b_changed = b;
  b_changed.name = "changed";
  EXPECT_THAT(store_->UpdateUserRole(a, b_changed), StatusIs(StatusCode::kInvalidArgument));
  UserRole moved = a;
  moved.partner_id = other.id;
  EXPECT_THAT(store_->UpdateUserRole(a, moved), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->UpdateUserRole(moved, a), StatusIs(StatusCode::kInvalidArgument));
  UserRole missing = a;
  missing.id = 999;
  EXPECT_THAT(store_->UpdateUserRole(a, missing), StatusIs(StatusCode::kInvalidArgument))
      << "checked first: even when the updated role does not exist";
  EXPECT_THAT(store_->GetUserRole(p.id, a.id), IsOkAndHolds(a));
  EXPECT_THAT(store_->GetUserRole(p.id, b.id), IsOkAndHolds(b));
}

TEST_P(StoreContractTest, ConcurrentUserRoleCompareAndSetUpdatesLoseNoIncrement) {
  constexpr int kThreads = 8;
  constexpr int kIncrementsPerThread = 50;
  Partner p = AddPartner();
  UserRole counter = Role(p.id, "Counter", "COUNTER");
  counter.description = "0";
  counter = AddRole(counter);

  // Each attempt: read, add 1 to the counter in description, compare-and-set.
  const int64_t aborted = RunCasRetryLoops(kThreads, kIncrementsPerThread, [&]() -> Status {
    Result<UserRole> read = store_->GetUserRole(p.id, counter.id);
    if (!read.ok()) return read.status();
    UserRole next = *read;
    next.description = std::to_string(Counter(read->description) + 1);
    next.updated_at = read->updated_at + 1;
    return store_->UpdateUserRole(*read, next);
  });

  Result<UserRole> got = store_->GetUserRole(p.id, counter.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(Counter(got->description), kThreads * kIncrementsPerThread) << aborted << " aborted";
  EXPECT_EQ(got->updated_at, kNow + kThreads * kIncrementsPerThread);
}

// --- Persistence -----------------------------------------------------------------------------

TEST_P(StoreContractTest, ReopenedFileStoreKeepsUserRoles) {
  if (!GetParam().persistent) GTEST_SKIP() << GetParam().name << " does not persist";
  Partner p = AddPartner();
  UserRole full = AddRole(FullRole(p.id));
  UserRole kept = AddRole(Role(p.id, "Kept", "KEPT"));
  UserRole gone = AddRole(Role(p.id, "Gone", "GONE"));
  ASSERT_THAT(store_->UpdateUserRole(gone, Deleted(gone)), IsOk());

  ASSERT_NO_FATAL_FAILURE(Reopen());

  EXPECT_THAT(store_->GetUserRole(p.id, full.id), IsOkAndHolds(full));
  EXPECT_THAT(store_->FindUserRoleBySystemName(p.id, "KEPT"), IsOkAndHolds(kept));
  EXPECT_THAT(store_->GetUserRole(p.id, gone.id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(ListRoleIds(p.id, AllRoles()), ElementsAre(full.id, kept.id));
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "Again", "KEPT")),
              StatusIs(StatusCode::kAlreadyExists));
  UserRole next = AddRole(Role(p.id, "Next", "GONE"));
  EXPECT_EQ(next.id, gone.id + 1) << "the deleted role's id stays used";
}

}  // namespace
}  // namespace ksgate::store

namespace ksgate::store {
namespace {

TEST_P(StoreContractTest, UserRoleNamesAreUniqueAmongAPartnersLiveRoles) {
  Partner p = AddPartner();
  Partner other = AddPartner("other");
  UserRole first = AddRole(Role(p.id, "Editor"));
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "Editor")), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->InsertUserRole(Role(p.id, "editor")), IsOk()) << "case-sensitive";
  EXPECT_THAT(store_->InsertUserRole(Role(other.id, "Editor")), IsOk()) << "per partner";

  UserRole second = AddRole(Role(p.id, "Writer"));
  UserRole renamed = second;
  renamed.name = "Editor";
  EXPECT_THAT(store_->UpdateUserRole(second, renamed), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->GetUserRole(p.id, second.id), IsOkAndHolds(Field(&UserRole::name, "Writer")));

  ASSERT_THAT(store_->UpdateUserRole(first, Deleted(first)), IsOk());
  EXPECT_THAT(store_->UpdateUserRole(second, renamed), IsOk()) << "a deleted role frees its name";
}

}  // namespace
}  // namespace ksgate::store
