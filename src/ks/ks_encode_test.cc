// KS encoding rules, PeekPartnerId/IsWidgetSession, concurrency and robustness.
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
#include "ks/ks.h"
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
using ks_test_util::kPartnerId;
using ks_test_util::kRand;
using ks_test_util::kSecret;
using ks_test_util::kSecrets;
using ks_test_util::kValidUntil;
using ks_test_util::QueryOf;
using ks_test_util::RawOf;
using ks_test_util::UrlSafe;

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

// Every field escaped byte for byte: the query is written into room made for the worst case at
// once, which must hold it (the ASan build checks the writes) and be cut to its size.
TEST(KsEncode, V2QueryWithEveryByteEscapedIsWrittenWhole) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto escaped = [](std::string_view text) {
    std::string out;
    for (const char c : text) {
      const auto b = static_cast<unsigned char>(c);
      out += c == ' ' ? std::string("+") : std::string{'%', kHex[b >> 4], kHex[b & 15]};
    }
    return out;
  };
  std::string all_escaped;  // every byte but [A-Za-z0-9._-], each escaped in the query
  for (int b = 0; b < 256; ++b) {
    if (!std::isalnum(b) && b != '.' && b != '_' && b != '-') all_escaped += static_cast<char>(b);
  }
  const std::string name = "*~@/";  // a privilege name escaped too
  KsFields f = FieldsA();
  f.privileges = name + ":" + "!$%";
  f.user = all_escaped;
  f.additional_data = all_escaped + all_escaped;
  const std::string ks = EncodeV2(f, kSecret, kRand);
  EXPECT_EQ(QueryOf(ks), escaped(name) + "=" + escaped("!$%") + "&_e=1767225600&_t=0&_u=" +
                             escaped(all_escaped) + "&_d=" + escaped(all_escaped + all_escaped));
  const auto parsed = Decode(ks, kSecrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(parsed->fields.user, Optional(all_escaped));
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
