#include "api/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "api/head_lines_testing.h"
#include "common/php.h"
#include "ks/crypto.h"
#include "ks/privileges.h"

namespace ksgate::api {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr int64_t kNow = 1767000000;

// A caller as Authenticator::Parse makes one, without a store: only what the identity reads.
services::Caller MakeCaller(int64_t partner_id, int type, std::optional<std::string> user,
                            std::string privileges) {
  services::Caller c;
  c.kind = type == 2 ? services::SessionKind::kAdmin : services::SessionKind::kUser;
  auto partner = std::make_shared<store::Partner>();
  partner->id = partner_id;
  c.shared_partner = std::move(partner);
  auto verified = std::make_shared<services::VerifiedKs>();
  verified->parsed.fields.partner_id = partner_id;
  verified->parsed.fields.type = type;
  verified->parsed.fields.user = std::move(user);
  verified->parsed.fields.privileges = std::move(privileges);
  verified->privileges = ks::ParsePrivileges(verified->parsed.fields.privileges);
  c.verified = std::move(verified);
  return c;
}

// The fields AppendIdentityLines writes, split back into name and value.
HeaderFields IdentityFields(const services::Caller& caller, std::string_view request_id,
                            std::string_view method, std::string_view target,
                            std::string_view signing_key, int64_t now) {
  std::string lines;
  AppendIdentityLines(caller, request_id, method, target, signing_key, now, &lines);
  return WithHeadLines({}, lines);
}

// Percent-decoding, as an upstream reads an encoded value ('+' is not a space).
std::string Decoded(std::string_view value) {
  std::string out;
  php::AppendUrlDecoded(value, /*plus_is_space=*/false, &out);
  return out;
}

// --- IsGateHeader -----------------------------------------------------------------------------

TEST(IsGateHeader, MatchesEveryXKsgateFieldWhateverItsCase) {
  for (const char* name : {"X-Ksgate-User-Id", "x-ksgate-signature", "X-KSGATE-PARTNER-ID",
                           "X-Ksgate-", "X-Ksgate-Anything-New"}) {
    EXPECT_TRUE(IsGateHeader(name)) << name;
  }
  for (const char* name : {"", "X-Ksgate", "X-Ksgateway", "X-Ksgate_User", "Ksgate-User-Id",
                           "X-Forwarded-For", "Authorization", " X-Ksgate-User-Id"}) {
    EXPECT_FALSE(IsGateHeader(name)) << name;
  }
}

// --- EncodeHeaderValue ------------------------------------------------------------------------

TEST(EncodeHeaderValue, KeepsPrintableAsciiAndEscapesEverythingElseInUppercaseHex) {
  struct Case {
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"alice", "alice"},
      {"a b", "a b"},
      {"a:b,c/d*e!~\"'()<>[]{}=;?@\\^`|&+#$", "a:b,c/d*e!~\"'()<>[]{}=;?@\\^`|&+#$"},
      {"100%", "100%25"},
      {"%41", "%2541"},
      {"a\tb", "a%09b"},
      {"a\r\nX-Ksgate-User-Id: root", "a%0D%0AX-Ksgate-User-Id: root"},
      {std::string("a\0b", 3), "a%00b"},
      {"\x7f", "%7F"},
      {"zo\xc3\xab", "zo%C3%AB"},
      {"\xff\xfe", "%FF%FE"},
  };
  for (const Case& c : cases) EXPECT_EQ(EncodeHeaderValue(c.in), c.out) << c.in;
}

// A value's leading and trailing spaces are not part of an HTTP field value (RFC 9110 §5.5):
// parsers drop them. Encoded, they survive the trip.
TEST(EncodeHeaderValue, EscapesSpacesAtEitherEndSoThatTheyAreNotTrimmedAway) {
  EXPECT_EQ(EncodeHeaderValue(" bob"), "%20bob");
  EXPECT_EQ(EncodeHeaderValue("bob "), "bob%20");
  EXPECT_EQ(EncodeHeaderValue("  a b  "), "%20 a b %20");
  EXPECT_EQ(EncodeHeaderValue(" "), "%20");
}

