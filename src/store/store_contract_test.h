// The Store contract suite's fixture, shared by every file of the suite
// (store_contract_test.cc, store_contract_user_roles_test.cc). The backends it runs on are
// listed where the suite is instantiated: store_contract_backends_test.cc (store_test) and
// postgres/pg_contract_test.cc (store_postgres_test); a TEST_P in any file of the suite runs on
// all of them.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/result.h"
#include "store/records.h"
#include "store/store.h"
#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::store::testing {

inline constexpr int64_t kNow = 1'700'000'000;

struct Backend {
  std::string name;
  // Opens the backend's store; file backends keep their database in `dir`.
  std::function<Result<std::unique_ptr<Store>>(const std::filesystem::path& dir)> open;
  // True if a store opened again on the same `dir` sees what the previous one wrote.
  bool persistent = false;
  // Writes an invalid_sessions row with an actions limit (test hook of the concrete class).
  std::function<Status(Store&, const Revocation&, int64_t actions_limit, int64_t now)>
      set_actions_limit;
  // Optional: a reason to skip every test on this backend ("" to run them), e.g. no database
  // server configured.
  std::function<std::string()> skip_reason;
  // Optional: runs before a test first opens the store in `dir` and returns what must live
  // until the test ends (e.g. a scratch database, dropped when released).
  std::function<Result<std::shared_ptr<void>>(const std::filesystem::path& dir)> prepare;
};

