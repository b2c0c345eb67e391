#include "api/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "app/app.h"
#include "ks/ks.h"
#include "store/memory_store.h"
#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::IsOk;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1767000000;

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest()
      : clock_(kNow),
        app_(std::make_unique<store::MemoryStore>(), clock_,
             {.cache_ttl = std::chrono::milliseconds(0)}),
        store_(app_.store()),
        dispatcher_(&app_.dispatcher()) {}

  void SetUp() override {
    store::NewPartner p;
    p.name = "A";
    p.admin_secrets = {"adminsecretA", "adminsecretA2"};
    p.secret = "usersecretA";
    KSGATE_ASSERT_OK_AND_ASSIGN(partner_, store_.CreatePartner(p, kNow));
    p.name = "B";
    p.admin_secrets = {"adminsecretB"};
    p.secret = "usersecretB";
    KSGATE_ASSERT_OK_AND_ASSIGN(other_, store_.CreatePartner(p, kNow));
  }

  Response Get(const std::string& target) const {
    return dispatcher_->Handle(Request{"GET", target, "", "", "127.0.0.1"});
  }
  Response PostJson(const std::string& target, const std::string& body) const {
    return dispatcher_->Handle(Request{"POST", target, "application/json", body, "127.0.0.1"});
  }
  // A JSON call; returns the body.
  std::string Call(const std::string& service_action_query) const {
    return Get("/api_v3/service/" + service_action_query +
               (service_action_query.find('?') == std::string::npos ? "?format=1" : "&format=1"))
        .body;
  }
  static std::string Unquote(const std::string& json_string) {
    EXPECT_GE(json_string.size(), 2u);
    return json_string.substr(1, json_string.size() - 2);
  }
  std::string AdminKs() const {
    return Unquote(Call("session/action/start?secret=adminsecretA&type=2&partnerId=" +
                        std::to_string(partner_.id)));
  }
  std::string WidgetKs() const {
    std::string body =
        Call("session/action/startWidgetSession?widgetId=_" + std::to_string(partner_.id));
    size_t at = body.find("\"ks\":\"");
    size_t end = body.find('"', at + 6);
    return body.substr(at + 6, end - at - 6);
  }

  FakeClock clock_;
  app::App app_;
  store::Store& store_;
  const Dispatcher* dispatcher_;
  store::Partner partner_;
  store::Partner other_;
};

TEST_F(DispatcherTest, PingAnswersTrueInJson) {
  Response r = Get("/api_v3/service/system/action/ping?format=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "true");
}

TEST_F(DispatcherTest, XmlIsTheDefaultFormat) {
  Response r = Get("/api_v3/service/system/action/ping");
  EXPECT_EQ(r.content_type, "text/xml");
  EXPECT_THAT(r.body, StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result>1</result>"
                                 "<executionTime>"));
}

TEST_F(DispatcherTest, EveryUrlFormReachesTheAction) {
  for (const char* target : {"/api_v3/service/system/action/ping?format=1",
                             "/api_v3/index.php?service=system&action=ping&format=1",
                             "/api_v3/?service=system&action=ping&format=1",
                             "/api_v3/index.php/service/system/action/ping/format/1",
                             "/api/service/system/action/ping?format=1"}) {
    EXPECT_EQ(Get(target).body, "true") << target;
  }
}

TEST_F(DispatcherTest, ServiceAndActionNamesAreCaseInsensitive) {
  EXPECT_EQ(Get("/api_v3/service/SYSTEM/action/PiNg?format=1").body, "true");
}

TEST_F(DispatcherTest, UnknownServiceIsReportedLowerCased) {
  EXPECT_EQ(Call("NoSuch/action/x"),
            "{\"code\":\"SERVICE_DOES_NOT_EXISTS\",\"message\":\"Service \\\"nosuch\\\" does not "
            "exists\",\"objectType\":\"KalturaAPIException\",\"args\":{\"SRV_NAME\":\"nosuch\"}}");
}