TEST(EncodeHeaderValue, EveryByteSurvivesAsAValidFieldValue) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  for (const std::string& value : {every_byte, std::string(" ") + every_byte + " "}) {
    const std::string encoded = EncodeHeaderValue(value);
    for (const char c : encoded) {
      const auto b = static_cast<unsigned char>(c);
      EXPECT_TRUE(b >= 0x20 && b <= 0x7e) << "byte " << static_cast<int>(b) << " in " << encoded;
    }
    EXPECT_NE(encoded.front(), ' ');
    EXPECT_NE(encoded.back(), ' ');
    EXPECT_EQ(Decoded(encoded), value);
  }
}

// --- NewRequestId -----------------------------------------------------------------------------

TEST(NewRequestId, IsAProcessPrefixAndACounter) {
  const std::string first = NewRequestId();
  const std::string second = NewRequestId();
  EXPECT_THAT(first, MatchesRegex("[0-9a-f]{16}-[0-9]+"));
  EXPECT_THAT(second, MatchesRegex("[0-9a-f]{16}-[0-9]+"));
  EXPECT_EQ(first.substr(0, 17), second.substr(0, 17)) << "one prefix per process";
  EXPECT_EQ(std::stoull(second.substr(17)), std::stoull(first.substr(17)) + 1);
}

TEST(NewRequestId, NeverRepeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(NewRequestId()).second);
}

// --- Request ids ------------------------------------------------------------------------------

TEST(RequestId, AcceptsOnlyShortIdsOfSafeCharacters) {
  EXPECT_TRUE(IsValidRequestId("a"));
  EXPECT_TRUE(IsValidRequestId("0f3c-9a7d:req_1.2"));
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'x')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'x')));
  for (std::string_view bad : {"a b", "a\"b", "a\nb", "a/b", "a%20", "caf\xc3\xa9", "a{}"}) {
    EXPECT_FALSE(IsValidRequestId(bad)) << bad;
  }
}

TEST(RequestId, IsTakenFromATrustedProxysValidHeaderElseGenerated) {
  Request request;
  request.trusted_peer = true;
  const std::string given = "nginx-7c1e0f";
  request.headers = {{"x-request-id", given}};
  EXPECT_EQ(RequestIdFor(request), "nginx-7c1e0f");

  // Any other peer: made up (a client choosing ids could make others' requests look replayed).
  request.trusted_peer = false;
  EXPECT_THAT(RequestIdFor(request), MatchesRegex("[0-9a-f]{16}-[0-9]+"));
  request.trusted_peer = true;

  const std::string hostile = "evil\n{\"level\":\"error\"}";
  request.headers = {{"X-Request-Id", hostile}};
  const std::string generated = RequestIdFor(request);
  EXPECT_THAT(generated, MatchesRegex("[0-9a-f]{16}-[0-9]+"));

  request.headers.clear();
  EXPECT_THAT(RequestIdFor(request), MatchesRegex("[0-9a-f]{16}-[0-9]+"));
  EXPECT_NE(RequestIdFor(request), generated);
}

// --- AppendIdentityLines
// --------------------------------------------------------------------------

TEST(IdentityFields, WithoutAKeyAreTheKsFieldsInOrderAndNoSignature) {
  const services::Caller admin = MakeCaller(4217, 2, "alice", "setrole:EDITOR");
  EXPECT_THAT(
      IdentityFields(admin, "rid-1", "GET", "/x", "", kNow),
      ElementsAre(Pair("X-Ksgate-Partner-Id", "4217"), Pair("X-Ksgate-User-Id", "alice"),
                  Pair("X-Ksgate-Session-Type", "2"), Pair("X-Ksgate-Privileges", "setrole:EDITOR"),
                  Pair("X-Ksgate-Request-Id", "rid-1")));
}

