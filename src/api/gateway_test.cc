#include "api/gateway.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/gate_test_fixture.h"
#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::IsOk;
using ::ksgate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// --- ParseUpstream ----------------------------------------------------------------------------

struct UpstreamCase {
  std::string spec;
  std::vector<std::string> services;
  std::string host;
  uint16_t port;
  std::string base_path;
};

TEST(ParseUpstream, ReadsServicesHostPortAndBasePath) {
  const std::vector<UpstreamCase> cases = {
      {"media=http://media.internal", {"media"}, "media.internal", 80, ""},
      {"media=http://10.0.0.7:8080", {"media"}, "10.0.0.7", 8080, ""},
      {"media,baseEntry=http://h:1/api/v1", {"media", "baseentry"}, "h", 1, "/api/v1"},
      {" media , Flavor_Asset = http://h/base/ ", {"media", "flavor_asset"}, "h", 80, "/base"},
      {"media=HTTP://h:65535//", {"media"}, "h", 65535, ""},
      {"media=http://[::1]:9000/x", {"media"}, "::1", 9000, "/x"},
      {"media=http://[fe80::1]", {"media"}, "fe80::1", 80, ""},
      {"media=http://h:", {"media"}, "h", 80, ""},
  };
  for (const UpstreamCase& c : cases) {
    SCOPED_TRACE(c.spec);
    KSGATE_ASSERT_OK_AND_ASSIGN(Upstream u, ParseUpstream(c.spec));
    EXPECT_EQ(u.services, c.services);
    EXPECT_EQ(u.host, c.host);
    EXPECT_EQ(u.port, c.port);
    EXPECT_EQ(u.base_path, c.base_path);
  }
}

TEST(ParseUpstream, KeepsTheUrlAsConfigured) {
  KSGATE_ASSERT_OK_AND_ASSIGN(Upstream u, ParseUpstream("media = http://h:81/b/ "));
  EXPECT_EQ(u.url, "http://h:81/b/");
}

TEST(ParseUpstream, RejectsWhatIsNotServicesEqualsAnHttpUrl) {
  struct Bad {
    std::string spec;
    std::string why;
  };
  const std::vector<Bad> cases = {
      {"media", "want SERVICE"},
      {"=http://h", "service name"},
      {"media,=http://h", "service name"},
      {"me-dia=http://h", "service name"},
      {"media.list=http://h", "service name"},
      {"media=https://h", "http://"},
      {"media=ftp://h", "http://"},
      {"media=h:80", "http://"},
      {"media=http:/", "http://"},
      {"media=http://", "no host"},
      {"media=http://:80", "no host"},
      {"media=http://[]:80", "no host"},
      {"media=http://user@h", "user info"},
      {"media=http://h/x?y=1", "query"},
      {"media=http://h#top", "fragment"},
      {"media=http://h:0", "port"},
      {"media=http://h:65536", "port"},
      {"media=http://h:+80", "port"},
      {"media=http://h:80x", "port"},
      {"media=http://::1:80", "IPv6"},
      {"media=http://[::1", "unclosed"},
      {"media=http://[::1]80", "junk"},
      {"media=http://h_1", "character"},
      {"media=http://h st", "character"},
  };
  for (const Bad& c : cases) {
    EXPECT_THAT(ParseUpstream(c.spec),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"" + c.spec + "\"")))
        << c.spec;
    EXPECT_THAT(ParseUpstream(c.spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.why)))
        << c.spec;
  }
}

// The base path is written into every request line sent upstream, so it must be a path.
TEST(ParseUpstream, RejectsABasePathThatCannotBeSentInARequestLine) {
  for (const char* spec : {"media=http://h/a b", "media=http://h/a\tb", "media=http://h/a\r\nX: 1",
                           "media=http://h/\x7f", "media=http://h/caf\xc3\xa9"}) {
    EXPECT_THAT(ParseUpstream(spec), StatusIs(StatusCode::kInvalidArgument)) << spec;
  }
}

// --- ParseRoute -------------------------------------------------------------------------------

TEST(ParseRoute, ReadsMethodPatternAndServiceAction) {
  struct Good {
    std::string spec;
    Route want;
  };
  const std::vector<Good> cases = {
      {"GET /v1/items=media.list", {"GET", "/v1/items", false, "media", "list"}},
      {"get /v1/items/*=Media.Get", {"GET", "/v1/items/", true, "media", "get"}},
      {"* /*=reports.any", {"*", "/", true, "reports", "any"}},
      {"  Post\t/v1/x = media.add  ", {"POST", "/v1/x", false, "media", "add"}},
      {"GET /a=b=media.list", {"GET", "/a=b", false, "media", "list"}},
  };
  for (const Good& c : cases) {
    SCOPED_TRACE(c.spec);
    KSGATE_ASSERT_OK_AND_ASSIGN(Route r, ParseRoute(c.spec));
    EXPECT_EQ(r.method, c.want.method);
    EXPECT_EQ(r.pattern, c.want.pattern);
    EXPECT_EQ(r.prefix, c.want.prefix);
    EXPECT_EQ(r.service, c.want.service);
    EXPECT_EQ(r.action, c.want.action);
  }
}

