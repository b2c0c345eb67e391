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
#include "testing/matchers.h"

namespace ksgate::ks {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::IsOkAndHolds;
using ::ksgate::testing::StatusIs;
using ::testing::Field;
using ::testing::Optional;

// Matches a ParsedKs whose fields.privileges is `privileges`.
::testing::Matcher<const ParsedKs&> HasPrivileges(const std::string& privileges) {
  return Field(&ParsedKs::fields, Field(&KsFields::privileges, privileges));
}

constexpr int64_t kPartnerId = 12345;
const std::string kSecret = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6";
const std::string kOtherSecret = "ffffffffffffffffffffffffffffffff";
const std::vector<std::string> kSecrets = {kSecret};
constexpr int64_t kValidUntil = 1767225600;

constexpr std::array<uint8_t, 16> kRand = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// §4.9 vector A: an app-token KS.
const std::string kKsA =
    "djJ8MTIzNDV8dRsPwm-WarfBZrAcQGHdDSBnWOSpF7H0p8IIkar3DKcxiEHC_"
    "Cv8hb02cUn42sRqfBnIxwaoyLiPGSxN4nTS"
    "plZPPTJRNtoVz8_2J2fujIgoKWLhHrtrudvEth4lMYAKXguGmHCeHEXXslUXMJsvt_"
    "r6fnOyeKDLZCnWsQhNvANJvFGu9h4"
    "OkEOE-iao7RLM";
// §4.9 vector B: a widget KS.
const std::string kKsB =
    "djJ8MTIzNDV8xD7rYnBFrgxxxsnLZCevAmQ-r00Xr2LH6m9BNgzteF8nYcD4U0Cuz--Qz3tAfCnFo7ga8rgETE_"
    "6rdjL2IvM"
    "iYRUfBgOWOrBwDWOlpGtMpA=";
// §4.9 vector C: a v1 KS.
const std::string kKsC =
    "MjFmYzczYWY4NTQ4MzQxNmE2MWQ1ZWQ4ODY2ZmM5NjA4OTFlMjU5N3wxMjM0NTsxMjM0NTsxNzY3MjI1NjAwOzA7MTc2Nz"
    "EzOTIwMC4xMjM0O3VzZXJAZXhhbXBsZS5jb207c2Vzc2lvbmlkOjBfYWJjZDEyMzQsYXBwdG9rZW46MF9hYmNkMTIzNDs"
    "7";

KsFields FieldsA() {
  KsFields f;
  f.partner_id = kPartnerId;
  f.valid_until = kValidUntil;
  f.type = kSessionTypeUser;
  f.user = "user@example.com";
  f.privileges = "sessionid:0_abcd1234,apptoken:0_abcd1234,setrole:PLAYBACK_BASE_ROLE";
  return f;
}

KsFields FieldsB() {
  KsFields f;
  f.partner_id = kPartnerId;
  f.valid_until = kValidUntil;
  f.type = kSessionTypeUser;
  f.user = "0";
  f.privileges = "view:*,widget:1";
  return f;
}

KsFields FieldsC() {
  KsFields f = FieldsA();
  f.privileges = "sessionid:0_abcd1234,apptoken:0_abcd1234";
  return f;
}

std::string UrlSafe(std::string s) {
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

std::string RawOf(std::string_view ks) {
  return Base64DecodeStrict(ks, Base64Alphabet::kStandardOrUrlSafe).value();
}

// Builds a v2 KS around an arbitrary query, signed like generateKsV2 would.
std::string MakeV2(std::string_view query, std::string_view secret = kSecret,
                   std::string_view partner = "12345") {
  std::string plain(16, '\x07');
  plain.append(query);
  std::string signed_text = Sha1Raw(plain) + plain;
  signed_text.resize((signed_text.size() + 15) / 16 * 16, '\0');
  const std::string key = Sha1Raw(secret).substr(0, 16);
  return UrlSafe(Base64Encode("v2|" + std::string(partner) + "|" +
                              Aes128CbcZeroIvEncrypt(key, signed_text).value()));
}

// Builds a v1 KS around an arbitrary info string.
std::string MakeV1(std::string_view info, std::string_view secret = kSecret) {
  return Base64Encode(HexDigest(HashAlgorithm::kSha1, std::string(secret) + std::string(info)) +
                      "|" + std::string(info));
}

// The query inside a v2 KS (for asserting what the encoder wrote).
std::string QueryOf(std::string_view ks, std::string_view secret = kSecret) {
  const std::string raw = RawOf(ks);
  const size_t bar = raw.find('|', 3);
  std::string plain =
      Aes128CbcZeroIvDecrypt(Sha1Raw(secret).substr(0, 16), raw.substr(bar + 1)).value();
  plain.resize(plain.find_last_not_of('\0') + 1);
  return plain.substr(20 + 16);
}

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
  for (int i = 0; i < 998; ++i) query += "p" + std::to_string(i) + "=&";
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

// --- Encoding rules ------------------------------------------------------------------------

TEST(KsEncode, V2PrivilegesAreTrimmedDeduplicatedAndOverriddenByReservedFields) {
  KsFields f = FieldsA();
  f.user = "a b~*@";
  f.privileges = " edit:1 , ,0,\tview:*\n,edit:2,_e:5,_m:x,*,:v,name:a:b";
  const std::string ks = EncodeV2(f, kSecret, kRand);
  EXPECT_EQ(QueryOf(ks),
            "edit=2&view=%2A&_e=1767225600&all=%2A&=v&name=a%3Ab&_t=0&_u=a+b%7E%2A%40");
  const auto parsed = Decode(ks, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.privileges, "edit:2,view:*,all:*,name:a:b");
  EXPECT_THAT(parsed->fields.user, Optional(std::string("a b~*@")));
  EXPECT_EQ(parsed->fields.master_partner_id, std::nullopt);
}

// Found by fuzz/ks_fuzzer: PHP's parse_str cuts a name at NUL and reads ' ' and '.' as '_', so a
// privilege named "_u\0" or ".m" was read back as the KS field _u or _m: it set the field when
// the KS had none. Such names are not written; nor are PHP array names, which made the KS
// unreadable.
TEST(KsEncode, V2DropsPrivilegesTheDecoderWouldReadAsFields) {
  KsFields f = FieldsA();
  f.user = std::nullopt;
  f.privileges = std::string("_u\0:evil,.m:7, _d\0x:data,_e[a]:1,edit:1,\t_t\0:2", 46);
  const std::string ks = EncodeV2(f, kSecret, kRand);
  EXPECT_EQ(QueryOf(ks), "edit=1&_e=1767225600&_t=0");
  const auto parsed = Decode(ks, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.user, std::nullopt);
  EXPECT_EQ(parsed->fields.master_partner_id, std::nullopt);
  EXPECT_EQ(parsed->fields.additional_data, std::nullopt);
  EXPECT_EQ(parsed->fields.type, kSessionTypeUser);
  EXPECT_EQ(parsed->fields.privileges, "edit:1");
}

// parse_str reads at most 1000 fields. Privileges that filled them pushed the real _e, _t and _u
// out of the KS, and names read as those fields stood in for them: an app token's requested
// privileges (appToken.startSession's sessionPrivileges, where ".t" is an ordinary name) minted
// an admin KS of any expiry for any user.
TEST(KsEncode, V2PrivilegesCannotPushTheFieldsOut) {
  KsFields f = FieldsA();  // a USER session of user@example.com
  std::string privileges = ".e:4102444800,.t:2,.u:admin";
  for (int i = 0; i < 998; ++i) privileges += ",p" + std::to_string(i);
  f.privileges = privileges;
  // The aliases are dropped; 998 privileges and _e, _t, _u are more fields than are read.
  EXPECT_THAT(Decode(EncodeV2(f, kSecret, kRand), kSecrets),
              StatusIs(StatusCode::kInvalidArgument));
  // 997 and the three fields: all read, as given.
  f.privileges = privileges.substr(0, privileges.rfind(','));
  const auto parsed = Decode(EncodeV2(f, kSecret, kRand), kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.type, kSessionTypeUser);
  EXPECT_EQ(parsed->fields.valid_until, kValidUntil);
  EXPECT_THAT(parsed->fields.user, Optional(std::string("user@example.com")));
}

TEST(KsEncode, V2StarAloneBecomesAllStar) {
  KsFields f = FieldsA();
  f.privileges = "*";
  f.type = kSessionTypeAdmin;
  const std::string ks = EncodeV2(f, kSecret, kRand);
  EXPECT_EQ(QueryOf(ks), "all=%2A&_e=1767225600&_t=2&_u=user%40example.com");
  EXPECT_THAT(Decode(ks, kSecrets), IsOkAndHolds(HasPrivileges("*")));
}

TEST(KsEncode, V2OmitsNullFieldsButWritesEmptyOnes) {
  KsFields f = FieldsA();
  f.privileges = "";
  f.user = std::nullopt;
  EXPECT_EQ(QueryOf(EncodeV2(f, kSecret, kRand)), "_e=1767225600&_t=0");
  f.user = "";
  f.master_partner_id = "-2";
  f.additional_data = "x y";
  const std::string ks = EncodeV2(f, kSecret, kRand);
  EXPECT_EQ(QueryOf(ks), "_e=1767225600&_t=0&_u=&_m=-2&_d=x+y");
  const auto parsed = Decode(ks, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(parsed->fields.user, Optional(std::string()));
  EXPECT_THAT(parsed->fields.master_partner_id, Optional(std::string("-2")));
  EXPECT_THAT(parsed->fields.additional_data, Optional(std::string("x y")));
}

TEST(KsEncode, V2RoundTripsNegativePartnerAndLargeExpiry) {
  KsFields f = FieldsB();
  f.partner_id = -1;
  f.valid_until = std::numeric_limits<int64_t>::max();
  const std::string ks = EncodeV2(f, kSecret, kRand);
  EXPECT_THAT(PeekPartnerId(ks), IsOkAndHolds(-1));
  const auto parsed = Decode(ks, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.partner_id, -1);
  EXPECT_EQ(parsed->fields.valid_until, std::numeric_limits<int64_t>::max());
}

TEST(KsEncode, V1WritesNullFieldsEmpty) {
  KsFields f = FieldsA();
  f.user = std::nullopt;
  f.type = kSessionTypeAdmin;
  f.privileges = "*";
  f.master_partner_id = "-2";
  const std::string ks = EncodeV1(f, kSecret, "1.5");
  const std::string raw = RawOf(ks);
  EXPECT_EQ(raw.substr(raw.find('|') + 1), "12345;12345;1767225600;2;1.5;;*;-2;");
  const auto parsed = Decode(ks, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(parsed->fields.user, Optional(std::string()));
  EXPECT_THAT(parsed->fields.master_partner_id, Optional(std::string("-2")));
  EXPECT_EQ(parsed->fields.additional_data, std::nullopt);
}

TEST(KsEncode, V1UsesTheStandardBase64Alphabet) {
  // Encoding with a rand chosen so that the base64 output contains '+' or '/'.
  bool saw_standard_char = false;
  for (int i = 0; i < 64 && !saw_standard_char; ++i) {
    const std::string ks = EncodeV1(FieldsC(), kSecret, std::to_string(i) + "\xfb\xff");
    saw_standard_char = ks.find_first_of("+/") != std::string::npos;
    EXPECT_EQ(ks.find_first_of("-_"), std::string::npos);
    EXPECT_THAT(Decode(ks, kSecrets), IsOk());
  }
  EXPECT_TRUE(saw_standard_char);
}

// --- PeekPartnerId and IsWidgetSession ---------------------------------------------------

TEST(KsPeek, ReadsThePartnerIdOfEitherVersion) {
  EXPECT_THAT(PeekPartnerId(kKsA), IsOkAndHolds(kPartnerId));
  EXPECT_THAT(PeekPartnerId(kKsB), IsOkAndHolds(kPartnerId));
  EXPECT_THAT(PeekPartnerId(kKsB.substr(0, kKsB.size() - 1)), IsOkAndHolds(kPartnerId));
  EXPECT_THAT(PeekPartnerId(kKsC), IsOkAndHolds(kPartnerId));
  // Peek does not verify: a bad signature still yields the claimed partner.
  EXPECT_THAT(PeekPartnerId(Base64Encode("bad|777;777;1")), IsOkAndHolds(777));
}

TEST(KsPeek, RejectsGarbage) {
  for (const std::string& ks : {std::string("garbage"), std::string("%%%"), std::string("=="),
                                Base64Encode("hello world"), std::string("djJ8MTIzNDV8")}) {
    EXPECT_THAT(PeekPartnerId(ks), StatusIs(StatusCode::kInvalidArgument)) << ks;
  }
}

TEST(KsWidget, IsWidgetSessionCases) {
  KsFields f = FieldsB();
  EXPECT_TRUE(IsWidgetSession(f));
  f.user = "";
  EXPECT_TRUE(IsWidgetSession(f));
  f.user = std::nullopt;
  EXPECT_TRUE(IsWidgetSession(f));
  f.privileges = "setrole:X,widget:1,limitentry:0_x";
  EXPECT_TRUE(IsWidgetSession(f));
  f.privileges = "xwidget:12";  // substring match, as Kaltura does
  EXPECT_TRUE(IsWidgetSession(f));

  KsFields named = FieldsB();
  named.user = "alice";
  EXPECT_FALSE(IsWidgetSession(named));
  KsFields admin = FieldsB();
  admin.type = kSessionTypeAdmin;
  EXPECT_FALSE(IsWidgetSession(admin));
  KsFields kas = FieldsB();
  kas.type = 1;
  EXPECT_FALSE(IsWidgetSession(kas));
  KsFields no_widget = FieldsB();
  no_widget.privileges = "view:*,widget:0";
  EXPECT_FALSE(IsWidgetSession(no_widget));
  KsFields app_token = FieldsA();
  EXPECT_FALSE(IsWidgetSession(app_token));
}

// --- Concurrency -------------------------------------------------------------------------

TEST(KsThreads, ConcurrentEncodeAndDecodeAgree) {
  std::vector<std::thread> threads;
  std::array<int, 4> failures{};
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 200; ++i) {
        const bool ok = EncodeV2(FieldsA(), kSecret, kRand) == kKsA &&
                        Decode(kKsB, kSecrets).ok() &&
                        EncodeV1(FieldsC(), kSecret, "1767139200.1234") == kKsC &&
                        Decode(kKsC, kSecrets).ok() && RandomHex(16).size() == 32;
        if (!ok) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(failures, ::testing::Each(0));
}

// --- Robustness --------------------------------------------------------------------------

TEST(KsFuzz, RandomStringsNeverCrashAndNeverVerify) {
  std::mt19937 rng(20260427);
  constexpr std::string_view kBase64ish =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_= \n";
  for (int i = 0; i < 3000; ++i) {
    const size_t length = rng() % 400;
    std::string s(length, '\0');
    const bool binary = i % 3 == 0;
    for (char& c : s) {
      c = binary ? static_cast<char>(rng() & 0xff) : kBase64ish[rng() % kBase64ish.size()];
    }
    if (i % 5 == 0) s = "djJ8MTIzNDV8" + s;  // "v2|12345|" prefix
    if (i % 7 == 0) s = Base64Encode(std::to_string(rng() % 100000) + "|" + s);
    EXPECT_FALSE(Decode(s, kSecrets).ok());
    (void)PeekPartnerId(s);
  }
}

TEST(KsFuzz, MutatedKsNeverVerifies) {
  std::mt19937 rng(7);
  for (const std::string& ks : {kKsA, kKsB, kKsC}) {
    const std::string raw = RawOf(ks);
    const bool v2 = raw.starts_with("v2|");
    // v2: the partner id is unsigned, so mutate only the ciphertext; v1: anything after the
    // partner id is signed, the signature included.
    const size_t first = v2 ? std::string_view("v2|12345|").size() : 0;
    for (int i = 0; i < 1000; ++i) {
      std::string mutated = raw;
      switch (rng() % 4) {
        case 0: {  // flip bits in one byte
          const size_t at = first + rng() % (raw.size() - first);
          mutated[at] = static_cast<char>(mutated[at] ^ (1 + rng() % 255));
          break;
        }
        case 1:  // truncate
          mutated.resize(first + rng() % (raw.size() - first));
          break;
        case 2: {  // insert a byte
          const size_t at = first + rng() % (raw.size() - first);
          mutated.insert(mutated.begin() + static_cast<std::ptrdiff_t>(at),
                         static_cast<char>(rng() & 0xff));
          break;
        }
        case 3: {  // swap two different bytes
          const size_t a = first + rng() % (raw.size() - first);
          const size_t b = first + rng() % (raw.size() - first);
          std::swap(mutated[a], mutated[b]);
          break;
        }
      }
      if (mutated == raw) continue;
      std::string encoded = Base64Encode(mutated);
      if (v2) encoded = UrlSafe(encoded);
      EXPECT_FALSE(Decode(encoded, kSecrets).ok()) << "mutation " << i;
      (void)PeekPartnerId(encoded);
    }
  }
}

TEST(KsFuzz, TextLevelMutationsNeverCrash) {
  std::mt19937 rng(99);
  const std::string alphabet =
      std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=| \t") +
      std::string(1, '\0') + "\xff";
  for (const std::string& ks : {kKsA, kKsB, kKsC}) {
    const auto original = Decode(ks, kSecrets);
    ASSERT_THAT(original, IsOk());
    for (int i = 0; i < 1000; ++i) {
      std::string mutated = ks;
      const size_t at = rng() % mutated.size();
      mutated[at] = alphabet[rng() % alphabet.size()];
      const auto parsed = Decode(mutated, kSecrets);
      // Some edits are equivalent (alphabet twins, unused low bits): then nothing changed.
      if (parsed.ok()) {
        EXPECT_EQ(parsed->hash, original->hash);
        EXPECT_EQ(parsed->fields.privileges, original->fields.privileges);
      }
      (void)PeekPartnerId(mutated);
    }
  }
}

TEST(KsFuzz, HugeInputIsRejectedQuickly) {
  const std::string huge(1 << 20, 'A');
  EXPECT_THAT(Decode(huge, kSecrets), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(PeekPartnerId(huge), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ksgate::ks