TEST(IdentityFields, AKsWithoutAUserHasAnEmptyUserId) {
  const services::Caller user = MakeCaller(7, 0, std::nullopt, "");
  EXPECT_THAT(IdentityFields(user, "r", "GET", "/x", "", kNow),
              ElementsAre(Pair("X-Ksgate-Partner-Id", "7"), Pair("X-Ksgate-User-Id", ""),
                          Pair("X-Ksgate-Session-Type", "0"), Pair("X-Ksgate-Privileges", ""),
                          Pair("X-Ksgate-Request-Id", "r")));
}

TEST(IdentityFields, NameTheAppTokenOnlyWhenTheKsCameFromOne) {
  const services::Caller from_token = MakeCaller(7, 0, "u", "view:*,apptoken:0_tok1,sview:0_e");
  EXPECT_THAT(IdentityFields(from_token, "r", "GET", "/x", "", kNow),
              ElementsAre(Pair("X-Ksgate-Partner-Id", "7"), Pair("X-Ksgate-User-Id", "u"),
                          Pair("X-Ksgate-Session-Type", "0"),
                          Pair("X-Ksgate-Privileges", "view:*,apptoken:0_tok1,sview:0_e"),
                          Pair("X-Ksgate-App-Token", "0_tok1"), Pair("X-Ksgate-Request-Id", "r")));
}

TEST(IdentityFields, EncodeEveryValue) {
  const services::Caller odd =
      MakeCaller(7, 0, "zo\xc3\xab\r\n", "apptoken:0_%x,urirestrict:/a\nb");
  EXPECT_THAT(
      IdentityFields(odd, "r\n1", "GET", "/x", "", kNow),
      ElementsAre(Pair("X-Ksgate-Partner-Id", "7"), Pair("X-Ksgate-User-Id", "zo%C3%AB%0D%0A"),
                  Pair("X-Ksgate-Session-Type", "0"),
                  Pair("X-Ksgate-Privileges", "apptoken:0_%25x,urirestrict:/a%0Ab"),
                  Pair("X-Ksgate-App-Token", "0_%25x"), Pair("X-Ksgate-Request-Id", "r%0A1")));
}

// A fixed test vector. The expected signature was computed outside ksgate, with OpenSSL:
//   { printf 'ksgate-v1\n1767000000\nPOST\n/base/api_v3/service/media/action/list?format=1\n';
//     printf '4217\nzo%%C3%%AB smith\n2\napptoken:0_tok1,setrole:EDITOR\n0_tok1\nrid-1'; } |
//   openssl dgst -sha256 -hmac 'gate-signing-key'
//   SHA2-256(stdin)= fba8a3abae417b7bbf3446726621cab80bb72ac0cdc7f82a44ed5b4014de6dbf
TEST(IdentityFields, SignTheDocumentedLinesWithHmacSha256) {
  const services::Caller caller =
      MakeCaller(4217, 2, "zo\xc3\xab smith", "apptoken:0_tok1,setrole:EDITOR");
  const HeaderFields fields =
      IdentityFields(caller, "rid-1", "POST", "/base/api_v3/service/media/action/list?format=1",
                     "gate-signing-key", kNow);
  EXPECT_THAT(
      fields,
      ElementsAre(Pair("X-Ksgate-Partner-Id", "4217"), Pair("X-Ksgate-User-Id", "zo%C3%AB smith"),
                  Pair("X-Ksgate-Session-Type", "2"),
                  Pair("X-Ksgate-Privileges", "apptoken:0_tok1,setrole:EDITOR"),
                  Pair("X-Ksgate-App-Token", "0_tok1"), Pair("X-Ksgate-Request-Id", "rid-1"),
                  Pair("X-Ksgate-Timestamp", "1767000000"),
                  Pair("X-Ksgate-Signature",
                       "v1=fba8a3abae417b7bbf3446726621cab80bb72ac0cdc7f82a44ed5b4014de6dbf")));

  // The same, by the documented recipe: the lines, values as sent, joined by '\n'.
  const std::string lines =
      "ksgate-v1\n1767000000\nPOST\n/base/api_v3/service/media/action/list?format=1\n4217\n"
      "zo%C3%AB smith\n2\napptoken:0_tok1,setrole:EDITOR\n0_tok1\nrid-1";
  ASSERT_EQ(fields.size(), 8u);
  EXPECT_EQ(fields[7].second, "v1=" + ks::HmacSha256Hex("gate-signing-key", lines));
}