TEST_F(DispatcherTest, UnknownActionNamesActionAndService) {
  EXPECT_THAT(Call("session/action/Fly"),
              HasSubstr("\"code\":\"ACTION_DOES_NOT_EXISTS\",\"message\":\"Action \\\"fly\\\" does "
                        "not exists for service \\\"session\\\"\""));
}

TEST_F(DispatcherTest, MissingServiceAndActionAreReported) {
  EXPECT_THAT(Get("/api_v3/index.php?format=1").body, HasSubstr("SERVICE_NOT_SPECIFIED"));
  EXPECT_THAT(Get("/api_v3/index.php?service=session&format=1").body,
              HasSubstr("ACTION_NOT_SPECIFIED"));
}

TEST_F(DispatcherTest, MissingMandatoryParameterNamesIt) {
  EXPECT_THAT(Call("session/action/start?partnerId=1"),
              HasSubstr("\"args\":{\"PARAM_NAME\":\"secret\"}"));
}

TEST_F(DispatcherTest, InvalidEnumValueForSessionType) {
  EXPECT_EQ(Call("session/action/start?secret=x&type=5&partnerId=1"),
            "{\"code\":\"INVALID_ENUM_VALUE\",\"message\":\"Invalid enumeration value \\\"5\\\" "
            "for parameter \\\"type\\\", expecting enumeration type \\\"KalturaSessionType\\\"\","
            "\"objectType\":\"KalturaAPIException\",\"args\":{\"ENUM_VAL\":\"5\",\"PARAM_NAME\":"
            "\"type\",\"ENUM_TYPE\":\"KalturaSessionType\"}}");
}

TEST_F(DispatcherTest, SessionStartIssuesAKsOfThePartner) {
  std::string ks = AdminKs();
  Result<ks::ParsedKs> parsed = ks::Decode(ks, partner_.admin_secrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.partner_id, partner_.id);
  EXPECT_EQ(parsed->fields.type, 2);
  EXPECT_EQ(parsed->fields.valid_until, kNow + 86400);
}

TEST_F(DispatcherTest, SessionStartWithWrongSecretFails) {
  EXPECT_THAT(Call("session/action/start?secret=nope&partnerId=" + std::to_string(partner_.id)),
              HasSubstr("\"code\":\"START_SESSION_ERROR\""));
}

TEST_F(DispatcherTest, UserSecretCannotStartAnAdminSession) {
  std::string pid = std::to_string(partner_.id);
  EXPECT_THAT(Call("session/action/start?secret=usersecretA&type=2&partnerId=" + pid),
              HasSubstr("START_SESSION_ERROR"));
  EXPECT_THAT(Call("session/action/start?secret=usersecretA&type=0&partnerId=" + pid),
              StartsWith("\"djJ8"));
}

TEST_F(DispatcherTest, UnknownPartnerWithoutKsIsBlocked) {
  EXPECT_THAT(Call("session/action/start?secret=x&partnerId=999"),
              HasSubstr("SERVICE_FORBIDDEN_CONTENT_BLOCKED"));
}

TEST_F(DispatcherTest, GarbageKsIsInvalidKsNamingIt) {
  EXPECT_THAT(Call("session/action/get?ks=garbage"),
              HasSubstr("\"args\":{\"KSID\":\"garbage\",\"ERR_CODE\":\"-1\",\"ERR_DESC\":"
                        "\"INVALID_STR\"}"));
}

TEST_F(DispatcherTest, ExpiredKsIsRejectedAfterArguments) {
  std::string ks = AdminKs();
  clock_.AdvanceSeconds(86400);
  EXPECT_THAT(
      Call("session/action/get?ks=" + ks),
      HasSubstr("\"message\":\"Invalid KS \\\"EXPIRED\\\", Error \\\"-1,INVALID_STR\\\"\""));
}

