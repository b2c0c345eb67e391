#include "app/audit_log_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "api/value.h"
#include "app/app.h"
#include "common/clock.h"
#include "ks/crypto.h"
#include "ks/ks.h"
#include "obs/log_line.h"
#include "store/blocking.h"
#include "store/memory_store.h"
#include "testing/matchers.h"
#include "testing/scratch_dir.h"

namespace ksgate::app {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'767'000'000;
constexpr std::string_view kKey = "an audit key of thirty-two bytes or more";

std::string Hmac(std::string_view secret) {
  return "hmac-sha256:" + ks::HmacSha256Hex(kKey, secret);
}

// An App whose services audit into a file of a scratch dir.
class AuditTest : public ::testing::Test {
 protected:
  AuditTest()
      : clock_(kNow),
        path_((dir_.path() / "audit.log").string()),
        log_(obs::AuditLog::ForTesting(Open(path_), std::string(kKey))),
        sink_(*log_),
        app_(std::make_unique<store::MemoryStore>(), clock_, Options(&sink_)) {}

  static std::unique_ptr<obs::LogFile> Open(const std::string& path) {
    Result<std::unique_ptr<obs::LogFile>> file = obs::LogFile::Open(path);
    EXPECT_THAT(file, ::ksgate::testing::IsOk());
    return std::move(file).value();
  }
  static AppOptions Options(services::AuditSink* audit) {
    AppOptions options;
    options.audit = audit;
    return options;
  }

  void SetUp() override {
    KSGATE_ASSERT_OK_AND_ASSIGN(partner_, app_.partners().Create({.name = "Audited"}));
    ks::KsFields f{.partner_id = partner_.id,
                   .valid_until = kNow + 3600,
                   .type = ks::kSessionTypeAdmin,
                   .user = "admin"};
    admin_ks_ = app_.issuer().Issue(partner_, f);
  }

  std::vector<std::string> Lines() const {
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::string Text() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // One API call as the HTTP layer makes it (JSON body, format=1), served to the end.
  std::string Call(std::string_view service, std::string_view action, std::string body) {
    api::Request r;
    r.method = "POST";
    r.target = "/api_v3/service/" + std::string(service) + "/action/" + std::string(action);
    r.content_type = "application/json";
    r.body = std::move(body);
    r.client_ip = "198.51.100.4";
    return app_.dispatcher().Handle(r).body;
  }
  static std::string Field(const std::string& json, const std::string& name) {
    const std::string key = "\"" + name + "\":\"";
    const size_t at = json.find(key);
    if (at == std::string::npos) return "";
    const size_t start = at + key.size();
    return json.substr(start, json.find('"', start) - start);
  }

  FakeClock clock_;
  testing::ScratchDir dir_;
  std::string path_;
  std::unique_ptr<obs::AuditLog> log_;
  AuditLogSink sink_;
  App app_;
  store::Partner partner_;
  std::string admin_ks_;
};

TEST_F(AuditTest, AnOperatorsPartnerChangesShowBeforeAndAfterWithSecretsAsHmacs) {
  KSGATE_ASSERT_OK_AND_ASSIGN(const store::Partner rotated,
                              app_.partners().RotateAdminSecret(partner_.id));
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], AllOf(HasSubstr("\"event\":\"partner.add\",\"outcome\":\"success\""),
                              HasSubstr("\"actor\":{\"type\":\"operator\""),
                              HasSubstr("\"object\":{\"type\":\"partner\",\"id\":\"" +
                                        std::to_string(partner_.id) + "\"}")));
  EXPECT_THAT(lines[1], StartsWith("{\"time\":\""));
  EXPECT_THAT(lines[1],
              AllOf(HasSubstr("\"event\":\"partner.rotateSecret\""),
                    HasSubstr("\"before\":{\"id\":" + std::to_string(partner_.id)),
                    HasSubstr("\"adminSecrets\":[\"" + Hmac(partner_.admin_secrets[0]) + "\"]"),
                    HasSubstr("\"adminSecrets\":[\"" + Hmac(rotated.admin_secrets[0]) + "\",\"" +
                              Hmac(partner_.admin_secrets[0]) + "\"]"),
                    HasSubstr("\"secret\":\"" + Hmac(partner_.secret) + "\"")));
  for (const std::string& secret : rotated.admin_secrets) {
    EXPECT_THAT(Text(), Not(HasSubstr(secret)));
  }
  EXPECT_THAT(Text(), Not(HasSubstr(partner_.secret)));
}

