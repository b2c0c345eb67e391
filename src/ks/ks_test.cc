#include "ks/ks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "ks/base64.h"
#include "ks/crypto.h"
#include "ks/ks_test_util.h"
#include "testing/matchers.h"

namespace ksgate::ks {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::Field;
using ::testing::Optional;

using ks_test_util::FieldsA;
using ks_test_util::FieldsB;
using ks_test_util::FieldsC;
using ks_test_util::HasPrivileges;
using ks_test_util::kKsA;
using ks_test_util::kKsB;
using ks_test_util::kKsC;
using ks_test_util::kOtherSecret;
using ks_test_util::kPartnerId;
using ks_test_util::kRand;
using ks_test_util::kSecret;
using ks_test_util::kSecrets;
using ks_test_util::kValidUntil;
using ks_test_util::MakeV1;
using ks_test_util::MakeV2;
using ks_test_util::QueryOf;
using ks_test_util::RawOf;
using ks_test_util::UrlSafe;
// --- §4.9 test vectors ----------------------------------------------------------------------

TEST(KsVectors, AesKeyIsSha1OfTheSecretTruncated) {
  EXPECT_EQ(HexEncode(Sha1Raw(kSecret).substr(0, 16)), "75f3be87351a63f1c2f677632838f9e2");
}

TEST(KsVectors, EncodeV2VectorA) {
  const std::string ks = EncodeV2(FieldsA(), kSecret, kRand);
  EXPECT_EQ(ks, kKsA);
  EXPECT_EQ(QueryOf(ks),
            "sessionid=0_abcd1234&apptoken=0_abcd1234&setrole=PLAYBACK_BASE_ROLE&_e=1767225600&_t="
            "0&_u=user%40example.com");
  EXPECT_EQ(HexEncode(RawOf(ks).substr(std::string_view("v2|12345|").size())),
            "751b0fc26f966ab7c166b01c4061dd0d206758e4a917b1f4a7c20891aaf70ca7318841c2fc2bfc85bd3671"
            "49f8dac46a7c19c8c706a8c8b88f192c4de274d2a6564f3d325136da15cfcff62767ee8c88282962e11ebb"
            "6bb9dbc4b61e2531800a5e0b8698709e1c45d7b25517309b2fb7fafa7e73b278a0cb6429d6b1084dbc0349"
            "bc51aef61e0e904384fa26a8ed12cc");
}

TEST(KsVectors, DecodeV2VectorA) {
  const auto parsed = Decode(kKsA, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->version, 2);
  EXPECT_EQ(parsed->hash, "966becec19974f06e67d8d277a96dd3296fec614");
  EXPECT_EQ(parsed->rand, "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(parsed->secret_index, 0);
  const KsFields& f = parsed->fields;
  EXPECT_EQ(f.partner_id, kPartnerId);
  EXPECT_EQ(f.valid_until, kValidUntil);
  EXPECT_EQ(f.type, kSessionTypeUser);
  EXPECT_THAT(f.user, Optional(std::string("user@example.com")));
  EXPECT_EQ(f.privileges, "sessionid:0_abcd1234,apptoken:0_abcd1234,setrole:PLAYBACK_BASE_ROLE");
  EXPECT_EQ(f.master_partner_id, std::nullopt);
  EXPECT_EQ(f.additional_data, std::nullopt);
}

TEST(KsVectors, EncodeV2VectorB) {
  const std::string ks = EncodeV2(FieldsB(), kSecret, kRand);
  EXPECT_EQ(ks, kKsB);
  EXPECT_EQ(QueryOf(ks), "view=%2A&widget=1&_e=1767225600&_t=0&_u=0");
  // 3 + 6 header bytes + 80 ciphertext bytes (77 signed, padded with '\0').
  EXPECT_EQ(RawOf(ks).size(), 9u + 80u);
}

TEST(KsVectors, DecodeV2VectorBWithAndWithoutPadding) {
  ASSERT_EQ(kKsB.back(), '=');
  const std::string unpadded = kKsB.substr(0, kKsB.size() - 1);
  for (const std::string& ks : {kKsB, unpadded}) {
    const auto parsed = Decode(ks, kSecrets);
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(parsed->hash, "3b39555d14dd4c67fdcabe5456523c9065c080b0");
    EXPECT_EQ(parsed->rand, "000102030405060708090a0b0c0d0e0f");
    EXPECT_EQ(parsed->fields.privileges, "view:*,widget:1");
    EXPECT_THAT(parsed->fields.user, Optional(std::string("0")));
    EXPECT_EQ(parsed->fields.valid_until, kValidUntil);
    EXPECT_EQ(parsed->fields.type, 0);
    EXPECT_TRUE(IsWidgetSession(parsed->fields));
  }
}

TEST(KsVectors, DecodeAcceptsTheStandardAlphabetAndWhitespace) {
  std::string standard = kKsA;
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  ASSERT_NE(standard, kKsA);
  const auto parsed = Decode(standard, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->hash, "966becec19974f06e67d8d277a96dd3296fec614");

  const std::string spaced = kKsA.substr(0, 40) + " \n" + kKsA.substr(40) + "\r\n";
  EXPECT_THAT(Decode(spaced, kSecrets), IsOk());
}

TEST(KsVectors, AppTokenHashesOverTheWidgetKs) {
  const std::string token = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha1, kKsB + token),
            "0bb60068a67fd4c0b14726078a6d870240239230");
  EXPECT_EQ(HexDigest(HashAlgorithm::kMd5, kKsB + token), "1da679517ccbcb150d92de96d5f5dd7e");
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha256, kKsB + token),
            "4a12c9cb9bebc4ce22cf70e3a615b23fc21b10bf8b119f2372afdc17c62750a9");
  EXPECT_EQ(HexDigest(HashAlgorithm::kSha1, kKsA + token),
            "93c084fd59bafa344a6a8849068fd15c44a1bb75");
}

