#include "common/api_error.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace ksgate {
namespace {

TEST(ApiError, FillsTemplateAndArgsInOrder) {
  ApiError e = ApiError::Of(errors::kAppTokenIdNotFound, {"0_nosuch"});
  EXPECT_EQ(e.code, "APP_TOKEN_ID_NOT_FOUND");
  EXPECT_EQ(e.message, "Application token id \"0_nosuch\" not found");
  ASSERT_EQ(e.args.size(), 1u);
  EXPECT_EQ(e.args[0].first, "ID");
  EXPECT_EQ(e.args[0].second, "0_nosuch");
}

TEST(ApiError, MissingArgumentBecomesNA) {
  ApiError e = ApiError::Of(errors::kInvalidKs, {"EXPIRED"});
  EXPECT_EQ(e.message, "Invalid KS \"EXPIRED\", Error \"N/A,N/A\"");
  ASSERT_EQ(e.args.size(), 3u);
  EXPECT_EQ(e.args[2].second, "N/A");
}

TEST(ApiError, NoArgsGivesEmptyArgs) {
  ApiError e = ApiError::Of(errors::kInvalidAppTokenHash);
  EXPECT_EQ(e.message, "Invalid application token hash");
  EXPECT_TRUE(e.args.empty());
}

TEST(ApiError, StripsTagsFromValues) {
  ApiError e = ApiError::Of(errors::kAppTokenIdNotFound, {"a<script>x</script>b"});
  EXPECT_EQ(e.args[0].second, "axb");
  EXPECT_EQ(e.message, "Application token id \"axb\" not found");
}

TEST(ApiError, ValueContainingPlaceholderIsNotExpandedTwice) {
  ApiError e = ApiError::Of(errors::kActionDoesNotExists, {"@SERVICE_NAME@", "svc"});
  EXPECT_EQ(e.message, "Action \"@SERVICE_NAME@\" does not exists for service \"svc\"");
}

TEST(ApiError, ClipsLongValuesInArgsAndMessage) {
  const std::string ks(5000, 'k');
  ApiError e = ApiError::Of(errors::kInvalidKs, {ks, "-1", "INVALID_STR"});
  const std::string clipped = std::string(kMaxEchoLength, 'k') + "...";
  EXPECT_EQ(e.args[0].second, clipped);
  EXPECT_EQ(e.message, "Invalid KS \"" + clipped + "\", Error \"-1,INVALID_STR\"");
}

TEST(ApiError, KeepsValuesUpToTheClipLengthWhole) {
  const std::string id(kMaxEchoLength, 'x');
  EXPECT_EQ(ApiError::Of(errors::kAppTokenIdNotFound, {id}).args[0].second, id);
}

TEST(ClipEcho, NeverCutsAUtf8CharacterInTwo) {
  // 127 ASCII bytes, then a 2-byte character straddling the clip point.
  const std::string s = std::string(kMaxEchoLength - 1, 'a') + "\xC3\xA9" + "tail";
  EXPECT_EQ(ClipEcho(s), std::string(kMaxEchoLength - 1, 'a') + "...");
  const std::string whole = std::string(kMaxEchoLength - 2, 'a') + "\xC3\xA9" + "tail";
  EXPECT_EQ(ClipEcho(whole), std::string(kMaxEchoLength - 2, 'a') + "\xC3\xA9...");
}

// errors::All() is written by hand: it must name every entry of the header (the header's own
// text is the list it is checked against).
TEST(ErrorsAll, ListsEveryCatalogueEntryOnce) {
  std::ifstream header(KSGATE_API_ERROR_H);
  ASSERT_TRUE(header) << KSGATE_API_ERROR_H;
  std::stringstream text;
  text << header.rdbuf();
  const std::string source = text.str();
  size_t declared = 0;
  for (size_t pos = 0; (pos = source.find("inline constexpr ErrorDef k", pos)) != std::string::npos;
       ++pos) {
    ++declared;
  }
  std::set<const ErrorDef*> listed;
  for (const ErrorDef* def : errors::All()) {
    EXPECT_TRUE(listed.insert(def).second) << def->code << " listed twice";
  }
  EXPECT_EQ(listed.size(), declared);
  EXPECT_TRUE(listed.count(&errors::kInvalidKs));
  EXPECT_TRUE(listed.count(&errors::kSystemNameAlreadyExists));
}

}  // namespace
}  // namespace ksgate