TEST_F(AuditTest, AnAppTokenLifecycleIsOneLinePerChangeWithoutItsValue) {
  const std::string added = Call("appToken", "add",
                                 "{\"format\":1,\"ks\":\"" + admin_ks_ +
                                     "\",\"appToken\":{\"objectType\":\"KalturaAppToken\"}}");
  const std::string id = Field(added, "id");
  const std::string token = Field(added, "token");
  ASSERT_FALSE(id.empty()) << added;
  ASSERT_EQ(token.size(), 32u) << added;
  const std::string by_id = "\"ks\":\"" + admin_ks_ + "\",\"id\":\"" + id + "\"";
  Call("appToken", "update",
       "{\"format\":1," + by_id +
           ",\"appToken\":{\"objectType\":\"KalturaAppToken\",\"description\":\"d2\"}}");
  Call("appToken", "disable", "{\"format\":1," + by_id + "}");
  const std::string rotated = Call("appToken", "rotate", "{\"format\":1," + by_id + "}");
  Call("appToken", "delete", "{\"format\":1," + by_id + "}");

  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 6u) << Text();  // partner.add, then the five
  const char* events[] = {"appToken.add", "appToken.update", "appToken.disable", "appToken.rotate",
                          "appToken.delete"};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_THAT(lines[i + 1],
                HasSubstr(std::string("\"event\":\"") + events[i] + "\",\"outcome\":\"success\""));
    // The caller: the admin KS, by its HMAC; the request id and address of the call.
    EXPECT_THAT(
        lines[i + 1],
        AllOf(HasSubstr("\"actor\":{\"type\":\"ks\",\"partnerId\":" + std::to_string(partner_.id) +
                        ",\"userId\":\"admin\",\"sessionType\":2,\"ks\":\"" + Hmac(admin_ks_) +
                        "\"}"),
              HasSubstr("\"client_ip\":\"198.51.100.4\""), HasSubstr("\"request_id\":\""),
              HasSubstr("\"object\":{\"type\":\"appToken\",\"id\":\"" + id + "\"}")));
  }
  EXPECT_THAT(lines[1], AllOf(Not(HasSubstr("\"before\"")),
                              HasSubstr("\"after\":{\"id\":\"" + id + "\",\"token\":\"" +
                                        Hmac(token) + "\",\"status\":2")));
  EXPECT_THAT(lines[2],
              AllOf(HasSubstr("\"description\":null"), HasSubstr("\"description\":\"d2\"")));
  EXPECT_THAT(lines[3], AllOf(HasSubstr("\"before\":{\"id\":\"" + id + "\",\"token\":\"" +
                                        Hmac(token) + "\",\"status\":2"),
                              HasSubstr("\"after\":{\"id\":\"" + id + "\",\"token\":\"" +
                                        Hmac(token) + "\",\"status\":1")));
  const std::string new_token = Field(rotated, "token");
  ASSERT_EQ(new_token.size(), 32u) << rotated;
  EXPECT_THAT(
      lines[4],
      AllOf(HasSubstr("\"after\":{\"id\":\"" + id + "\",\"token\":\"" + Hmac(new_token) + "\""),
            HasSubstr("\"details\":{\"gracePeriod\":0,\"revokeSessions\":false}")));
  EXPECT_THAT(lines[5], AllOf(HasSubstr("\"before\":{"), Not(HasSubstr("\"after\""))));
  // Never a value, a KS or a secret.
  for (const std::string& secret : {token, new_token, admin_ks_, partner_.admin_secrets[0]}) {
    EXPECT_THAT(Text(), Not(HasSubstr(secret)));
  }
}

TEST_F(AuditTest, StartSessionIsAuditedWithItsOutcomeAndRunsOnAStoreThread) {
  const std::string added = Call("appToken", "add",
                                 "{\"format\":1,\"ks\":\"" + admin_ks_ +
                                     "\",\"appToken\":{\"objectType\":\"KalturaAppToken\"}}");
  const std::string id = Field(added, "id");
  const std::string token = Field(added, "token");
  const std::string widget =
      Field(Call("session", "startWidgetSession",
                 "{\"format\":1,\"widgetId\":\"_" + std::to_string(partner_.id) + "\"}"),
            "ks");
  ASSERT_FALSE(widget.empty());
  const std::string good = ks::HexDigest(ks::HashAlgorithm::kSha256, widget + token);
  auto start = [&](const std::string& hash) {
    return "{\"format\":1,\"ks\":\"" + widget + "\",\"id\":\"" + id + "\",\"tokenHash\":\"" + hash +
           "\"}";
  };

  // Warm cache or not, the call asks for a store thread: its audit line may wait for the disk.
  api::Request request;
  request.method = "POST";
  request.target = "/api_v3/service/appToken/action/startSession";
  request.content_type = "application/json";
  request.body = start(good);
  std::unique_ptr<api::Exchange> ex = app_.dispatcher().Begin(std::move(request));
  EXPECT_EQ(ex->Advance(api::Exchange::Mode::kInline).kind, api::Step::Kind::kNeedsStore);
  const std::string issued = Field(ex->Advance(api::Exchange::Mode::kMayBlock).response.body, "ks");
  ASSERT_FALSE(issued.empty());

  Call("appToken", "startSession", start(std::string(64, '0')));

  const std::vector<std::string> lines = Lines();
  ASSERT_GE(lines.size(), 4u);
  const std::string& ok = lines[lines.size() - 2];
  const std::string& failed = lines.back();
  EXPECT_THAT(ok, AllOf(HasSubstr("\"event\":\"appToken.startSession\",\"outcome\":\"success\""),
                        HasSubstr("\"object\":{\"type\":\"appToken\",\"id\":\"" + id + "\"}"),
                        HasSubstr("\"issuedKs\":\"" + Hmac(issued) + "\""),
                        HasSubstr("\"ks\":\"" + Hmac(widget) + "\"")));
  EXPECT_THAT(failed, AllOf(HasSubstr("\"event\":\"appToken.startSession\",\"outcome\":"
                                      "\"failure\",\"error\":\"INVALID_APP_TOKEN_HASH\""),
                            Not(HasSubstr("issuedKs"))));
  for (const std::string& secret : {token, widget, issued, good}) {
    EXPECT_THAT(Text(), Not(HasSubstr(secret)));
  }
}