TEST_F(DispatcherTest, KsSignedWithAnotherPartnersSecretIsRejected) {
  ks::KsFields f;
  f.partner_id = partner_.id;
  f.valid_until = kNow + 100;
  f.type = 2;
  std::string forged = ks::EncodeV2(f, other_.admin_secrets[0], {});
  EXPECT_THAT(Call("session/action/get?ks=" + forged), HasSubstr("INVALID_KS"));
}

TEST_F(DispatcherTest, SecondAdminSecretVerifies) {
  ks::KsFields f;
  f.partner_id = partner_.id;
  f.valid_until = kNow + 100;
  f.type = 2;
  std::string ks = ks::EncodeV2(f, "adminsecretA2", {});
  EXPECT_THAT(Call("session/action/get?ks=" + ks), HasSubstr("KalturaSessionInfo"));
}

TEST_F(DispatcherTest, SessionEndRevokesTheKs) {
  std::string ks = AdminKs();
  EXPECT_EQ(Call("session/action/end?ks=" + ks), "null");
  EXPECT_THAT(Call("session/action/get?ks=" + ks), HasSubstr("Invalid KS \\\"LOGOUT\\\""));
}

TEST_F(DispatcherTest, SessionGetDescribesTheCallersKs) {
  std::string ks = AdminKs();
  EXPECT_EQ(Call("session/action/get?ks=" + ks),
            "{\"sessionType\":2,\"partnerId\":" + std::to_string(partner_.id) +
                ",\"userId\":\"\",\"expiry\":" + std::to_string(kNow + 86400) +
                ",\"privileges\":\"\",\"objectType\":\"KalturaSessionInfo\"}");
}

TEST_F(DispatcherTest, SessionGetNeedsAKs) {
  EXPECT_THAT(Call("session/action/get"), HasSubstr("\"code\":\"MISSING_KS\""));
}

TEST_F(DispatcherTest, SessionGetOfAnotherPartnersKsIsForbidden) {
  std::string mine = AdminKs();
  std::string theirs = Unquote(Call("session/action/start?secret=adminsecretB&type=2&partnerId=" +
                                    std::to_string(other_.id)));
  EXPECT_THAT(Call("session/action/get?ks=" + mine + "&session=" + theirs),
              HasSubstr("PARTNER_ACCESS_FORBIDDEN"));
}

TEST_F(DispatcherTest, KsOfOnePartnerCannotActForAnother) {
  std::string ks = AdminKs();
  EXPECT_THAT(Call("session/action/get?ks=" + ks + "&partnerId=" + std::to_string(other_.id)),
              HasSubstr("\"code\":\"SERVICE_FORBIDDEN\""));
}

TEST_F(DispatcherTest, BlockedPartnersKsIsRejected) {
  std::string ks = AdminKs();
  ASSERT_THAT(store_.SetPartnerStatus(partner_.id, store::PartnerStatus::kBlocked, kNow), IsOk());
  EXPECT_THAT(Call("session/action/get?ks=" + ks), HasSubstr("SERVICE_FORBIDDEN_CONTENT_BLOCKED"));
}

TEST_F(DispatcherTest, WidgetSessionHasWidgetPrivileges) {
  std::string body =
      Call("session/action/startWidgetSession?widgetId=_" + std::to_string(partner_.id));
  EXPECT_THAT(body, HasSubstr("\"partnerId\":" + std::to_string(partner_.id)));
  EXPECT_THAT(body, HasSubstr("\"userId\":\"0\""));
  EXPECT_THAT(body, HasSubstr("\"objectType\":\"KalturaStartWidgetSessionResponse\""));
  Result<ks::ParsedKs> parsed = ks::Decode(WidgetKs(), partner_.admin_secrets);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->fields.privileges, "view:*,widget:1");
  EXPECT_TRUE(ks::IsWidgetSession(parsed->fields));
}

