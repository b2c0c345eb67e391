#include "api/api_exchange.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/api_exchange_test_fixture.h"
#include "api/gate_test_fixture.h"
#include "api/value.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;

using Kind = Step::Kind;

using exchange_testing::ApiExchangeTest;

// --- Inline turns, store threads and the cache ------------------------------------------------

TEST_F(ApiExchangeTest, ACallThatNeedsNoStoreIsAnsweredInline) {
  std::unique_ptr<Exchange> ex = Begin(Get("/api_v3/service/system/action/ping?format=1"));
  Step step = Inline(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_EQ(step.response.body, "true");
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

TEST_F(ApiExchangeTest, AnInlineTurnAsksForAStoreThreadInsteadOfTouchingTheDatabase) {
  std::unique_ptr<Exchange> ex = Begin(Get(SessionStartTarget()));
  EXPECT_EQ(Inline(*ex).kind, Kind::kNeedsStore);
  EXPECT_THAT(backend_->calls(), IsEmpty());
  EXPECT_FALSE(store::WouldBlockNoted()) << "the exchange took its own note";

  Step step = MayBlock(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_THAT(step.response.body, StartsWith("\"djJ8")) << "a v2 KS";
  EXPECT_THAT(backend_->calls(), Not(IsEmpty()));
}

TEST_F(ApiExchangeTest, ACacheHitIsAnsweredInline) {
  StartASessionFirst();

  std::unique_ptr<Exchange> ex = Begin(Get(SessionStartTarget()));
  Step step = Inline(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_THAT(step.response.body, StartsWith("\"djJ8"));
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

class UncachedApiExchangeTest : public ApiExchangeTest {
 protected:
  UncachedApiExchangeTest() : ApiExchangeTest(std::chrono::milliseconds(0)) {}
};

TEST_F(UncachedApiExchangeTest, WithoutACacheEveryCallThatNeedsTheStoreGoesToAStoreThread) {
  StartASessionFirst();
  std::unique_ptr<Exchange> again = Begin(Get(SessionStartTarget()));
  Step step = InlineThenStoreThread(*again);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_THAT(step.response.body, StartsWith("\"djJ8"));

  std::unique_ptr<Exchange> ping = Begin(Get("/api_v3/service/system/action/ping?format=1"));
  EXPECT_EQ(Inline(*ping).kind, Kind::kRespond) << "what needs no store still runs inline";
}

// The KS is checked from the cache, so only the action itself needs the store: its inline
// attempt is abandoned (not answered with the refusal) and run again on a store thread.
TEST_F(ApiExchangeTest, AnActionThatNeedsTheStoreRunsAgainOnAStoreThread) {
  const std::string ks = AdminKs();
  ASSERT_EQ(
      app_.dispatcher().Handle(Get("/api_v3/service/system/action/ping?format=1&ks=" + ks)).body,
      "true");
  backend_->Reset();
  std::unique_ptr<Exchange> ex =
      Begin(Get("/api_v3/service/appToken/action/add?format=1&ks=" + ks +
                "&appToken:objectType=KalturaAppToken&appToken:description=d"));
  Step step = InlineThenStoreThread(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  KSGATE_ASSERT_OK_AND_ASSIGN(Value token, ReadJson(step.response.body));
  EXPECT_EQ(token.string_value(), "KalturaAppToken");
  EXPECT_THAT(backend_->calls(), ElementsAre("InsertAppToken"));
}

// appToken.add writes whenever it succeeds (ActionDef::writes): admitted inline, it asks for the
// write lane and runs there once. It was admitted when it came: its KS expiring while it waits
// for a store thread does not fail it.
TEST_F(ApiExchangeTest, AWritingActionGoesToTheWriteLaneAsAdmittedInline) {
  const std::string ks = Ks(ks::kSessionTypeAdmin, "", kNow + 50);
  WarmUp(ks);
  std::unique_ptr<Exchange> ex =
      Begin(Get("/api_v3/service/appToken/action/add?format=1&ks=" + ks +
                "&appToken:objectType=KalturaAppToken&appToken:description=d"));
  Step first = Inline(*ex);
  ASSERT_EQ(first.kind, Kind::kNeedsStore);
  EXPECT_EQ(first.lane, Step::Lane::kWrite);
  EXPECT_THAT(backend_->calls(), IsEmpty());
  EXPECT_FALSE(store::WouldBlockNoted()) << "the exchange took its own note";

  clock_.AdvanceSeconds(100);  // past the KS's expiry
  Step step = MayBlock(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  KSGATE_ASSERT_OK_AND_ASSIGN(Value token, ReadJson(step.response.body));
  EXPECT_EQ(token.string_value(), "KalturaAppToken") << step.response.body;
  EXPECT_THAT(backend_->calls(), ElementsAre("InsertAppToken"));
}

// A writing action that is not admitted is answered inline: it never takes a write-lane thread.
TEST_F(ApiExchangeTest, AWritingActionRefusedAdmissionIsAnsweredInline) {
  const std::string ks = UserKs();
  WarmUp(ks);
  std::unique_ptr<Exchange> ex = Begin(Get("/api_v3/service/appToken/action/add?format=1&ks=" + ks +
                                           "&appToken:objectType=KalturaAppToken"));
  Step step = Inline(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_THAT(ReadJson(step.response.body), ApiErrorIs(errors::kServiceForbidden, ::testing::_));
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

// An inline attempt must leave no trace: a KS allowed one action is counted once, on the store
// thread, not also when the inline turn gave up.
TEST_F(ApiExchangeTest, AnAbandonedInlineTurnCountsNothing) {
  ASSERT_THAT(app_.store().GetPartner(partner_.id), IsOk());  // so the KS parses inline
  backend_->Reset();
  const std::string ks = AdminKs("actionslimit:1");
  const std::string target = "/api_v3/service/system/action/ping?format=1&ks=" + ks;
  std::unique_ptr<Exchange> ex = Begin(Get(target));
  Step step = InlineThenStoreThread(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_EQ(step.response.body, "true");

  EXPECT_THAT(ReadJson(app_.dispatcher().Handle(Get(target)).body),
              ApiErrorIs(errors::kInvalidKs, ElementsAre(Pair("KSID", "EXCEEDED_ACTIONS_LIMIT"),
                                                         ::testing::_, ::testing::_)))
      << "the one action was used by the first request";
}

// Item 1 runs inline (its partner is cached); item 2 writes, so the exchange asks for a store
// thread. Item 1 must not run again there: its KS in the answer is the one item 2 used.
TEST_F(ApiExchangeTest, CallsBeforeTheOneThatNeededTheStoreKeepTheirResults) {
  StartASessionFirst();
  std::unique_ptr<Exchange> ex = Begin(Multi(
      "",
      "\"1\":{\"service\":\"session\",\"action\":\"start\",\"secret\":\"adminA\",\"type\":2,"
      "\"partnerId\":" +
          std::to_string(partner_.id) +
          "},\"2\":{\"service\":\"appToken\",\"action\":\"add\",\"ks\":\"{1:result}\","
          "\"appToken\":{\"objectType\":\"KalturaAppToken\",\"description\":\"{1:result}\"}}"));
  EXPECT_EQ(Inline(*ex).kind, Kind::kNeedsStore);
  EXPECT_THAT(backend_->calls(), IsEmpty());

  clock_.AdvanceSeconds(100);  // the store thread runs later
  Step step = MayBlock(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  KSGATE_ASSERT_OK_AND_ASSIGN(Value answer, ReadJson(step.response.body));
  ASSERT_EQ(answer.kind(), Value::Kind::kArray);
  ASSERT_EQ(answer.elements().size(), 2u) << step.response.body;
  const Value& ks = answer.elements()[0];
  const Value& token = answer.elements()[1];
  ASSERT_EQ(ks.kind(), Value::Kind::kString) << step.response.body;
  ASSERT_EQ(token.kind(), Value::Kind::kObject) << step.response.body;
  EXPECT_EQ(token.string_value(), "KalturaAppToken");

  ASSERT_NE(token.Find("description"), nullptr);
  EXPECT_EQ(token.Find("description")->string_value(), ks.string_value())
      << "item 2 used item 1's KS";
  ASSERT_NE(token.Find("createdAt"), nullptr);
  EXPECT_EQ(token.Find("createdAt")->int_value(), kNow + 100) << "item 2 ran on the store thread";
  KSGATE_ASSERT_OK_AND_ASSIGN(ks::ParsedKs parsed,
                              ks::Decode(ks.string_value(), partner_.admin_secrets));
  EXPECT_EQ(parsed.fields.valid_until, kNow + 86400) << "item 1's KS was issued inline, once";
}

TEST_F(ApiExchangeTest, OverloadedAnswersServerBusyForWhatWasNotDone) {
  std::unique_ptr<Exchange> multi = Begin(Multi(
      "",
      "\"1\":{\"service\":\"system\",\"action\":\"ping\"},\"2\":{\"service\":\"session\","
      "\"action\":\"start\",\"secret\":\"adminA\",\"partnerId\":" +
          std::to_string(partner_.id) + "},\"3\":{\"service\":\"system\",\"action\":\"ping\"}"));
  ASSERT_EQ(Inline(*multi).kind, Kind::kNeedsStore);
  const std::string busy = JsonError(ApiError::Of(errors::kServerBusy));
  EXPECT_EQ(multi->Overloaded().body, "[true," + busy + "," + busy + "]");

  std::unique_ptr<Exchange> single = Begin(Get(SessionStartTarget()));
  ASSERT_EQ(Inline(*single).kind, Kind::kNeedsStore);
  EXPECT_EQ(single->Overloaded().body, busy);
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

// --- A single upstream call: forwarded as received --------------------------------------------

TEST_F(ApiExchangeTest, AnUpstreamCallIsForwardedAsReceivedWithTheIdentity) {
  const std::string ks = AdminKs("sview:0_abc");
  const std::string target = "/api_v3/service/media/action/list?format=1&ks=" + ks +
                             "&filter:nameLike=a%20b&filter:objectType=KalturaMediaEntryFilter";
  const std::string body = "pager:pageSize=5&pager:pageIndex=2";
  std::unique_ptr<Exchange> ex =
      Begin(MakeRequest("POST", target,
                        {
                            {"Host", "gate.example"},
                            {"Content-Type", "application/x-www-form-urlencoded"},
                            {"Content-Length", "34"},
                            {"Connection", "keep-alive"},
                            {"Keep-Alive", "timeout=5"},
                            {"Proxy-Connection", "keep-alive"},
                            {"Proxy-Authorization", "Basic eDp5"},
                            {"Proxy-Authenticate", "Basic"},
                            {"TE", "trailers"},
                            {"Trailer", "X-Sum"},
                            {"Transfer-Encoding", "chunked"},
                            {"Upgrade", "h2c"},
                            {"Accept", "application/json"},
                            {"X-Ksgate-User-Id", "root"},
                            {"x-ksgate-signature", "v1=forged"},
                            {"X-KSGATE-PARTNER-ID", "1"},
                            {"x-forwarded-for", "203.0.113.9"},
                            {"User-Agent", "test/1"},
                            {"Cookie", "a=b"},
                        },
                        "application/x-www-form-urlencoded", body));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kForward) << step.response.body;
  EXPECT_EQ(step.upstream.host, "media.internal");
  EXPECT_EQ(step.upstream.port, 8080);
  EXPECT_EQ(step.upstream.method, "POST");
  EXPECT_EQ(step.upstream.target, "/base" + target);
  EXPECT_EQ(step.upstream.body, body);

  HeaderFields want = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"},
      {"User-Agent", "test/1"},
      {"Cookie", "a=b"},
      {"X-Forwarded-For", "203.0.113.9, 10.1.2.3"},
  };
  for (auto& field : ExpectedIdentity(ks, SentFields(step.upstream), "POST", "/base" + target)) {
    want.push_back(std::move(field));
  }
  EXPECT_EQ(SentFields(step.upstream), want);
  EXPECT_EQ(FieldValue(SentFields(step.upstream), "X-Ksgate-Partner-Id"),
            std::to_string(partner_.id));
  EXPECT_EQ(FieldValue(SentFields(step.upstream), "X-Ksgate-User-Id"), "admin");
}

// RFC 9110 §7.6.1: the fields a Connection header names are hop-by-hop too.
TEST_F(ApiExchangeTest, FieldsTheClientNamesInConnectionAreNotForwarded) {
  const std::string ks = AdminKs();
  std::unique_ptr<Exchange> ex =
      Begin(MakeRequest("GET", "/api_v3/service/media/action/list?format=1&ks=" + ks,
                        {{"Connection", "keep-alive, X-Hop-One"},
                         {"X-Hop-One", "1"},
                         {"X-Other", "2"},
                         {"connection", "x-hop-two"},
                         {"X-HOP-TWO", "3"},
                         {"X-Hop-Three", "4"}}));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kForward) << step.response.body;
  ASSERT_GE(SentFields(step.upstream).size(), 2u);
  EXPECT_THAT(SentFields(step.upstream)[0], Pair("X-Other", "2"));
  EXPECT_THAT(SentFields(step.upstream)[1], Pair("X-Hop-Three", "4"));
  EXPECT_EQ(SentFields(step.upstream)[2].first, "X-Forwarded-For");
}

TEST_F(ApiExchangeTest, AForwardedCallStartsXForwardedForWithTheClient) {
  const std::string ks = AdminKs();
  std::unique_ptr<Exchange> ex = Begin(Get("/api_v3/service/reports/action/get?format=1&ks=" + ks));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kForward) << step.response.body;
  EXPECT_EQ(step.upstream.host, "10.0.0.7");
  EXPECT_EQ(step.upstream.port, 80);
  EXPECT_EQ(step.upstream.method, "GET");
  EXPECT_EQ(step.upstream.target, "/api_v3/service/reports/action/get?format=1&ks=" + ks)
      << "no base path";
  EXPECT_EQ(FieldValue(SentFields(step.upstream), "X-Forwarded-For"), "10.1.2.3");
}

// As nginx's $proxy_add_x_forwarded_for: the lines as one list, then the TCP peer (a trusted
// proxy, whose X-Forwarded-For named the client).
TEST_F(ApiExchangeTest, EveryXForwardedForLineIsKeptInOrderAndThePeerAppended) {
  Request request = MakeRequest("GET", "/api_v3/service/media/action/list?format=1&ks=" + AdminKs(),
                                {{"X-Forwarded-For", "203.0.113.9, 192.0.2.1"},
                                 {"Accept", "*/*"},
                                 {"x-forwarded-for", "198.51.100.2"}});
  request.peer_ip = "10.9.8.7";
  std::unique_ptr<Exchange> ex = Begin(std::move(request));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kForward) << step.response.body;
  EXPECT_EQ(FieldValue(SentFields(step.upstream), "X-Forwarded-For"),
            "203.0.113.9, 192.0.2.1, 198.51.100.2, 10.9.8.7");
}

TEST_F(ApiExchangeTest, AnUpstreamCallIsForwardedInlineOnceItsKsIsCached) {
  const std::string target = "/api_v3/service/baseEntry/action/get?format=1&ks=" + AdminKs();
  std::unique_ptr<Exchange> cold = Begin(Get(target));
  EXPECT_EQ(InlineThenStoreThread(*cold).kind, Kind::kForward);

  backend_->Reset();
  std::unique_ptr<Exchange> warm = Begin(Get(target));
  Step step = Inline(*warm);
  EXPECT_EQ(step.kind, Kind::kForward);
  EXPECT_EQ(step.upstream.target, "/base" + target);
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

TEST_F(ApiExchangeTest, ARefusedUpstreamCallIsAnsweredAndNeverForwarded) {
  struct Case {
    std::string name;
    std::string ks;
    std::string action;
    ErrorDef error;
  };
  const std::vector<Case> cases = {
      {"no KS", "", "list", errors::kMissingKs},
      {"a user KS, action not granted", UserKs(), "delete", errors::kServiceForbidden},
      {"a KS that does not parse", "not-a-ks", "list", errors::kInvalidKs},
      {"an expired KS", Ks(ks::kSessionTypeAdmin, "", kNow - 1), "list", errors::kInvalidKs},
      {"a KS of a role without the action", AdminKs("setrole:BASE_USER_SESSION_ROLE"), "delete",
       errors::kServiceForbidden},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string target = "/api_v3/service/media/action/" + c.action + "?format=1";
    if (!c.ks.empty()) target += "&ks=" + c.ks;
    std::unique_ptr<Exchange> ex = Begin(Get(target));
    Step step = Drive(*ex);
    ASSERT_EQ(step.kind, Kind::kRespond);
    EXPECT_THAT(ReadJson(step.response.body), ApiErrorIs(c.error));
  }
  // The same user KS may call the action its role grants.
  std::unique_ptr<Exchange> granted =
      Begin(Get("/api_v3/service/media/action/list?format=1&ks=" + UserKs()));
  EXPECT_EQ(Drive(*granted).kind, Kind::kForward);
}

TEST_F(ApiExchangeTest, AForbiddenUpstreamCallNamesTheServiceAndActionAsSent) {
  std::unique_ptr<Exchange> ex =
      Begin(Get("/api_v3/service/Media/action/Delete?format=1&ks=" + UserKs()));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_THAT(ReadJson(step.response.body),
              ApiErrorIs(errors::kServiceForbidden, ElementsAre(Pair("SERVICE", "media->Delete"))));
}

TEST_F(ApiExchangeTest, AFailedForwardIsAnsweredInTheClientsFormat) {
  struct Case {
    UpstreamFailure failure;
    ErrorDef error;
  };
  const std::string ks = AdminKs();
  for (const Case& c :
       std::vector<Case>{{UpstreamFailure::kUnavailable, errors::kUpstreamUnavailable},
                         {UpstreamFailure::kTimeout, errors::kUpstreamTimeout},
                         {UpstreamFailure::kBadAnswer, errors::kUpstreamBadAnswer}}) {
    SCOPED_TRACE(c.error.code);
    std::unique_ptr<Exchange> json =
        Begin(Get("/api_v3/service/Media/action/list?format=1&ks=" + ks));
    ASSERT_EQ(Drive(*json).kind, Kind::kForward);
    Response r = json->UpstreamFailed(c.failure);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_THAT(ReadJson(r.body), ApiErrorIs(c.error, ElementsAre(Pair("SERVICE", "media"))));

    std::unique_ptr<Exchange> xml = Begin(Get("/api_v3/service/media/action/list?ks=" + ks));
    ASSERT_EQ(Drive(*xml).kind, Kind::kForward);
    r = xml->UpstreamFailed(c.failure);
    EXPECT_EQ(r.content_type, "text/xml");
    EXPECT_THAT(r.body, HasSubstr("<error><code>" + std::string(c.error.code) + "</code>"));
  }
}

// --- Upstream items of a multirequest: fetched, and their answers taken back ------------------

TEST_F(ApiExchangeTest, AnUpstreamItemIsFetchedAsAJsonCallOfItsOwn) {
  const std::string ks = AdminKs();
  std::unique_ptr<Exchange> ex =
      Begin(Multi(ks, "\"1\":{\"service\":\"Media\",\"action\":\"get\",\"entryId\":\"0_abc\"}"));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kFetch) << step.response.body;
  EXPECT_EQ(step.upstream.host, "media.internal");
  EXPECT_EQ(step.upstream.port, 8080);
  EXPECT_EQ(step.upstream.method, "POST");
  EXPECT_EQ(step.upstream.target, "/base/api_v3/service/media/action/get");
  EXPECT_EQ(step.upstream.body,
            "{\"service\":\"Media\",\"action\":\"get\",\"entryId\":\"0_abc\","
            "\"ks\":\"" +
                ks + "\",\"format\":1}");
  HeaderFields want = {
      {"Content-Type", "application/json"},
      {"Accept", "application/json"},
      {"X-Forwarded-For", "10.1.2.3"},
  };
  for (auto& field : ExpectedIdentity(ks, SentFields(step.upstream), "POST",
                                      "/base/api_v3/service/media/action/get")) {
    want.push_back(std::move(field));
  }
  EXPECT_EQ(SentFields(step.upstream), want) << "no client header is passed on";
}

TEST_F(ApiExchangeTest, AFetchAsksForJsonWhateverTheClientsFormat) {
  std::unique_ptr<Exchange> ex =
      Begin(Multi(AdminKs(), "\"1\":{\"service\":\"media\",\"action\":\"get\",\"format\":2}", 2));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kFetch);
  EXPECT_THAT(step.upstream.body, HasSubstr("\"format\":1}"));
  EXPECT_THAT(step.upstream.body, Not(HasSubstr("\"format\":2")));
  ex->Deliver(UpstreamAnswer{UpstreamFailure::kNone, 200, "application/json",
                             "{\"id\":\"0_abc\",\"objectType\":\"KalturaMediaEntry\"}"});
  step = Inline(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_EQ(step.response.content_type, "text/xml");
  EXPECT_THAT(step.response.body,
              HasSubstr("<result><item><objectType>KalturaMediaEntry</objectType><id>0_abc</id>"
                        "</item></result>"));
}

TEST_F(ApiExchangeTest, AFetchedAnswerBecomesTheItemsResultAndLaterItemsCanReferToIt) {
  std::unique_ptr<Exchange> ex = Begin(
      Multi(AdminKs(),
            "\"1\":{\"service\":\"media\",\"action\":\"get\",\"entryId\":\"0_abc\"},"
            "\"2\":{\"service\":\"media\",\"action\":\"update\",\"entryId\":\"{1:result:id}\","
            "\"mediaEntry\":{\"name\":\"{1:result:name} (copy)\"}},"
            "\"3\":{\"service\":\"system\",\"action\":\"ping\"}"));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kFetch);
  EXPECT_THAT(step.upstream.target, EndsWith("/action/get"));
  const std::string entry =
      "{\"id\":\"0_abc\",\"name\":\"Clip\",\"views\":3,\"objectType\":\"KalturaMediaEntry\"}";
  ex->Deliver(UpstreamAnswer{UpstreamFailure::kNone, 200, "application/json", entry});
  backend_->Reset();

  step = Inline(*ex);
  ASSERT_EQ(step.kind, Kind::kFetch) << "the KS was checked once, for the whole request";
  EXPECT_THAT(step.upstream.target, EndsWith("/action/update"));
  EXPECT_THAT(step.upstream.body,
              HasSubstr("\"entryId\":\"0_abc\",\"mediaEntry\":{\"name\":\"Clip (copy)\"}"));
  const std::string not_found =
      "{\"code\":\"ENTRY_ID_NOT_FOUND\",\"message\":\"Entry id \\\"0_abc\\\" not found\","
      "\"objectType\":\"KalturaAPIException\",\"args\":{\"ENTRY_ID\":\"0_abc\"}}";
  ex->Deliver(UpstreamAnswer{UpstreamFailure::kNone, 200, "application/json", not_found});

  step = Inline(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_EQ(step.response.body, "[" + entry + "," + not_found + ",true]");
  EXPECT_THAT(backend_->calls(), IsEmpty());
}

TEST_F(ApiExchangeTest, AFetchedResultIsKeptWhenALaterItemNeedsAStoreThread) {
  std::unique_ptr<Exchange> ex =
      Begin(Multi(AdminKs(),
                  "\"1\":{\"service\":\"media\",\"action\":\"get\"},"
                  "\"2\":{\"service\":\"appToken\",\"action\":\"add\",\"appToken\":{"
                  "\"objectType\":\"KalturaAppToken\",\"description\":\"{1:result:name}\"}}"));
  ASSERT_EQ(Drive(*ex).kind, Kind::kFetch);
  ex->Deliver(UpstreamAnswer{UpstreamFailure::kNone, 200, "application/json",
                             "{\"name\":\"Clip\",\"objectType\":\"KalturaMediaEntry\"}"});
  backend_->Reset();
  Step step = InlineThenStoreThread(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond) << "the fetch is not made again";
  KSGATE_ASSERT_OK_AND_ASSIGN(Value answer, ReadJson(step.response.body));
  ASSERT_EQ(answer.elements().size(), 2u) << step.response.body;
  EXPECT_EQ(answer.elements()[0].string_value(), "KalturaMediaEntry");
  const Value* description = answer.elements()[1].Find("description");
  ASSERT_NE(description, nullptr) << step.response.body;
  EXPECT_EQ(description->string_value(), "Clip");
}

TEST_F(ApiExchangeTest, AFetchedValueOfAnyKindIsTheItemsResult) {
  for (const std::string answer : {"[1,\"two\",3.5]", "\"text\"", "42", "false"}) {
    std::unique_ptr<Exchange> ex =
        Begin(Multi(AdminKs(), "\"1\":{\"service\":\"media\",\"action\":\"count\"}"));
    ASSERT_EQ(Drive(*ex).kind, Kind::kFetch);
    ex->Deliver(UpstreamAnswer{UpstreamFailure::kNone, 200, "application/json", answer});
    Step step = Inline(*ex);
    ASSERT_EQ(step.kind, Kind::kRespond);
    EXPECT_EQ(step.response.body, "[" + answer + "]");
  }
}

TEST_F(ApiExchangeTest, AFailedFetchIsTheItemsErrorAndTheOtherItemsStillRun) {
  struct Case {
    std::string name;
    UpstreamAnswer answer;
    std::string code;
  };
  const std::string object = "{\"id\":\"0_abc\",\"objectType\":\"KalturaMediaEntry\"}";
  const std::vector<Case> cases = {
      {"unreachable", {UpstreamFailure::kUnavailable, 0, "", ""}, "UPSTREAM_UNAVAILABLE"},
      {"too slow", {UpstreamFailure::kTimeout, 0, "", ""}, "UPSTREAM_TIMEOUT"},
      {"not HTTP", {UpstreamFailure::kBadAnswer, 0, "", ""}, "UPSTREAM_BAD_ANSWER"},
      {"HTTP 500",
       {UpstreamFailure::kNone, 500, "application/json", object},
       "UPSTREAM_BAD_ANSWER"},
      {"HTTP 404", {UpstreamFailure::kNone, 404, "text/html", "<html/>"}, "UPSTREAM_BAD_ANSWER"},
      {"HTTP 204", {UpstreamFailure::kNone, 204, "", ""}, "UPSTREAM_BAD_ANSWER"},
      {"HTTP 201 with JSON",
       {UpstreamFailure::kNone, 201, "application/json", object},
       "UPSTREAM_BAD_ANSWER"},
      {"HTTP 404 with JSON",
       {UpstreamFailure::kNone, 404, "application/json", object},
       "UPSTREAM_BAD_ANSWER"},
      {"not JSON", {UpstreamFailure::kNone, 200, "text/html", "<html/>"}, "UPSTREAM_BAD_ANSWER"},
      {"empty", {UpstreamFailure::kNone, 200, "application/json", ""}, "UPSTREAM_BAD_ANSWER"},
      {"trailing text",
       {UpstreamFailure::kNone, 200, "application/json", object + "x"},
       "UPSTREAM_BAD_ANSWER"},
      {"an API error",
       {UpstreamFailure::kNone, 200, "application/json",
        "{\"code\":\"SOME_ERROR\",\"message\":\"m\",\"objectType\":\"KalturaAPIException\","
        "\"args\":[]}"},
       "SOME_ERROR"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<Exchange> ex =
        Begin(Multi(AdminKs(),
                    "\"1\":{\"service\":\"media\",\"action\":\"get\"},"
                    "\"2\":{\"service\":\"system\",\"action\":\"ping\"}"));
    ASSERT_EQ(Drive(*ex).kind, Kind::kFetch);
    ex->Deliver(c.answer);
    Step step = Inline(*ex);
    ASSERT_EQ(step.kind, Kind::kRespond);
    KSGATE_ASSERT_OK_AND_ASSIGN(Value answer, ReadJson(step.response.body));
    ASSERT_EQ(answer.elements().size(), 2u) << step.response.body;
    const Value& error = answer.elements()[0];
    EXPECT_EQ(error.string_value(), "KalturaAPIException") << step.response.body;
    ASSERT_NE(error.Find("code"), nullptr);
    EXPECT_EQ(error.Find("code")->string_value(), c.code);
    if (c.code.starts_with("UPSTREAM_")) {
      EXPECT_THAT(step.response.body, HasSubstr("\"args\":{\"SERVICE\":\"media\"}"));
    }
    EXPECT_EQ(answer.elements()[1].kind(), Value::Kind::kBool) << "item 2 ran";
  }
}

TEST_F(ApiExchangeTest, ARefusedUpstreamItemIsNeverFetched) {
  std::unique_ptr<Exchange> ex = Begin(Multi(UserKs(),
                                             "\"1\":{\"service\":\"media\",\"action\":\"delete\"},"
                                             "\"2\":{\"service\":\"media\",\"action\":\"list\"}"));
  Step step = Drive(*ex);
  ASSERT_EQ(step.kind, Kind::kFetch);
  EXPECT_THAT(step.upstream.target, EndsWith("/action/list")) << "item 1 was not fetched";
  ex->Deliver(UpstreamAnswer{UpstreamFailure::kNone, 200, "application/json",
                             "{\"totalCount\":0,\"objectType\":\"KalturaMediaListResponse\"}"});
  step = Inline(*ex);
  ASSERT_EQ(step.kind, Kind::kRespond);
  EXPECT_THAT(step.response.body, StartsWith("[{\"code\":\"SERVICE_FORBIDDEN\""));
  EXPECT_THAT(step.response.body,
              EndsWith(",{\"totalCount\":0,\"objectType\":\"KalturaMediaListResponse\"}]"));
}

}  // namespace
}  // namespace ksgate::api
