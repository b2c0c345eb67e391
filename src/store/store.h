// Store: everything ksgate persists, behind one backend-neutral interface.
//
// Backends: MemoryStore (memory_store.h, for tests), SQLite (sqlite/sqlite_store.h) and, later,
// PostgreSQL. Every method is thread-safe. Errors are Status values: kNotFound and
// kAlreadyExists as documented per method; kUnavailable when the database stays busy past the
// backend's retry budget; kInternal for anything else (the message is for logs only).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace ksgate::store {

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

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
  // All partners by id.
  virtual Result<std::vector<Partner>> ListPartners() const = 0;
  // kNotFound if there is no partner `id`.
  virtual Status SetPartnerStatus(int64_t id, PartnerStatus status, int64_t now) = 0;

  // --- Revocation (invalid_sessions) ---------------------------------------------------------

  // Kaltura invalidateByKey: finds the row (key, type) or creates it, sets valid_until and
  // clears any actions limit.
  virtual Status Revoke(const Revocation& revocation, int64_t now) = 0;
  // True if any of `keys` is revoked at `now` (a row whose valid_until is null, or
  // valid_until + kRevocationGraceSeconds > now) with no actions limit.
  virtual Result<bool> IsRevoked(std::span<const std::string> keys, int64_t now) const = 0;

  // --- App tokens ----------------------------------------------------------------------------

  // Inserts `token` as given. kAlreadyExists if the id is taken by any token, deleted included;
  // kNotFound if there is no partner token.partner_id.
  virtual Status InsertAppToken(const AppToken& token) = 0;
  // kNotFound unless partner `partner_id` has a non-deleted token `id`.
  virtual Result<AppToken> GetAppToken(int64_t partner_id, std::string_view id) const = 0;
  // Replaces the stored fields of token (token.partner_id, token.id). kNotFound if it does not
  // exist or is deleted.
  virtual Status UpdateAppToken(const AppToken& token) = 0;
  // In one transaction: writes `revocation` (as Revoke does) and sets the token DELETED with
  // updated_at = now. kNotFound if it does not exist or is already deleted.
  virtual Status DeleteAppToken(int64_t partner_id, std::string_view id,
                                const Revocation& revocation, int64_t now) = 0;
  // Non-deleted tokens of `partner_id` matching every set field of `query` (an empty id_in or
  // status_in matches nothing; a null session_user_id never equals session_user_id_equal).
  // Sorted by each order_by entry in turn, then by insertion order. Skips `offset` matches
  // (negative: 0) and returns at most `limit` (<= 0: all). total_count ignores limit/offset.
  virtual Result<AppTokenPage> ListAppTokens(int64_t partner_id, const AppTokenQuery& query) const = 0;
};

}  // namespace ksgate::store