TEST(IdentityFields, SignAnEmptyAppTokenLineWhenThereIsNone) {
  const services::Caller caller = MakeCaller(7, 0, std::nullopt, "");
  const HeaderFields fields = IdentityFields(caller, "r", "GET", "/p?q", "k", 1000);
  ASSERT_EQ(fields.size(), 7u);
  EXPECT_THAT(fields[5], Pair("X-Ksgate-Timestamp", "1000"));
  EXPECT_THAT(fields[6], Pair("X-Ksgate-Signature", StartsWith("v1=")));
  EXPECT_EQ(fields[6].second,
            "v1=" + ks::HmacSha256Hex("k", "ksgate-v1\n1000\nGET\n/p?q\n7\n\n0\n\n\nr"));
}

TEST(IdentityFields, TheSignatureCoversEverySignedInput) {
  const services::Caller caller = MakeCaller(7, 2, "u", "apptoken:0_t");
  auto signature = [](const services::Caller& c, std::string_view rid, std::string_view method,
                      std::string_view target, std::string_view key, int64_t now) {
    return IdentityFields(c, rid, method, target, key, now).back().second;
  };
  const std::string base = signature(caller, "r", "GET", "/a", "k", kNow);
  EXPECT_EQ(signature(caller, "r", "GET", "/a", "k", kNow), base) << "deterministic";
  EXPECT_NE(signature(caller, "r2", "GET", "/a", "k", kNow), base);
  EXPECT_NE(signature(caller, "r", "POST", "/a", "k", kNow), base);
  EXPECT_NE(signature(caller, "r", "GET", "/a?x", "k", kNow), base);
  EXPECT_NE(signature(caller, "r", "GET", "/a", "k2", kNow), base);
  EXPECT_NE(signature(caller, "r", "GET", "/a", "k", kNow + 1), base);
  EXPECT_NE(signature(MakeCaller(8, 2, "u", "apptoken:0_t"), "r", "GET", "/a", "k", kNow), base);
  EXPECT_NE(signature(MakeCaller(7, 2, "v", "apptoken:0_t"), "r", "GET", "/a", "k", kNow), base);
  EXPECT_NE(signature(MakeCaller(7, 0, "u", "apptoken:0_t"), "r", "GET", "/a", "k", kNow), base);
  EXPECT_NE(signature(MakeCaller(7, 2, "u", "apptoken:0_u"), "r", "GET", "/a", "k", kNow), base);
}

// The fields are header lines, appended after what `lines` held, each "Name: value\r\n".
TEST(AppendIdentityLines, AppendsHeaderLines) {
  std::string lines = "Before: 1\r\n";
  AppendIdentityLines(MakeCaller(4217, 2, "alice", "setrole:EDITOR"), "rid-1", "GET", "/x", "",
                      kNow, &lines);
  EXPECT_EQ(lines,
            "Before: 1\r\nX-Ksgate-Partner-Id: 4217\r\nX-Ksgate-User-Id: alice\r\n"
            "X-Ksgate-Session-Type: 2\r\nX-Ksgate-Privileges: setrole:EDITOR\r\n"
            "X-Ksgate-Request-Id: rid-1\r\n");
}

}  // namespace
}  // namespace ksgate::api