// gtest prints the parameter of a failing test with this.
inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().skip_reason) {
      const std::string why = GetParam().skip_reason();
      if (!why.empty()) GTEST_SKIP() << why;
    }
    if (GetParam().prepare) {
      Result<std::shared_ptr<void>> prepared = GetParam().prepare(dir_.path());
      ASSERT_THAT(prepared, ::ksgate::testing::IsOk());
      prepared_ = std::move(prepared).value();
    }
    ASSERT_NO_FATAL_FAILURE(Open());
  }

  void Open() {
    KSGATE_ASSERT_OK_AND_ASSIGN(store_, GetParam().open(dir_.path()));
    ASSERT_THAT(store_->Migrate(), ::ksgate::testing::IsOk());
  }

  void Reopen() {
    store_.reset();
    ASSERT_NO_FATAL_FAILURE(Open());
  }

  Partner AddPartner(const std::string& name = "acme") {
    NewPartner p;
    p.name = name;
    p.admin_secrets = {name + "-admin"};
    p.secret = name + "-user";
    Result<Partner> created = store_->CreatePartner(p, kNow);
    EXPECT_THAT(created, ::ksgate::testing::IsOk());
    return created.ok() ? *created : Partner();
  }

  static AppToken Token(int64_t partner_id, std::string id, int64_t created_at = kNow,
                        int64_t updated_at = kNow) {
    AppToken t;
    t.id = std::move(id);
    t.token = "0123456789abcdef0123456789abcdef";
    t.partner_id = partner_id;
    t.created_at = created_at;
    t.updated_at = updated_at;
    t.status = AppTokenStatus::kActive;
    return t;
  }

  static AppToken FullToken(int64_t partner_id, std::string id) {
    AppToken t = Token(partner_id, std::move(id), kNow - 10, kNow - 5);
    t.status = AppTokenStatus::kDisabled;
    t.expiry = kNow + 3600;
    t.session_type = 2;
    t.session_user_id = "user@example.com";
    t.session_duration = 7200;
    t.session_privileges = "sview:*,setrole:PLAYBACK_BASE_ROLE";
    t.hash_type = "SHA256";
    t.description = "it's \"quoted\"; DROP TABLE app_tokens; -- ünïcode";
    t.previous_token = "fedcba9876543210fedcba9876543210";
    t.previous_token_until = kNow + 60;
    t.sessions_revoked_before = kNow - 1;
    t.max_sessions = 1'000'000'000'000;
    t.allowed_cidrs = "10.0.0.0/8,2001:db8::/32";
    t.exchanges_per_minute = 120;
    t.max_session_expiry = 600;
    return t;
  }

  static Revocation Revoke(std::string key, std::optional<int64_t> valid_until = std::nullopt,
                           RevocationType type = RevocationType::kKsHash) {
    Revocation r;
    r.key = std::move(key);
    r.type = type;
    r.valid_until = valid_until;
    return r;
  }

  bool Revoked(std::vector<std::string> keys, int64_t now = kNow) {
    Result<bool> revoked = store_->IsRevoked(keys, now);
    EXPECT_THAT(revoked, ::ksgate::testing::IsOk());
    return revoked.ok() && *revoked;
  }

  std::vector<std::string> ListIds(int64_t partner_id, const AppTokenQuery& query) {
    Result<AppTokenPage> page = store_->ListAppTokens(partner_id, query);
    EXPECT_THAT(page, ::ksgate::testing::IsOk());
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const AppToken& t : page->objects) ids.push_back(t.id);
    }
    return ids;
  }

  int64_t TotalCount(int64_t partner_id, const AppTokenQuery& query) {
    Result<AppTokenPage> page = store_->ListAppTokens(partner_id, query);
    EXPECT_THAT(page, ::ksgate::testing::IsOk());
    return page.ok() ? page->total_count : -1;
  }

  // Four tokens of `partner_id` for filter and order tests, inserted in order a, b, c, d:
  //   a created 100 updated 300, active,   user "u1"
  //   b created 200 updated 100, disabled, user "u2"
  //   c created 100 updated 200, active,   no user
  //   d created 300 updated 300, disabled, user "u1"
  void InsertFour(int64_t partner_id) {
    AppToken a = Token(partner_id, "0_aaaaaaaa", 100, 300);
    a.session_user_id = "u1";
    AppToken b = Token(partner_id, "0_bbbbbbbb", 200, 100);
    b.status = AppTokenStatus::kDisabled;
    b.session_user_id = "u2";
    AppToken c = Token(partner_id, "0_cccccccc", 100, 200);
    AppToken d = Token(partner_id, "0_dddddddd", 300, 300);
    d.status = AppTokenStatus::kDisabled;
    d.session_user_id = "u1";
    for (const AppToken& t : {a, b, c, d})
      ASSERT_THAT(store_->InsertAppToken(t), ::ksgate::testing::IsOk());
  }

  static AppTokenQuery AllOf() {
    AppTokenQuery q;
    q.limit = 0;
    return q;
  }

  // --- User roles ---------------------------------------------------------------------------

 public:
  // A role with only the required fields set; permission_names "*", status active. Public so
  // that helper functions outside the fixture can build roles too.
  static UserRole Role(int64_t partner_id, std::string name, std::string system_name = "",
                       int64_t created_at = kNow, int64_t updated_at = kNow) {
    UserRole r;
    r.partner_id = partner_id;
    r.name = std::move(name);
    r.system_name = std::move(system_name);
    r.permission_names = "*";
    r.created_at = created_at;
    r.updated_at = updated_at;
    return r;
  }

  // A role with every field set, including text that needs care in SQL.
  static UserRole FullRole(int64_t partner_id) {
    UserRole r;
    r.id = 42;  // ignored by InsertUserRole
    r.partner_id = partner_id;
    r.name = "Ünïcode \"editor\"; DROP TABLE user_roles; --";
    r.system_name = "EDITOR_ROLE";
    r.description = "it's 100% _the_ editor";
    r.status = UserRoleStatus::kBlocked;
    r.permission_names = "CONTENT_MANAGE_BASE,CONTENT_MANAGE_METADATA";
    r.tags = "edit,media";
    r.created_at = kNow - 10;
    r.updated_at = kNow - 5;
    return r;
  }

  // `role` with status kDeleted: UpdateUserRole(role, Deleted(role)) deletes it.
  static UserRole Deleted(UserRole role) {
    role.status = UserRoleStatus::kDeleted;
    return role;
  }

 protected:
  // Inserts `role`, expecting success; the stored role (id 0 on failure).
  UserRole AddRole(const UserRole& role) {
    Result<UserRole> inserted = store_->InsertUserRole(role);
    EXPECT_THAT(inserted, ::ksgate::testing::IsOk());
    return inserted.ok() ? *inserted : UserRole();
  }

  std::vector<int64_t> ListRoleIds(int64_t partner_id, const UserRoleQuery& query) {
    Result<UserRolePage> page = store_->ListUserRoles(partner_id, query);
    EXPECT_THAT(page, ::ksgate::testing::IsOk());
    std::vector<int64_t> ids;
    if (page.ok()) {
      for (const UserRole& r : page->objects) ids.push_back(r.id);
    }
    return ids;
  }

  int64_t RoleTotalCount(int64_t partner_id, const UserRoleQuery& query) {
    Result<UserRolePage> page = store_->ListUserRoles(partner_id, query);
    EXPECT_THAT(page, ::ksgate::testing::IsOk());
    return page.ok() ? page->total_count : -1;
  }

  static UserRoleQuery AllRoles() {
    UserRoleQuery q;
    q.limit = 0;
    return q;
  }

  // --- Compare-and-set ------------------------------------------------------------------------

  // Starts `threads` threads that each call `attempt` until it returns OK, `per_thread` times:
  // `attempt` is one read-modify-compare-and-set and returns the update's Status. kAborted
  // means "retry"; any other error, or a success still missing after kMaxCasAttempts tries,
  // is a test failure. Returns the number of kAborted seen (how often a concurrent change won).
  static int64_t RunCasRetryLoops(int threads, int per_thread,
                                  const std::function<Status()>& attempt) {
    constexpr int kMaxCasAttempts = 100'000;
    std::atomic<int64_t> aborted{0};
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t) {
      running.emplace_back([&] {
        for (int i = 0; i < per_thread; ++i) {
          bool done = false;
          for (int tries = 0; !done && tries < kMaxCasAttempts; ++tries) {
            const Status s = attempt();
            if (s.ok()) {
              done = true;
            } else if (s.code() == StatusCode::kAborted) {
              aborted.fetch_add(1);
            } else {
              ADD_FAILURE() << s.ToString();
              return;
            }
          }
          if (!done) {
            ADD_FAILURE() << "no compare-and-set succeeded in " << kMaxCasAttempts << " tries";
            return;
          }
        }
      });
    }
    for (std::thread& th : running) th.join();
    return aborted.load();
  }

  // "n" as a number; -1 (with a test failure) if it is null or not a number.
  static int64_t Counter(const std::optional<std::string>& n) {
    if (!n) {
      ADD_FAILURE() << "the counter is null";
      return -1;
    }
    int64_t value = 0;
    const auto [end, error] = std::from_chars(n->data(), n->data() + n->size(), value);
    if (error != std::errc() || end != n->data() + n->size()) {
      ADD_FAILURE() << "the counter is \"" << *n << "\"";
      return -1;
    }
    return value;
  }

  // --- Actions limit --------------------------------------------------------------------------

  // ConsumeAction's state, or nullopt (with a test failure) on error.
  std::optional<ActionsLimitState> Consume(const std::string& ks_hash, int64_t limit,
                                           std::optional<int64_t> valid_until = std::nullopt,
                                           int64_t now = kNow) {
    Result<ActionsLimitState> state = store_->ConsumeAction(ks_hash, limit, valid_until, now);
    EXPECT_THAT(state, ::ksgate::testing::IsOk());
    if (!state.ok()) return std::nullopt;
    return *state;
  }

  ::ksgate::testing::ScratchDir dir_;
  std::shared_ptr<void> prepared_;  // Backend::prepare's; released after store_ closes
  std::unique_ptr<Store> store_;
};

}  // namespace ksgate::store::testing

namespace ksgate::store {

// gtest prints ActionsLimitState values by name.
inline void PrintTo(ActionsLimitState state, std::ostream* os) {
  switch (state) {
    case ActionsLimitState::kAllowed:
      *os << "kAllowed";
      return;
    case ActionsLimitState::kExceeded:
      *os << "kExceeded";
      return;
    case ActionsLimitState::kRevoked:
      *os << "kRevoked";
      return;
  }
  *os << "ActionsLimitState(" << static_cast<int>(state) << ")";
}

}  // namespace ksgate::store