TEST_F(DispatcherTest, AbsentWidgetIdIsMissing) {
  EXPECT_THAT(Call("session/action/startWidgetSession"), HasSubstr("MISSING_MANDATORY_PARAMETER"));
}

TEST_F(DispatcherTest, MalformedWidgetIdsAreInvalid) {
  for (const char* id : {"", "_", "x12", "_abc", "_-1", "_0", "_999", "_1x", "_01", "_+1"}) {
    std::string body = Call(std::string("session/action/startWidgetSession?widgetId=") + id);
    EXPECT_THAT(body, HasSubstr("INVALID_WIDGET_ID")) << id;
  }
}

TEST_F(DispatcherTest, UnknownFormatDiesWithHeadersOnly) {
  Response r = Get("/api_v3/service/system/action/ping?format=7");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  bool found = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "X-Kaltura") found = value == "error-UNKNOWN_RESPONSE_FORMAT";
  }
  EXPECT_TRUE(found);
}

TEST_F(DispatcherTest, JsonpWrapsTheResult) {
  Response r = Get("/api_v3/service/system/action/ping?format=9&callback=cb_1");
  EXPECT_EQ(r.body, "cb_1(true);");
  EXPECT_TRUE(Get("/api_v3/service/system/action/ping?format=9&callback=a(b").body.empty());
}

TEST_F(DispatcherTest, OptionsIsAPreflight) {
  Response r = dispatcher_->Handle(Request{"OPTIONS", "/api_v3/service/x", "", "", ""});
  EXPECT_TRUE(r.body.empty());
  bool methods = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "Access-Control-Allow-Methods") methods = value == "POST, GET, HEAD, OPTIONS";
  }
  EXPECT_TRUE(methods);
}

TEST_F(DispatcherTest, MultirequestResolvesReferencesWithZeroBasedKeys) {
  std::string body =
      "{\"format\":1,\"0\":{\"service\":\"session\",\"action\":\"start\","
      "\"secret\":\"adminsecretA\",\"type\":2,\"partnerId\":" +
      std::to_string(partner_.id) +
      "},\"1\":{\"service\":\"session\",\"action\":\"get\",\"ks\":\"{1:result}\"},"
      "\"2\":{\"service\":\"system\",\"action\":\"nosuch\"},"
      "\"3\":{\"service\":\"system\",\"action\":\"ping\"}}";
  Response r = PostJson("/api_v3/service/multirequest", body);
  EXPECT_THAT(r.body, StartsWith("[\"djJ8"));
  EXPECT_THAT(r.body, HasSubstr("\"objectType\":\"KalturaSessionInfo\"},{\"code\":"
                                "\"ACTION_DOES_NOT_EXISTS\""));
  EXPECT_THAT(r.body, EndsWith(",true]"));
}

TEST_F(DispatcherTest, MultirequestWithFlatOneBasedKeysAndCommonKs) {
  std::string ks = AdminKs();
  Response r = Get("/api_v3/service/multirequest?format=1&ks=" + ks +
                   "&1:service=session&1:action=get&2:service=session&2:action=get"
                   "&2:session={1:result:privileges}x");
  EXPECT_THAT(r.body, StartsWith("[{\"sessionType\":2"));
  EXPECT_THAT(r.body, HasSubstr("},{\"code\":\"INVALID_KS\""));
}

TEST_F(DispatcherTest, MultirequestStopsAtTheFirstItemWithoutAction) {
  Response r =
      Get("/api_v3/service/multirequest?format=1&1:service=system&1:action=ping"
          "&2:service=system&3:service=system&3:action=ping");
  EXPECT_EQ(r.body, "[true]");
}

TEST_F(DispatcherTest, MultirequestWithTooManyItemsIsRefused) {
  std::string target = "/api_v3/service/multirequest?format=1";
  for (int i = 1; i <= 101; ++i) {
    target += "&" + std::to_string(i) + ":service=system&" + std::to_string(i) + ":action=ping";
  }
  EXPECT_THAT(Get(target).body, HasSubstr("REQUEST_LIMIT_EXCEEDED"));
}