TEST(ParseRoute, RejectsMalformedRules) {
  for (const char* spec : {
           "GET /v1/items",           // no '='
           "/v1/items=media.list",    // no method
           "G3T /v1=media.list",      // method not a word
           "G* /v1=media.list",       // '*' inside a method
           "GET v1=media.list",       // path not absolute
           "GET *=media.list",        // path not absolute
           "GET /v1/*/x=media.list",  // '*' not at the end
           "GET /v1/**=media.list",   // '*' twice
           "GET /v1?a=1=media.list",  // a query
           "GET /v1#f=media.list",    // a fragment
           "GET /v1=media",           // no action
           "GET /v1=media.",          // empty action
           "GET /v1=.list",           // empty service
           "GET /v1=media.li.st",     // a dot in the action
           "GET /v1=me-dia.list",     // not a service name
       }) {
    EXPECT_THAT(ParseRoute(spec), StatusIs(StatusCode::kInvalidArgument, HasSubstr("--route")))
        << spec;
  }
}

// --- GatewayOptions ---------------------------------------------------------------------------

TEST(GatewayOptions, UpstreamForFindsTheUpstreamNamingTheService) {
  const GatewayOptions o = GatewayFrom({"media,baseentry=http://a", "reports=http://b"}, {});
  EXPECT_EQ(o.UpstreamFor("media"), 0u);
  EXPECT_EQ(o.UpstreamFor("baseentry"), 0u);
  EXPECT_EQ(o.UpstreamFor("reports"), 1u);
  EXPECT_EQ(o.UpstreamFor("nosuch"), std::nullopt);
  EXPECT_EQ(o.UpstreamFor("medi"), std::nullopt);
  EXPECT_EQ(GatewayOptions().UpstreamFor("media"), std::nullopt);
}

// Which route (by index, -1 for none) a request matches.
int RouteIndex(const GatewayOptions& o, std::string_view method, std::string_view path) {
  const Route* r = o.RouteFor(method, path);
  return r == nullptr ? -1 : static_cast<int>(r - o.routes.data());
}

TEST(GatewayOptions, RouteForMatchesMethodAndExactOrPrefixPathAndTheFirstMatchWins) {
  const GatewayOptions o = GatewayFrom({}, {
                                               "GET /v1/items=media.list",      // 0
                                               "GET /v1/items/*=media.get",     // 1
                                               "DELETE /v1/items/*=media.del",  // 2
                                               "* /v1/health=system.ping",      // 3
                                               "* /v1/*=media.any",             // 4
                                           });
  struct Case {
    std::string method;
    std::string path;
    int want;
  };
  const std::vector<Case> cases = {
      {"GET", "/v1/items", 0},      {"get", "/v1/items", 0},        {"GET", "/v1/items/", 1},
      {"GET", "/v1/items/0_a", 1},  {"DELETE", "/v1/items/0_a", 2}, {"delete", "/v1/items/x", 2},
      {"POST", "/v1/items/0_a", 4}, {"PATCH", "/v1/health", 3},     {"GET", "/v1/healthz", 4},
      {"GET", "/v1/items2", 4},     {"GET", "/v2/items", -1},       {"GET", "/V1/items", -1},
      {"GET", "/v1", -1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RouteIndex(o, c.method, c.path), c.want) << c.method << " " << c.path;
  }
  EXPECT_EQ(GatewayOptions().RouteFor("GET", "/"), nullptr);
}

TEST(ValidateGateway, AcceptsDistinctServices) {
  EXPECT_THAT(ValidateGateway(GatewayFrom({"media,baseentry=http://a", "reports=http://b"}, {})),
              IsOk());
  EXPECT_THAT(ValidateGateway(GatewayOptions()), IsOk());
}

TEST(ValidateGateway, RejectsAServiceNamedTwice) {
  EXPECT_THAT(ValidateGateway(GatewayFrom({"media=http://a", "reports,Media=http://b"}, {})),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"media\" is named twice")));
  EXPECT_THAT(ValidateGateway(GatewayFrom({"media,media=http://a"}, {})),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"media\"")));
}

TEST(ParseUpstream, LowerCasesEveryServiceName) {
  KSGATE_ASSERT_OK_AND_ASSIGN(Upstream u, ParseUpstream("MEDIA,BaseEntry=http://h"));
  EXPECT_THAT(u.services, ElementsAre("media", "baseentry"));
}

}  // namespace
}  // namespace ksgate::api
