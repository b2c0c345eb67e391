#include "ks/ks.h"

#include <algorithm>
#include <array>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/php.h"
#include "common/strings.h"
#include "ks/base64.h"
#include "ks/crypto.h"
#include "ks/ks_cipher.h"

namespace ksgate::ks {
namespace {

constexpr std::string_view kV2Prefix = "v2|";
constexpr size_t kSha1Size = 20;
constexpr size_t kRandomSize = 16;
constexpr size_t kAesBlock = 16;
constexpr size_t kV1Fields = 9;  // pid;pid;valid_until;type;rand;user;privileges;master;data

// Strict decimal integer: optional '-', digits only, no whitespace, in range of T.
template <typename T>
bool ParseDecimal(std::string_view text, T* out) {
  if (text.empty()) return false;
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return false;
  *out = value;
  return true;
}

// The most bytes a KS's base64 decodes to (with Base64DecodeStrictTo's scratch).
constexpr size_t kMaxDecoded = Base64DecodedRoom(kMaxKsLength);

// A KS after base64 decoding, split into its version-specific parts (views into `decoded`).
// The decoded bytes lie in the Envelope itself (6 KB, on the decoder's stack): a decode makes
// no allocation for them, nor for the v2 plaintext (DecodeV2), and every KS a server has not
// seen before is decoded.
struct Envelope {
  int version = 0;
  std::array<char, kMaxDecoded> buffer;  // not initialised: Unwrap writes what `decoded` views
  std::string_view decoded;
  int64_t partner_id = 0;
  std::string_view v2_ciphertext;          // v2
  std::string_view v1_signature;           // v1: text before the first '|'
  std::string_view v1_info;                // v1: text after it
  std::vector<std::string_view> v1_parts;  // v1_info split on ';' (at least 3)
};

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (true) {
    const size_t next = text.find(separator, pos);
    if (next == std::string_view::npos) {
      parts.push_back(text.substr(pos));
      return parts;
    }
    parts.push_back(text.substr(pos, next - pos));
    pos = next + 1;
  }
}

// The fields a v2 query carries besides the privileges.
constexpr std::string_view kV2Fields[] = {"_e", "_t", "_u", "_m", "_d"};

// True when the decoder (php::ParseStr) would not read privilege `name` back as itself: a name
// with PHP array syntax (the whole KS would be refused), or one that PHP's name mangling (cut at
// NUL, ' ' and '.' read as '_') turns into one of the KS's own fields ("_u\0", ".m").
bool MisreadPrivilegeName(std::string_view name) {
  if (php::IsPlainVariableName(name)) return false;  // read back as it is (the usual name)
  const php::VariableName read = php::ParseVariableName(name);
  if (!read.subscripts.empty()) return true;
  if (read.base == name) return false;
  return std::find(std::begin(kV2Fields), std::end(kV2Fields), read.base) != std::end(kV2Fields);
}

// kSessionBase::parseKS up to (not including) the secret lookup. The Envelope is returned by
// out-parameter so that the views it holds keep pointing into its own `decoded`.
Status Unwrap(std::string_view ks, Envelope* env) {
  if (ks.empty()) return InvalidArgumentError("empty KS");
  if (ks.size() > kMaxKsLength) return InvalidArgumentError("KS too long");
  const std::optional<size_t> size =
      Base64DecodeStrictTo(ks, Base64Alphabet::kStandardOrUrlSafe, env->buffer.data());
  const std::string_view raw = size ? std::string_view(env->buffer.data(), *size) : "";
  // PHP rejects a falsy decode result: "" and "0".
  if (raw.empty() || raw == "0") return InvalidArgumentError("KS is not valid base64");
  env->decoded = raw;
  if (raw.starts_with(kV2Prefix)) {
    env->version = 2;
    const size_t second = raw.find('|', kV2Prefix.size());
    if (second == std::string_view::npos) return InvalidArgumentError("v2 KS lacks separators");
    if (!ParseDecimal(raw.substr(kV2Prefix.size(), second - kV2Prefix.size()), &env->partner_id)) {
      return InvalidArgumentError("v2 KS partner id is not an integer");
    }
    env->v2_ciphertext = raw.substr(second + 1);
    if (env->v2_ciphertext.empty() || env->v2_ciphertext.size() % kAesBlock != 0) {
      return InvalidArgumentError("v2 KS ciphertext is not whole AES blocks");
    }
    return Status::Ok();
  }
  env->version = 1;
  const size_t bar = raw.find('|');
  if (bar == std::string_view::npos) return InvalidArgumentError("v1 KS lacks '|'");
  env->v1_signature = raw.substr(0, bar);
  env->v1_info = raw.substr(bar + 1);
  env->v1_parts = Split(env->v1_info, ';');
  if (env->v1_parts.size() < 3) return InvalidArgumentError("v1 KS has fewer than 3 fields");
  // generateKsV1 writes 9 fields and cannot escape ';': more means a field held one, and every
  // field after it was shifted (a user id "u;" emptied the privileges).
  if (env->v1_parts.size() > kV1Fields) return InvalidArgumentError("v1 KS has more than 9 fields");
  if (!ParseDecimal(env->v1_parts[0], &env->partner_id)) {
    return InvalidArgumentError("v1 KS partner id is not an integer");
  }
  return Status::Ok();
}

Result<ParsedKs> DecodeV2(const Envelope& env, std::span<const std::string> admin_secrets) {
  // sha1(R ‖ query) ‖ R ‖ query ‖ zero padding, once decrypted; not initialised (the
  // ciphertext is copied in before each try).
  std::array<char, kMaxDecoded> buffer;
  const std::string_view plain(buffer.data(), env.v2_ciphertext.size());
  std::string_view hash;
  std::string_view fields;  // R ‖ query
  int index = -1;
  for (size_t i = 0; i < admin_secrets.size() && index < 0; ++i) {
    std::memcpy(buffer.data(), env.v2_ciphertext.data(), plain.size());
    auto* bytes = reinterpret_cast<uint8_t*>(buffer.data());
    // Cannot fail: Unwrap checked the block alignment.
    if (!KsCipherFor(admin_secrets[i]).DecryptInPlace({bytes, plain.size()})) continue;
    const size_t end = plain.find_last_not_of('\0');
    const std::string_view unpadded = plain.substr(0, end == std::string::npos ? 0 : end + 1);
    if (unpadded.size() < kSha1Size) continue;
    const std::string_view embedded = unpadded.substr(0, kSha1Size);
    const std::string_view rest = unpadded.substr(kSha1Size);
    const Sha1Bytes digest = Sha1(rest);
    if (ConstantTimeEquals(embedded,
                           std::string_view(reinterpret_cast<const char*>(digest.data()), 20))) {
      hash = embedded;
      fields = rest;
      index = static_cast<int>(i);
    }
  }
  if (index < 0) return UnauthenticatedError("KS signature does not verify");

  ParsedKs parsed;
  parsed.version = 2;
  parsed.secret_index = index;
  parsed.hash = HexEncode(hash);
  parsed.fields.partner_id = env.partner_id;
  const std::string_view rand = fields.substr(0, kRandomSize);
  parsed.rand = HexEncode(rand);
  // parse_str reads only the first kMaxInputVars fields: the rest (_e, _t, _u, which come last)
  // would be lost, and privileges could stand in for them.
  const std::string_view query_text = fields.substr(rand.size());
  php::ParsedQuery query;
  if (!php::ParseStr(query_text, &query)) {
    return InvalidArgumentError("KS field names use PHP array syntax");
  }
  if (query.truncated()) return InvalidArgumentError("KS has more fields than parse_str reads");

  std::string privileges;
  privileges.reserve(fields.size());  // at most the query's size
  bool first_privilege = true;
  for (const auto& [name, value] : query.fields()) {
    // "_e", "_t", "_u", "_m", "_d" told apart by their second byte, not five comparisons.
    const char field = name.size() == 2 && name[0] == '_' ? name[1] : '\0';
    if (field == 'e') {
      if (!ParseDecimal(value, &parsed.fields.valid_until)) {
        return InvalidArgumentError("KS _e is not an integer");
      }
    } else if (field == 't') {
      if (!ParseDecimal(value, &parsed.fields.type)) {
        return InvalidArgumentError("KS _t is not an integer");
      }
    } else if (field == 'u') {
      parsed.fields.user.emplace(value);
    } else if (field == 'm') {
      parsed.fields.master_partner_id.emplace(value);
    } else if (field == 'd') {
      parsed.fields.additional_data.emplace(value);
    } else {
      if (!first_privilege) privileges.push_back(',');
      first_privilege = false;
      privileges.append(name);
      if (!value.empty()) {
        privileges.push_back(':');
        privileges.append(value);
      }
    }
  }
  if (privileges == "all:*") privileges = "*";
  parsed.fields.privileges = std::move(privileges);
  return parsed;
}

Result<ParsedKs> DecodeV1(const Envelope& env, std::span<const std::string> admin_secrets) {
  int index = -1;
  for (size_t i = 0; i < admin_secrets.size() && index < 0; ++i) {
    std::string signed_text = admin_secrets[i];
    signed_text.append(env.v1_info);
    if (ConstantTimeEquals(HexDigest(HashAlgorithm::kSha1, signed_text), env.v1_signature)) {
      index = static_cast<int>(i);
    }
  }
  if (index < 0) return UnauthenticatedError("KS signature does not verify");

  const auto& parts = env.v1_parts;
  ParsedKs parsed;
  parsed.version = 1;
  parsed.secret_index = index;
  parsed.hash = std::string(env.v1_signature);
  KsFields& f = parsed.fields;
  f.partner_id = env.partner_id;
  if (!ParseDecimal(parts[2], &f.valid_until)) {
    return InvalidArgumentError("KS valid_until is not an integer");
  }
  if (parts.size() > 3 && !ParseDecimal(parts[3], &f.type)) {
    return InvalidArgumentError("KS type is not an integer");
  }
  if (parts.size() > 4) parsed.rand = std::string(parts[4]);
  if (parts.size() > 5) f.user = std::string(parts[5]);
  if (parts.size() > 6) f.privileges = std::string(parts[6]);
  if (parts.size() > 7 && !parts[7].empty()) f.master_partner_id = std::string(parts[7]);
  if (parts.size() > 8 && !parts[8].empty()) f.additional_data = std::string(parts[8]);
  return parsed;
}

// One http_build_query entry; a null value is omitted from the query.
struct QueryEntry {
  std::string_view name;
  std::optional<std::string_view> value;
};

// A KS's privileges and its five fields: those fit without an allocation.
using QueryEntries = boost::container::small_vector<QueryEntry, 12>;

void SetEntry(QueryEntries* entries, std::string_view name, std::optional<std::string_view> value) {
  for (auto& entry : *entries) {
    if (entry.name == name) {
      entry.value = value;
      return;
    }
  }
  entries->push_back({name, value});
}

std::optional<std::string_view> AsView(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  return std::string_view(*value);
}

// generateKsV2 steps 1-3: appends the http_build_query string for `fields` to `query`.
void AppendV2Query(const KsFields& f, std::string* query) {
  QueryEntries entries;
  const std::string_view privileges = f.privileges;
  size_t pos = 0;
  while (pos <= privileges.size()) {
    size_t comma = privileges.find(',', pos);
    if (comma == std::string_view::npos) comma = privileges.size();
    std::string_view item = php::Trim(privileges.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty() || item == "0") continue;  // PHP falsiness
    if (item == "*") item = "all:*";
    const size_t colon = item.find(':');
    if (MisreadPrivilegeName(item.substr(0, colon))) continue;
    if (colon == std::string_view::npos) {
      SetEntry(&entries, item, std::string_view());
    } else {
      SetEntry(&entries, item.substr(0, colon), item.substr(colon + 1));
    }
  }
  // A privilege named like a field ("_e:1") keeps its place and takes the field's value; unless
  // there is one, the fields go at the end without a search.
  const bool shadowed = std::any_of(entries.begin(), entries.end(), [](const QueryEntry& e) {
    return std::find(std::begin(kV2Fields), std::end(kV2Fields), e.name) != std::end(kV2Fields);
  });
  const auto set_field = [&](std::string_view name, std::optional<std::string_view> value) {
    if (shadowed) {
      SetEntry(&entries, name, value);
    } else {
      entries.push_back({name, value});
    }
  };
  const std::string expiry = std::to_string(f.valid_until);
  const std::string type = std::to_string(f.type);
  set_field("_e", std::string_view(expiry));
  set_field("_t", std::string_view(type));
  set_field("_u", AsView(f.user));
  set_field("_m", AsView(f.master_partner_id));
  set_field("_d", AsView(f.additional_data));

  // Room for every byte escaped, made once; each entry is then written with no append of its
  // own (a dozen appends were a sixth of a KS's instructions), and the query cut to its size.
  size_t room = 0;
  for (const auto& entry : entries) {
    if (entry.value) room += 3 * (entry.name.size() + entry.value->size()) + 2;  // '&', '='
  }
  const size_t start = query->size();
  query->resize(start + room);
  char* out = query->data() + start;
  for (const auto& entry : entries) {
    if (!entry.value) continue;
    if (out != query->data() + start) *out++ = '&';
    out = php::WriteUrlEncoded(entry.name, out);
    *out++ = '=';
    out = php::WriteUrlEncoded(*entry.value, out);
  }
  query->resize(static_cast<size_t>(out - query->data()));
}

// Room for the most AppendV2Query asks for at once (every byte escaped), so that it never makes
// the KS's buffer grow (a larger query only costs a reallocation).
size_t V2QueryRoom(const KsFields& f) {
  constexpr size_t kNamesAndNumbers = 64;  // "&_e=…&_t=…&_u=&_m=&_d=" with 20-digit numbers
  const auto size = [](const std::optional<std::string>& s) { return s ? s->size() : 0; };
  return 3 * (f.privileges.size() + size(f.user) + size(f.master_partner_id) +
              size(f.additional_data) + kNamesAndNumbers);
}

}  // namespace