TEST_F(DispatcherTest, ReferenceToAFailedItemIsEmpty) {
  Response r =
      Get("/api_v3/service/multirequest?format=1&1:service=session&1:action=start"
          "&2:service=session&2:action=get&2:ks={1:result}");
  EXPECT_THAT(r.body, HasSubstr("MISSING_MANDATORY_PARAMETER"));
  EXPECT_THAT(r.body, HasSubstr("},{\"code\":\"MISSING_KS\""));
}

// The amplification attack of the hardening issue: one session.start with a 60,000-character
// userId, then one value holding {1:result} 5,000 times. The value is refused as it grows past
// the string limit, never built whole; the answer stays about the size of the KS.
TEST_F(DispatcherTest, AReferenceCannotGrowAValuePastTheStringLimit) {
  std::string refs;
  for (int i = 0; i < 5000; ++i) refs += "{1:result}";
  const std::string body =
      "{\"format\":1,\"1\":{\"service\":\"session\",\"action\":\"start\","
      "\"secret\":\"adminsecretA\",\"type\":2,\"partnerId\":" +
      std::to_string(partner_.id) + ",\"userId\":\"" + std::string(60000, 'u') +
      "\"},\"2\":{\"service\":\"session\",\"action\":\"get\",\"ks\":\"" + refs + "\"}}";
  Response r = PostJson("/api_v3/service/multirequest", body);
  EXPECT_LT(r.body.size(), 200u * 1024);
  EXPECT_THAT(r.body, StartsWith("[\"djJ8"));
  EXPECT_THAT(r.body, HasSubstr("\",{\"code\":\"REQUEST_LIMIT_EXCEEDED\""));
  EXPECT_THAT(r.body, HasSubstr("\"LIMIT\":\"max_string_length\",\"MAX\":\"65536\""));
}

// A widget KS needs no secret: short values each under the string limit must not add up to
// more than a client could send in one body.
TEST_F(DispatcherTest, ReferencesInOneItemCannotAddUpPastTheBodyLimit) {
  std::string refs;
  for (int i = 0; i < 200; ++i) refs += "{1:result:ks}";
  std::string item2 = "\"service\":\"system\",\"action\":\"ping\"";
  for (int i = 0; i < 60; ++i) item2 += ",\"p" + std::to_string(i) + "\":\"" + refs + "\"";
  const std::string body =
      "{\"format\":1,\"1\":{\"service\":\"session\",\"action\":\"startWidgetSession\","
      "\"widgetId\":\"_" +
      std::to_string(partner_.id) + "\"},\"2\":{" + item2 +
      "},\"3\":{\"service\":\"system\",\"action\":\"ping\"}}";
  Response r = PostJson("/api_v3/service/multirequest", body);
  EXPECT_THAT(r.body, HasSubstr("\"LIMIT\":\"body_limit\",\"MAX\":\"1048576\""));
  EXPECT_THAT(r.body, EndsWith(",true]"));  // later items still run
}