TEST(KsVectors, SessionIdKey) {
  EXPECT_EQ(SessionIdKey(kPartnerId, "0_abcd1234"), "b141d8e8ac37bb08c2e6643b0db7fdba0e299dcb");
}

TEST(KsVectors, EncodeV1VectorC) {
  EXPECT_EQ(EncodeV1(FieldsC(), kSecret, "1767139200.1234"), kKsC);
  EXPECT_EQ(RawOf(kKsC),
            "21fc73af85483416a61d5ed8866fc960891e2597|12345;12345;1767225600;0;1767139200.1234;"
            "user@example.com;sessionid:0_abcd1234,apptoken:0_abcd1234;;");
}

TEST(KsVectors, DecodeV1VectorC) {
  const auto parsed = Decode(kKsC, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->version, 1);
  EXPECT_EQ(parsed->hash, "21fc73af85483416a61d5ed8866fc960891e2597");
  EXPECT_EQ(parsed->rand, "1767139200.1234");
  EXPECT_EQ(parsed->secret_index, 0);
  const KsFields& f = parsed->fields;
  EXPECT_EQ(f.partner_id, kPartnerId);
  EXPECT_EQ(f.valid_until, kValidUntil);
  EXPECT_EQ(f.type, 0);
  EXPECT_THAT(f.user, Optional(std::string("user@example.com")));
  EXPECT_EQ(f.privileges, "sessionid:0_abcd1234,apptoken:0_abcd1234");
  EXPECT_EQ(f.master_partner_id, std::nullopt);
  EXPECT_EQ(f.additional_data, std::nullopt);
}

// --- Verification failures ---------------------------------------------------------------

TEST(KsDecode, RejectsATamperedCiphertextByte) {
  const std::string raw = RawOf(kKsA);
  const size_t header = std::string_view("v2|12345|").size();
  for (size_t i = header; i < raw.size(); i += 7) {
    std::string tampered = raw;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_THAT(Decode(UrlSafe(Base64Encode(tampered)), kSecrets),
                StatusIs(StatusCode::kUnauthenticated))
        << "byte " << i;
  }
}

