// Store: everything ksgate persists, behind one backend-neutral interface.
//
// Backends: MemoryStore (memory_store.h, for tests), SQLite (sqlite/sqlite_store.h) and
// PostgreSQL (postgres/pg_store.h). Every method is thread-safe. Errors are Status values:
// kNotFound and kAlreadyExists as documented per method; kUnavailable when the database stays
// busy past the backend's retry budget or cannot be reached; kAborted when a compare-and-set update
// lost to a concurrent change (UpdateAppToken, UpdateUserRole); kInternal for anything else (the
// message is for logs only).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace ksgate::store {

// A store whose writes all go through one writer thread in group-committed batches (SQLite)
// runs a writing request's whole step on that thread, inside a batch, and says when the batch
// ended: so the request waits for its commit without a thread of its own. Thread-safe.
class WriteLane {
 public:
  virtual ~WriteLane() = default;
  // Runs `task` on the writer thread inside a batch's transaction: the store calls it makes
  // there see, and are part of, that uncommitted transaction. Then calls `done` on the writer
  // thread once the batch's COMMIT returned: OK when it committed, else the batch's error
  // (nothing of it was kept; the task may not have run). Returns false, running neither, when
  // the writer's queue is full. Neither may wait for anything but the store.
  virtual bool Submit(std::function<void()> task, std::function<void(const Status&)> done) = 0;
};

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  // The writer's lane, or null when this store's writes wait on their callers' threads.
  virtual WriteLane* write_lane() { return nullptr; }

  // Applies pending schema migrations. Returns the schema version now in force. Idempotent;
  // safe to call concurrently from several processes (each migration runs in a transaction).
  // SQL backends need it once before any other call on a new database (OpenStore does not
  // migrate); until then the other methods fail with kInternal.
  virtual Result<int> Migrate() = 0;

  // --- Partners -----------------------------------------------------------------------------

  // Creates a partner with the next id (1 for an empty store), status kActive. `now` fills
  // created/updated_at. admin_secrets keep their order. kInvalidArgument if there is no admin
  // secret, or one is empty or contains a line break.
  virtual Result<Partner> CreatePartner(const NewPartner& partner, int64_t now) = 0;
  // kNotFound if there is no partner `id`.
  virtual Result<Partner> GetPartner(int64_t id) const = 0;
  // The same as an immutable snapshot the caller may keep and share. CachingStore hands out the
  // one it holds, so that a request reading its partner copies nothing (the name, the secrets);
  // other stores wrap GetPartner's copy.
  virtual Result<std::shared_ptr<const Partner>> GetSharedPartner(int64_t id) const {
    Result<Partner> partner = GetPartner(id);
    if (!partner.ok()) return partner.error();
    return std::make_shared<const Partner>(*std::move(partner));
  }
  // All partners by id.
  virtual Result<std::vector<Partner>> ListPartners() const = 0;
  // kNotFound if there is no partner `id`.
  virtual Status SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) = 0;
  // Replaces the partner's admin secrets (primary first: it signs new KSs; every one verifies).
  // kNotFound if there is no partner `id`; kInvalidArgument for an empty list, an empty secret
  // or one with a line break.
  virtual Status SetPartnerAdminSecrets(int64_t id, const std::vector<std::string>& admin_secrets,
                                        int64_t now) = 0;
  // Replaces the partner's settings (every field of `settings`). kNotFound if there is no
  // partner `id`.
  virtual Status SetPartnerSettings(int64_t id, const PartnerSettings& settings, int64_t now) = 0;
  // In one atomic step, replaces each field of partner `id` that `changes` sets (the others stay
  // as stored, so concurrent updates of different fields never undo each other), sets
  // updated_at = now, and returns the partner as stored after the change. Values are taken as
  // given (services::PartnerService checks their ranges). kNotFound if there is no partner `id`;
  // nothing changes on error.
  virtual Result<Partner> UpdatePartner(int64_t id, const PartnerChanges& changes, int64_t now) = 0;

  // --- Revocation (invalid_sessions) ---------------------------------------------------------

  // Kaltura invalidateByKey: finds the row (key, type) or creates it, sets valid_until and
  // clears any actions limit.
  virtual Status Revoke(const Revocation& revocation, int64_t now) = 0;
  // True if any of `keys` is revoked at `now` (a row whose valid_until is null, or
  // valid_until + kRevocationGraceSeconds > now) with no actions limit.
  virtual Result<bool> IsRevoked(std::span<const std::string> keys, int64_t now) const = 0;

  // Raises the cut-off of cutoff.key to cutoff.issued_before, creating it if there is none; a
  // value below the stored one changes nothing (cut-offs only move forward). Cut-offs never
  // expire. kInvalidArgument (nothing written) for an empty key.
  virtual Status SetSessionCutoff(const SessionCutoff& cutoff, int64_t now) = 0;
  // The cut-off of `key` (its issued_before), or 0 when there is none.
  virtual Result<int64_t> GetSessionCutoff(std::string_view key) const = 0;

  // --- App tokens ----------------------------------------------------------------------------

  // Inserts `token` as given. kAlreadyExists if the id is taken by any token, deleted included;
  // kNotFound if there is no partner token.partner_id.
  virtual Status InsertAppToken(const AppToken& token) = 0;
  // kNotFound unless partner `partner_id` has a non-deleted token `id`.
  virtual Result<AppToken> GetAppToken(int64_t partner_id, std::string_view id) const = 0;
  // The same as an immutable snapshot the caller may keep and share (as GetSharedPartner):
  // CachingStore hands out the one it holds, so that an exchange reading its token copies
  // nothing (the value, the privileges, the description); other stores wrap GetAppToken's copy.
  virtual Result<std::shared_ptr<const AppToken>> GetSharedAppToken(int64_t partner_id,
                                                                    std::string_view id) const {
    Result<AppToken> token = GetAppToken(partner_id, id);
    if (!token.ok()) return token.error();
    return std::make_shared<const AppToken>(*std::move(token));
  }
  // Compare-and-set: in one atomic step, if the stored token (updated.partner_id, updated.id)
  // still equals `expected` (every field, operator==), replaces its stored fields with
  // `updated`. Callers pass the token as they read it (GetAppToken) and the modified copy; on
  // kAborted they re-read, re-apply their change and retry. Errors, checked in this order:
  // kInvalidArgument if expected and updated differ in partner_id or id; kNotFound if the token
  // does not exist or is deleted; kAborted if the stored token differs from `expected` (a
  // concurrent change won). Nothing changes on error.
  virtual Status UpdateAppToken(const AppToken& expected, const AppToken& updated) = 0;
  // In one transaction: writes `revocation` (as Revoke does) and sets the token DELETED with
  // updated_at = now. kNotFound if it does not exist or is already deleted.
  virtual Status DeleteAppToken(int64_t partner_id, std::string_view id,
                                const Revocation& revocation, int64_t now) = 0;
  // Non-deleted tokens of `partner_id` matching every set field of `query` (an empty id_in or
  // status_in matches nothing; a null session_user_id never equals session_user_id_equal).
  // Sorted by each order_by entry in turn, then by insertion order. Skips `offset` matches
  // (negative: 0) and returns at most `limit` (<= 0: all). total_count ignores limit/offset.
  virtual Result<AppTokenPage> ListAppTokens(int64_t partner_id,
                                             const AppTokenQuery& query) const = 0;

  // --- User roles ---------------------------------------------------------------------------
  //
  // Roles are never physically removed: a deleted role (status kDeleted) keeps its id, is
  // invisible to every method below and frees its system_name. A role's system_name is "not
  // set" when empty; empty names never clash and are never found by name.

  // Inserts `role` with a new id and returns it as stored (every other field as given,
  // timestamps included). The id is max(highest id ever assigned + 1, kFirstUserRoleId) over all
  // partners, deleted roles included, so ids increase and are never reused; a failed insert
  // uses up no id. role.id is ignored. Errors, checked in this order: kInvalidArgument if
  // role.status is kDeleted; kNotFound if there is no partner role.partner_id; kAlreadyExists if
  // a non-deleted role of the same partner has the same name, or the same non-empty system_name.
  virtual Result<UserRole> InsertUserRole(const UserRole& role) = 0;
  // kNotFound unless partner `partner_id` has a non-deleted role `id` (blocked roles are found).
  virtual Result<UserRole> GetUserRole(int64_t partner_id, int64_t id) const = 0;
  // kNotFound unless partner `partner_id` has a non-deleted role with this system name
  // (exact, case-sensitive); always kNotFound for an empty system_name.
  virtual Result<UserRole> FindUserRoleBySystemName(int64_t partner_id,
                                                    std::string_view system_name) const = 0;
  // Compare-and-set: in one atomic step, if the stored role (updated.partner_id, updated.id)
  // still equals `expected` (every field, operator==), replaces every stored field except those
  // two with `updated`'s: name, system_name, description, status, permission_names, tags,
  // created_at, updated_at. Setting status kDeleted deletes the role. Callers pass the role as
  // they read it and the modified copy; on kAborted they re-read, re-apply and retry. Errors,
  // checked in this order: kInvalidArgument if expected and updated differ in partner_id or id;
  // kNotFound if the role does not exist, belongs to another partner or is deleted; kAborted if
  // the stored role differs from `expected` (a concurrent change won); kAlreadyExists if the new
  // status is not kDeleted and another non-deleted role of the partner has the new name or the
  // new, non-empty system_name (a role keeping its own names never clashes; deleting never
  // clashes). Nothing changes on error.
  virtual Status UpdateUserRole(const UserRole& expected, const UserRole& updated) = 0;
  // Non-deleted roles of `partner_id` matching every set field of `query`:
  //  - *_equal / *_in: exact, case-sensitive equality; an empty *_in list matches nothing.
  //  - description_like: a case-sensitive substring of description (no wildcards; "" matches
  //    every non-null description); a null description never matches.
  //  - tags_multi_like_or: at least one word is a case-sensitive substring of tags (an empty
  //    list matches nothing); tags_multi_like_and: every word is (an empty list matches every
  //    role). Words are taken as given (the caller splits and trims); null tags never match a
  //    word.
  //  - created/updated_at_gte/lte: inclusive bounds.
  // Sorted by each order_by entry in turn (name: byte-wise), then by id ascending. Skips
  // `offset` matches (negative: 0) and returns at most `limit` (<= 0: all). total_count ignores
  // limit/offset. An unknown partner lists nothing.
  virtual Result<UserRolePage> ListUserRoles(int64_t partner_id,
                                             const UserRoleQuery& query) const = 0;

  // --- Actions limit (invalid_sessions rows with actions_limit) -----------------------------

  // Counts one use of the KS whose hash is `ks_hash` and which carries actionslimit:`limit`
  // (limit > 0), atomically (Kaltura ks::isValid): a row (ks_hash, kKsHash) without an actions
  // limit -> kRevoked; with actions_limit <= 0 -> kExceeded; otherwise decrement -> kAllowed.
  // No row: insert one with actions_limit = limit - 1 and valid_until -> kAllowed.
  // Details: the read and the write are one transaction (SQLite: BEGIN IMMEDIATE, so also
  // across processes sharing the file), so N concurrent calls for a fresh key with limit N
  // yield exactly N kAllowed. Once a row exists, `limit` and `valid_until` are ignored (the row
  // counts; its valid_until stays). A row without an actions limit means kRevoked whatever its
  // valid_until (Kaltura's database check never expires a row; the KS has expired by then
  // anyway). Only kKsHash rows count: session-id revocations are IsRevoked's business. kRevoked
  // and kExceeded write nothing. kInvalidArgument (nothing written) if limit <= 0. Revoke() on
  // the same key clears the actions limit, so later calls return kRevoked; IsRevoked ignores
  // rows written here.
  virtual Result<ActionsLimitState> ConsumeAction(std::string_view ks_hash, int64_t limit,
                                                  std::optional<int64_t> valid_until,
                                                  int64_t now) = 0;

  // --- App token session cap ----------------------------------------------------------------

  // Counts one session started from token `token_id` (of `partner_id`) if fewer than
  // `max_sessions` have been counted for it, in one atomic step, so that concurrent callers in
  // any number of processes never count past the cap. Returns true when counted, false (nothing
  // written) when the cap is reached. Counts are kept per token id (ids are never reused) and
  // only for tokens that have a cap: a token without one never reaches the store here. Whether
  // the token exists is not checked. kInvalidArgument (nothing written) for an empty token id or
  // a negative max_sessions.
  virtual Result<bool> ClaimAppTokenSession(int64_t partner_id, std::string_view token_id,
                                            int64_t max_sessions) = 0;

  // --- App token usage (sessions started from each token) -----------------------------------

  // In one transaction, for each entry: adds sessions_started to the token's count and raises
  // its last_session_at to the entry's when later, creating the token's row when it has none.
  // Rows are keyed by token id alone (ids are never reused); whether the token exists is not
  // checked. kInvalidArgument (nothing written) for a negative count or an empty token id.
  virtual Status AddAppTokenUsage(std::span<const AppTokenUsage> usage) = 0;
  // The recorded usage of partner `partner_id`'s tokens (deleted ones included), by token id.
  // A token never used has no entry.
  virtual Result<std::vector<AppTokenUsage>> ListAppTokenUsage(int64_t partner_id) const = 0;
};

}  // namespace ksgate::store
