// Fuzzes the KS codec (ks/ks.h): ks::Decode and ks::PeekPartnerId on any bytes, and, past the
// signature check a fuzzer could never forge, the parsing of what a KS carries.
//
// The first byte chooses what the rest is:
//   '2'  the query of a v2 KS ("_e=...&_t=0&_u=..."), signed and encrypted here with a known
//        secret, then decoded: Decode must verify it (or call it malformed, never forged);
//   '1'  the info of a v1 KS ("pid;pid;valid_until;type;rand;user;privileges;master;data"),
//        signed here likewise;
//   'f'  KsFields built from the bytes (FuzzedDataProvider), encoded as v2 and v1 and decoded
//        back: the fields must round-trip, or the KS be refused (v1 when a field holds its ';'
//        separator; v2 when the privileges make more fields than parse_str reads);
//   anything else: the whole input is a KS string as a client sends it.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/php.h"
#include "fuzz/fuzz_input.h"
#include "ks/base64.h"
#include "ks/crypto.h"
#include "ks/ks.h"

namespace {

using namespace ksgate;
using namespace ksgate::ks;

const std::vector<std::string> kSecrets = {"a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
                                           "ffffffffffffffffffffffffffffffff"};
constexpr int64_t kPartnerId = 12345;
constexpr std::array<uint8_t, 16> kRand = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// Decode and PeekPartnerId agree on every input Decode accepts.
Result<ParsedKs> DecodeChecked(std::string_view ks) {
  Result<ParsedKs> parsed = Decode(ks, kSecrets);
  Result<int64_t> peeked = PeekPartnerId(ks);
  if (parsed.ok()) {
    KSGATE_FUZZ_CHECK(peeked.ok() && *peeked == parsed->fields.partner_id);
    KSGATE_FUZZ_CHECK(parsed->version == 1 || parsed->version == 2);
    KSGATE_FUZZ_CHECK(parsed->secret_index >= 0 &&
                      static_cast<size_t>(parsed->secret_index) < kSecrets.size());
    (void)IsWidgetSession(parsed->fields);
  } else {
    const StatusCode code = parsed.error().code();
    KSGATE_FUZZ_CHECK(code == StatusCode::kInvalidArgument || code == StatusCode::kUnauthenticated);
  }
  return parsed;
}

// A v2 KS around an arbitrary query, as generateKsV2 signs it (ks_test.cc MakeV2).
std::string SignV2(std::string_view query, const std::string& secret) {
  std::string plain(reinterpret_cast<const char*>(kRand.data()), kRand.size());
  plain.append(query);
  std::string signed_text = Sha1Raw(plain) + plain;
  signed_text.resize((signed_text.size() + 15) / 16 * 16, '\0');
  std::string raw = "v2|" + std::to_string(kPartnerId) + "|" +
                    Aes128CbcZeroIvEncrypt(Sha1Raw(secret).substr(0, 16), signed_text).value();
  std::string ks = Base64Encode(raw);
  for (char& c : ks) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return ks;
}

// A v1 KS around an arbitrary info string.
std::string SignV1(std::string_view info, const std::string& secret) {
  return Base64Encode(HexDigest(HashAlgorithm::kSha1, secret + std::string(info)) + "|" +
                      std::string(info));
}

void FuzzV2Query(std::string_view query) {
  const std::string ks = SignV2(query, kSecrets[1]);
  Result<ParsedKs> parsed = DecodeChecked(ks);
  if (!parsed.ok()) {
    // Too long, or the query needs what it cannot have: PHP array syntax, trailing NULs (the
    // decoder strips the zero padding, so the signature covers less than was signed).
    KSGATE_FUZZ_CHECK(parsed.error().code() == StatusCode::kInvalidArgument ||
                      (!query.empty() && query.back() == '\0'));
    return;
  }
  KSGATE_FUZZ_CHECK(parsed->version == 2 && parsed->secret_index == 1);
  KSGATE_FUZZ_CHECK(parsed->fields.partner_id == kPartnerId);
  KSGATE_FUZZ_CHECK(parsed->hash.size() == 40);
}

void FuzzV1Info(std::string_view info) {
  const std::string ks = SignV1(info, kSecrets[0]);
  Result<ParsedKs> parsed = DecodeChecked(ks);
  if (!parsed.ok()) {
    KSGATE_FUZZ_CHECK(parsed.error().code() == StatusCode::kInvalidArgument);
    return;
  }
  KSGATE_FUZZ_CHECK(parsed->version == 1 && parsed->secret_index == 0);
}

std::optional<std::string> MaybeString(FuzzedDataProvider& in) {
  if (!in.ConsumeBool()) return std::nullopt;
  return in.ConsumeRandomLengthString(64);
}

// Fields survive encoding and decoding.
void FuzzRoundTrip(FuzzedDataProvider& in) {
  KsFields f;
  f.partner_id = in.ConsumeIntegral<int64_t>();
  f.valid_until = in.ConsumeIntegral<int64_t>();
  f.type = in.ConsumeIntegral<int>();
  f.user = MaybeString(in);
  f.master_partner_id = MaybeString(in);
  f.additional_data = MaybeString(in);
  const std::string v1_rand = in.ConsumeRandomLengthString(32);
  f.privileges = in.ConsumeRemainingBytesAsString();

  const std::string v2 = EncodeV2(f, kSecrets[0], kRand);
  Result<ParsedKs> parsed = DecodeChecked(v2);
  if (v2.size() > kMaxKsLength) {
    KSGATE_FUZZ_CHECK(!parsed.ok());
  } else if (parsed.ok()) {
    // Privileges are free text (they may read back in another shape); the fields are not, and
    // no privilege may override one.
    KSGATE_FUZZ_CHECK(parsed->fields.partner_id == f.partner_id);
    KSGATE_FUZZ_CHECK(parsed->fields.valid_until == f.valid_until);
    KSGATE_FUZZ_CHECK(parsed->fields.type == f.type);
    KSGATE_FUZZ_CHECK(parsed->fields.user == f.user);
    KSGATE_FUZZ_CHECK(parsed->fields.master_partner_id == f.master_partner_id);
    KSGATE_FUZZ_CHECK(parsed->fields.additional_data == f.additional_data);
  } else {
    // What ksgate encodes, it reads, unless the privileges make more fields than are read.
    const size_t items = std::count(f.privileges.begin(), f.privileges.end(), ',') + 1;
    KSGATE_FUZZ_CHECK(items + 5 > php::kMaxInputVars);
  }

  const std::string v1 = EncodeV1(f, kSecrets[0], v1_rand);
  Result<ParsedKs> parsed_v1 = DecodeChecked(v1);
  auto no_separator = [](std::string_view s) { return s.find(';') == std::string_view::npos; };
  const bool plain = no_separator(f.user.value_or("")) &&
                     no_separator(f.master_partner_id.value_or("")) &&
                     no_separator(f.additional_data.value_or("")) && no_separator(f.privileges) &&
                     no_separator(v1_rand);
  // A ';' in a field would shift the fields after it: such a KS is refused, never misread.
  if (!plain || v1.size() > kMaxKsLength) {
    KSGATE_FUZZ_CHECK(!parsed_v1.ok());
    return;
  }
  KSGATE_FUZZ_CHECK(parsed_v1.ok());
  const KsFields& g = parsed_v1->fields;
  KSGATE_FUZZ_CHECK(g.partner_id == f.partner_id && g.valid_until == f.valid_until &&
                    g.type == f.type && g.privileges == f.privileges);
  KSGATE_FUZZ_CHECK(g.user == f.user.value_or(""));
  auto empty_is_null = [](const std::optional<std::string>& s) {
    return s && !s->empty() ? s : std::nullopt;
  };
  KSGATE_FUZZ_CHECK(g.master_partner_id == empty_is_null(f.master_partner_id));
  KSGATE_FUZZ_CHECK(g.additional_data == empty_is_null(f.additional_data));
  KSGATE_FUZZ_CHECK(parsed_v1->rand == v1_rand);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = ksgate::fuzz::AsText(data, size);
  const char mode = text.empty() ? '\0' : text.front();
  switch (mode) {
    case '2':
      FuzzV2Query(text.substr(1));
      break;
    case '1':
      FuzzV1Info(text.substr(1));
      break;
    case 'f': {
      FuzzedDataProvider in(data + 1, size - 1);
      FuzzRoundTrip(in);
      break;
    }
    default:
      (void)DecodeChecked(mode == 'r' ? text.substr(1) : text);  // '' is no KS at all
      break;
  }
  return 0;
}