TEST(KsDecode, RejectsTruncatedKs) {
  for (const std::string& ks : {kKsA, kKsB, kKsC}) {
    for (size_t n = 0; n < ks.size(); ++n) {
      if (ks == kKsB && n == ks.size() - 1) continue;  // only drops the optional '='
      EXPECT_FALSE(Decode(ks.substr(0, n), kSecrets).ok()) << n;
    }
  }
  // Dropping one whole AES block keeps the shape but breaks the signature.
  const std::string raw = RawOf(kKsA);
  EXPECT_THAT(Decode(UrlSafe(Base64Encode(raw.substr(0, raw.size() - 16))), kSecrets),
              StatusIs(StatusCode::kUnauthenticated));
  // Dropping part of a block breaks the shape.
  EXPECT_THAT(Decode(UrlSafe(Base64Encode(raw.substr(0, raw.size() - 3))), kSecrets),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(KsDecode, RejectsAnotherPartnersSecret) {
  const std::vector<std::string> other = {kOtherSecret};
  EXPECT_THAT(Decode(kKsA, other), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Decode(kKsB, other), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Decode(kKsC, other), StatusIs(StatusCode::kUnauthenticated));
}

TEST(KsDecode, RejectsAKsRelabelledWithAnotherPartnerId) {
  // The v2 partner id is outside the signature; relabelling only helps if the secrets match.
  std::string raw = RawOf(kKsA);
  raw.replace(3, 5, "54321");
  const std::string relabelled = UrlSafe(Base64Encode(raw));
  EXPECT_THAT(PeekPartnerId(relabelled), IsOkAndHolds(54321));
  EXPECT_THAT(Decode(relabelled, std::vector<std::string>{kOtherSecret}),
              StatusIs(StatusCode::kUnauthenticated));
}

TEST(KsDecode, RejectsWhenNoSecretIsGiven) {
  EXPECT_THAT(Decode(kKsA, {}), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Decode(kKsC, {}), StatusIs(StatusCode::kUnauthenticated));
}

TEST(KsDecode, SecondAdminSecretVerifiesWithIndexOne) {
  const std::vector<std::string> secrets = {kOtherSecret, kSecret};
  for (const std::string& ks : {kKsA, kKsC}) {
    const auto parsed = Decode(ks, secrets);
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(parsed->secret_index, 1);
  }
  const std::vector<std::string> both = {kSecret, kSecret};
  EXPECT_THAT(Decode(kKsA, both), IsOkAndHolds(Field(&ParsedKs::secret_index, 0)));
}

TEST(KsDecode, RejectsV1SignatureInUppercase) {
  std::string raw = RawOf(kKsC);
  for (size_t i = 0; i < 40; ++i) raw[i] = static_cast<char>(std::toupper(raw[i]));
  EXPECT_THAT(Decode(Base64Encode(raw), kSecrets), StatusIs(StatusCode::kUnauthenticated));
}

// --- Malformed input -------------------------------------------------------------------------

TEST(KsDecode, RejectsMalformedStrings) {
  const std::vector<std::string> bad = {
      "",
      "!!!!",
      "djJ8",                     // "v2|"
      Base64Encode("v2|12345"),   // one separator
      Base64Encode("v2|12345|"),  // no ciphertext
      Base64Encode("v2||" + std::string(16, 'x')),
      Base64Encode("v2|abc|" + std::string(16, 'x')),
      Base64Encode("v2|99999999999999999999|" + std::string(16, 'x')),
      Base64Encode("v2| 12345|" + std::string(16, 'x')),
      Base64Encode("v2|+12345|" + std::string(16, 'x')),
      Base64Encode("0"),  // PHP treats the decoded "0" as false
      Base64Encode("no separator at all"),
      Base64Encode("sig|12345;12345"),  // fewer than 3 fields
      Base64Encode("sig|x;12345;1"),
      std::string("djJ8MTIz\0NDV8", 13),
      std::string(kMaxKsLength + 1, 'A'),
  };
  for (const std::string& ks : bad) {
    EXPECT_THAT(Decode(ks, kSecrets), StatusIs(StatusCode::kInvalidArgument)) << ks;
    EXPECT_THAT(PeekPartnerId(ks), StatusIs(StatusCode::kInvalidArgument)) << ks;
  }
}

// A KS's decoded bytes and its v2 plaintext are held in buffers sized for the longest KS
// accepted: KSs at that length, and one byte past it, decode (or fail) within them (ASan
// checks the bounds).
TEST(KsDecode, KsAtTheLengthLimitDecodesWithinItsBuffers) {
  KsFields fields;
  fields.partner_id = 12345;
  fields.valid_until = kValidUntil;
  fields.type = kSessionTypeUser;
  fields.user = "u";
  // Grown until the KS is as long as it may be: a v2 KS grows in steps of its AES blocks.
  std::string longest;
  std::string longest_privileges;
  for (size_t n = 5000;; ++n) {
    fields.privileges = "p:" + std::string(n, 'x');
    const std::string ks = EncodeV2(fields, kSecret, {});
    if (ks.size() > kMaxKsLength) break;
    longest = ks;
    longest_privileges = fields.privileges;
  }
  ASSERT_GT(longest.size(), kMaxKsLength - 32);
  Result<ParsedKs> parsed = Decode(longest, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.user, "u");
  EXPECT_EQ(parsed->fields.privileges, longest_privileges);
  // Base64 of kMaxKsLength characters, every one of them data: 6,144 bytes decoded (a v1 KS
  // without its '|'); a v2 envelope whose ciphertext (whole blocks) fills what is left, which
  // decrypts to no signature.
  EXPECT_THAT(Decode(std::string(kMaxKsLength, 'A'), kSecrets),
              StatusIs(StatusCode::kInvalidArgument));
  const std::string v2 = Base64Encode("v2|1|" + std::string(6128, 'x'));
  ASSERT_GT(v2.size(), kMaxKsLength - 16);
  ASSERT_LE(v2.size(), kMaxKsLength);
  EXPECT_THAT(Decode(v2, kSecrets), StatusIs(StatusCode::kUnauthenticated));
}

TEST(KsDecode, RejectsNonNumericOrOverflowingFields) {
  for (const char* query : {"_e=abc&_t=0", "_e=99999999999999999999&_t=0", "_e=&_t=0",
                            "_e=1.5&_t=0", "_e=1&_t=x", "_e=1&_t=99999999999", "_e=+1&_t=0"}) {
    EXPECT_THAT(Decode(MakeV2(query), kSecrets), StatusIs(StatusCode::kInvalidArgument)) << query;
  }
  for (const char* info :
       {"12345;12345;abc;0", "12345;12345;1;x", "12345;12345;;0", "12345;12345;1;99999999999"}) {
    EXPECT_THAT(Decode(MakeV1(info), kSecrets), StatusIs(StatusCode::kInvalidArgument)) << info;
  }
}

TEST(KsDecode, RejectsPhpArraySyntaxInAV2Query) {
  EXPECT_THAT(Decode(MakeV2("a[b]=1&_e=1&_t=0"), kSecrets), StatusIs(StatusCode::kInvalidArgument));
}

TEST(KsDecode, RejectsAV2QueryWithMoreFieldsThanParseStrReads) {
  std::string query;
  for (int i = 0; i < 998; ++i) query.append("p").append(std::to_string(i)).append("=&");
  EXPECT_THAT(Decode(MakeV2(query + "_e=1767225600&_t=0"), kSecrets), IsOk());
  EXPECT_THAT(Decode(MakeV2(query + "_e=1767225600&_t=0&_u=x"), kSecrets),
              StatusIs(StatusCode::kInvalidArgument));
  // Empty pieces are not fields.
  EXPECT_THAT(Decode(MakeV2(query + "&&_e=1767225600&&_t=0&"), kSecrets), IsOk());
}

// Found while writing fuzz/ks_fuzzer's v1 round trip: v1 fields are joined by ';' without
// escaping, so a ';' in one (a caller's userId for appToken.startSession) shifted the rest: the
// user "bob;" moved the privileges (setrole, sessionid, apptoken) into the master-partner field.
TEST(KsDecode, RejectsAV1KsWithMoreThanNineFields) {
  EXPECT_THAT(Decode(MakeV1("12345;12345;1767225600;0;r;u;p;m;d"), kSecrets), IsOk());
  EXPECT_THAT(Decode(MakeV1("12345;12345;1767225600;0;r;u;p;m;d;"), kSecrets),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(PeekPartnerId(MakeV1("12345;12345;1767225600;0;r;u;p;m;d;")),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(KsEncode, V1FieldHoldingTheSeparatorGivesAKsDecodeRefuses) {
  KsFields f = FieldsC();
  f.user = "bob;";
  f.privileges = "sessionid:0_tok,apptoken:0_tok,setrole:PLAYBACK_BASE_ROLE";
  EXPECT_THAT(Decode(EncodeV1(f, kSecret, "1767139200.1234"), kSecrets),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(KsDecode, V2MissingFieldsKeepDefaults) {
  const auto parsed = Decode(MakeV2("widget=1"), kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.valid_until, 0);
  EXPECT_EQ(parsed->fields.type, 0);
  EXPECT_EQ(parsed->fields.user, std::nullopt);
  EXPECT_EQ(parsed->fields.privileges, "widget:1");
  EXPECT_EQ(parsed->rand, "07070707070707070707070707070707");
}

TEST(KsDecode, V1MissingTrailingFieldsAreAllowed) {
  const auto parsed = Decode(MakeV1("12345;12345;1767225600"), kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.partner_id, kPartnerId);
  EXPECT_EQ(parsed->fields.valid_until, kValidUntil);
  EXPECT_EQ(parsed->fields.type, 0);
  EXPECT_EQ(parsed->fields.user, std::nullopt);
  EXPECT_EQ(parsed->fields.privileges, "");
  EXPECT_EQ(parsed->rand, "");

  const auto seven = Decode(MakeV1("-2;-2;1767225600;2;r;;*"), kSecrets);
  ASSERT_THAT(seven, IsOk());
  EXPECT_EQ(seven->fields.partner_id, -2);
  EXPECT_EQ(seven->fields.type, kSessionTypeAdmin);
  EXPECT_THAT(seven->fields.user, Optional(std::string()));
  EXPECT_EQ(seven->fields.privileges, "*");
}

TEST(KsDecode, V2QueryIsReadWithParseStrSemantics) {
  const auto parsed =
      Decode(MakeV2("a.b=1&c+d=2& e=3&f=%2a&g&h=&a.b=9&%5Fu=x+y&_m=7&_d=%7E&_e=1767225600&_t=2"),
             kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.privileges, "a_b:9,c_d:2,e:3,f:*,g,h");
  EXPECT_THAT(parsed->fields.user, Optional(std::string("x y")));
  EXPECT_THAT(parsed->fields.master_partner_id, Optional(std::string("7")));
  EXPECT_THAT(parsed->fields.additional_data, Optional(std::string("~")));
  EXPECT_EQ(parsed->fields.type, kSessionTypeAdmin);
}

TEST(KsDecode, AllStarReadsBackAsStar) {
  EXPECT_THAT(Decode(MakeV2("all=%2A&_e=1&_t=2"), kSecrets), IsOkAndHolds(HasPrivileges("*")));
  EXPECT_THAT(Decode(MakeV2("all=%2A&x=1&_e=1&_t=2"), kSecrets),
              IsOkAndHolds(HasPrivileges("all:*,x:1")));
}

}  // namespace
}  // namespace ksgate::ks