TEST_F(AuditTest, SessionStartAndEndAreAudited) {
  const std::string started = Call("session", "start",
                                   "{\"format\":1,\"partnerId\":" + std::to_string(partner_.id) +
                                       ",\"secret\":\"wrong\",\"type\":2}");
  ASSERT_THAT(started, HasSubstr("START_SESSION_ERROR"));
  const std::string ks = Call("session", "start",
                              "{\"format\":1,\"partnerId\":" + std::to_string(partner_.id) +
                                  ",\"secret\":\"" + partner_.secret + "\",\"userId\":\"bob\"}");
  ASSERT_EQ(ks.front(), '"');
  const std::string user_ks = ks.substr(1, ks.size() - 2);
  Call("session", "end", "{\"format\":1,\"ks\":\"" + user_ks + "\"}");

  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 4u) << Text();
  EXPECT_THAT(lines[1], AllOf(HasSubstr("\"event\":\"session.start\",\"outcome\":\"failure\","
                                        "\"error\":\"START_SESSION_ERROR\""),
                              HasSubstr("\"actor\":{\"type\":\"anonymous\"}")));
  EXPECT_THAT(lines[2], AllOf(HasSubstr("\"event\":\"session.start\",\"outcome\":\"success\""),
                              HasSubstr("\"secret\":\"user\""),
                              HasSubstr("\"issuedKs\":\"" + Hmac(user_ks) + "\"")));
  EXPECT_THAT(lines[3], AllOf(HasSubstr("\"event\":\"session.end\",\"outcome\":\"success\""),
                              HasSubstr("\"ks\":\"" + Hmac(user_ks) + "\"")));
  EXPECT_THAT(Text(), AllOf(Not(HasSubstr(user_ks)), Not(HasSubstr(partner_.secret))));
}

TEST_F(AuditTest, ALineIsValidJsonWhateverTheCallerSent) {
  services::AuditEvent event{.action = "appToken.update", .error = "X", .partner_id = 3};
  event.object_type = "appToken";
  event.object_id = "id\"\n\x01";
  event.details = {services::AuditString("userId", "a\\b\xff")};
  const obs::RequestContext context{.request_id = "r-1", .client_ip = "::1"};
  const obs::RequestScope scope(context);
  const std::string line = sink_.Format(event);
  EXPECT_THAT(line, StartsWith("{\"time\":\""));
  EXPECT_EQ(line.substr(line.find(",\"event\"") + 1),
            "\"event\":\"appToken.update\",\"outcome\":\"failure\",\"error\":\"X\","
            "\"request_id\":\"r-1\",\"client_ip\":\"::1\",\"actor\":{\"type\":\"anonymous\"},"
            "\"partnerId\":3,\"object\":{\"type\":\"appToken\",\"id\":\"id\\\"\\n\\u0001\"},"
            "\"details\":{\"userId\":\"a\\\\b\\ufffd\"}}");
}

// Inside the SQLite writer's batch an event is written once the batch ended, with the request
// it came from: as recorded when the batch committed, as INTERNAL_DATABASE_ERROR when it failed.
TEST_F(AuditTest, InsideAWritersBatchAnEventWaitsForTheBatchAndSaysWhetherItStuck) {
  const obs::RequestContext context{.request_id = "r-2", .client_ip = "::1"};
  for (const bool committed : {true, false}) {
    const size_t before = Lines().size();
    store::CommitScope batch;
    {
      const obs::RequestScope scope(context);
      const store::CommitScope::Inside inside(batch);
      sink_.Record({.action = "appToken.add", .partner_id = 3, .object_type = "appToken"});
    }
    EXPECT_EQ(Lines().size(), before) << "written before its batch ended";
    batch.RunDeferred(committed);
    const std::vector<std::string> lines = Lines();
    ASSERT_EQ(lines.size(), before + 1);
    EXPECT_THAT(lines.back(), HasSubstr("\"request_id\":\"r-2\""));
    EXPECT_THAT(
        lines.back(),
        HasSubstr(committed ? "\"outcome\":\"success\""
                            : "\"outcome\":\"failure\",\"error\":\"INTERNAL_DATABASE_ERROR\""));
  }
}

}  // namespace
}  // namespace ksgate::app