TEST(DispatcherLimits, ItemsPastTheAnswerSizeFailOneByOne) {
  FakeClock clock(kNow);
  app::AppOptions options{.cache_ttl = std::chrono::milliseconds(0)};
  options.dispatcher.max_answer_bytes = 1000;
  app::App app(std::make_unique<store::MemoryStore>(), clock, options);
  store::NewPartner p{"A", {"adminsecretA"}, "usersecretA"};
  KSGATE_ASSERT_OK_AND_ASSIGN(store::Partner partner, app.store().CreatePartner(p, kNow));
  std::string target = "/api_v3/service/multirequest?format=1";
  for (int i = 1; i <= 10; ++i) {
    const std::string n = std::to_string(i);
    target += "&" + n + ":service=session&" + n + ":action=startWidgetSession&" + n +
              ":widgetId=_" + std::to_string(partner.id);
  }
  target += "&11:service=system&11:action=ping";
  Response r = app.dispatcher().Handle(Request{"GET", target, "", "", "127.0.0.1"});
  size_t sessions = 0, refused = 0;
  for (size_t at = 0;
       (at = r.body.find("KalturaStartWidgetSessionResponse", at)) != std::string::npos; ++at) {
    ++sessions;
  }
  for (size_t at = 0; (at = r.body.find("\"max_answer_size\"", at)) != std::string::npos; ++at) {
    ++refused;
  }
  EXPECT_GT(sessions, 0u);
  EXPECT_EQ(sessions + refused, 10u);
  EXPECT_THAT(r.body, EndsWith(",true]"));
  EXPECT_LT(r.body.size(), 1000u + 11 * 200);
}

TEST_F(DispatcherTest, InvalidKsEchoesOnlyAClippedPrefixOfTheKs) {
  const std::string ks(3000, 'a');
  const std::string shown = std::string(kMaxEchoLength, 'a') + "...";
  EXPECT_EQ(Call("session/action/get?ks=" + ks),
            "{\"code\":\"INVALID_KS\",\"message\":\"Invalid KS \\\"" + shown +
                "\\\", Error \\\"-1,INVALID_STR\\\"\",\"objectType\":\"KalturaAPIException\","
                "\"args\":{\"KSID\":\"" +
                shown + "\",\"ERR_CODE\":\"-1\",\"ERR_DESC\":\"INVALID_STR\"}}");
}

TEST_F(DispatcherTest, MalformedJsonBodyIsAnApiError) {
  Response r = PostJson("/api_v3/service/system/action/ping?format=1", "{\"a\":");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"code\":\"INVALID_JSON\""));
}

TEST_F(DispatcherTest, UnreadableJsonBodyIsAnsweredInJson) {
  // The client sent `format` inside the body that could not be read: answer in JSON anyway.
  Response r = PostJson("/api_v3/service/system/action/ping", "{\"format\":1,");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_THAT(r.body, HasSubstr("\"code\":\"INVALID_JSON\""));
  Response url = PostJson("/api_v3/service/system/action/ping?format=2", "{\"format\":1,");
  EXPECT_EQ(url.content_type, "text/xml");
}

TEST_F(DispatcherTest, RejectOfAJsonRequestIsJson) {
  Response r = dispatcher_->Reject(Request{"POST", "/api_v3/service/system/action/ping",
                                           "application/json; charset=utf-8", "", ""},
                                   "body_limit", 10);
  EXPECT_EQ(r.content_type, "application/json");
}

TEST_F(DispatcherTest, RejectAnswersInTheRequestedFormat) {
  Response r = dispatcher_->Reject(
      Request{"POST", "/api_v3/service/system/action/ping?format=1", "", "", ""}, "body_limit",
      1024);
  EXPECT_THAT(r.body, HasSubstr("\"code\":\"REQUEST_LIMIT_EXCEEDED\""));
  EXPECT_THAT(r.body, HasSubstr("\"LIMIT\":\"body_limit\",\"MAX\":\"1024\""));
}

TEST_F(DispatcherTest, NonUtf8StringParameterIsInvalidChar) {
  EXPECT_THAT(Call("session/action/start?secret=%FF%FE&partnerId=" + std::to_string(partner_.id)),
              HasSubstr("\"code\":\"INVALID_PARAMETER_CHAR\""));
}

TEST_F(DispatcherTest, XmlErrorHasTheDocumentedShape) {
  Response r = Get("/api_v3/service/session/action/get");
  EXPECT_THAT(r.body, HasSubstr("<result><error><code>MISSING_KS</code><message>Missing KS, "
                                "session not established</message><objectType>"
                                "KalturaAPIException</objectType><args></args></error></result>"));
}

}  // namespace
}  // namespace ksgate::api