std::string EncodeV2(const KsFields& fields, std::string_view admin_secret,
                     const std::array<uint8_t, 16>& rand) {
  // One buffer, filled in place: "v2|<pid>|" then sha1(R ‖ query) ‖ R ‖ query, zero-padded to
  // whole AES blocks and encrypted where it lies.
  const std::string partner_id = std::to_string(fields.partner_id);
  std::string raw;
  raw.reserve(kV2Prefix.size() + partner_id.size() + 1 + kSha1Size + kRandomSize +
              V2QueryRoom(fields) + kAesBlock);
  raw.append(kV2Prefix);
  raw.append(partner_id);
  raw.push_back('|');
  const size_t body = raw.size();
  raw.append(kSha1Size, '\0');
  raw.append(reinterpret_cast<const char*>(rand.data()), rand.size());
  AppendV2Query(fields, &raw);
  const Sha1Bytes digest = Sha1(std::string_view(raw).substr(body + kSha1Size));
  std::memcpy(raw.data() + body, digest.data(), kSha1Size);
  const size_t signed_size = raw.size() - body;
  raw.resize(body + (signed_size + kAesBlock - 1) / kAesBlock * kAesBlock, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(raw.data() + body);
  if (!KsCipherFor(admin_secret).EncryptInPlace({bytes, raw.size() - body})) {
    std::abort();  // unreachable: the input is block-aligned
  }
  return Base64UrlEncode(raw);
}

std::string EncodeV1(const KsFields& fields, std::string_view admin_secret, std::string_view rand) {
  const std::string partner = std::to_string(fields.partner_id);
  const std::string valid_until = std::to_string(fields.valid_until);
  const std::string type = std::to_string(fields.type);
  const std::string_view parts[] = {
      partner,
      partner,
      valid_until,
      type,
      rand,
      AsView(fields.user).value_or(""),
      fields.privileges,
      AsView(fields.master_partner_id).value_or(""),
      AsView(fields.additional_data).value_or(""),
  };
  std::string info;
  for (size_t i = 0; i < std::size(parts); ++i) {
    if (i > 0) info.push_back(';');
    info.append(parts[i]);
  }
  std::string signed_text(admin_secret);
  signed_text.append(info);
  std::string raw = HexDigest(HashAlgorithm::kSha1, signed_text);
  raw.push_back('|');
  raw.append(info);
  return Base64Encode(raw);
}

Result<int64_t> PeekPartnerId(std::string_view ks) {
  Envelope env;
  KSGATE_RETURN_IF_ERROR(Unwrap(ks, &env));
  return env.partner_id;
}

Result<ParsedKs> Decode(std::string_view ks, std::span<const std::string> admin_secrets) {
  Envelope env;
  KSGATE_RETURN_IF_ERROR(Unwrap(ks, &env));
  if (admin_secrets.empty()) return UnauthenticatedError("no admin secret to verify the KS");
  return env.version == 2 ? DecodeV2(env, admin_secrets) : DecodeV1(env, admin_secrets);
}

std::string SessionIdKey(int64_t partner_id, std::string_view session_id) {
  std::string text = std::to_string(partner_id);
  text.push_back('_');
  text.append(session_id);
  return HexDigest(HashAlgorithm::kSha1, text);
}

bool IsWidgetSession(const KsFields& fields) {
  const bool anonymous = !fields.user || fields.user->empty() || *fields.user == "0";
  return fields.type == kSessionTypeUser && anonymous &&
         fields.privileges.find("widget:1") != std::string::npos;
}

}  // namespace ksgate::ks
