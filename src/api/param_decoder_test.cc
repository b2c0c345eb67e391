// The parameter decoder's internals (api/param_decoder.h): the tree's maps, the room they make
// for members, and the URL's reading straight into one map. What a request decodes to is
// pinned by params_test.cc; here, what it costs in memory.
#include "api/param_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/params.h"
#include "api/params_test_util.h"

namespace ksgate::api::decoding {
namespace {

std::string Repeat(std::string_view piece, size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (size_t i = 0; i < times; ++i) out.append(piece);
  return out;
}

// "k" followed by `i` (appended: "literal" + std::string trips GCC 12's -Wrestrict at -O3).
std::string Key(size_t i) { return std::string("k").append(std::to_string(i)); }

// Every map under `n` (itself included) holds room for exactly its members.
void ExpectExactRoom(const Node& n, const std::string& where) {
  if (!n.is_map()) return;
  EXPECT_EQ(n.members.capacity(), n.members.size()) << where;
  for (const auto& [key, member] : n.members) {
    ExpectExactRoom(member, std::string(where).append("/").append(key));
  }
}

// --- Node -----------------------------------------------------------------------------------

TEST(Node, AppendedKeysAreFoundBeforeAndAfterTheIndex) {
  Node map = Node::Map();
  for (size_t i = 0; i < 2 * kIndexThreshold; ++i) map.Append(Key(i));
  ASSERT_NE(map.index, nullptr);
  for (size_t i = 0; i < 2 * kIndexThreshold; ++i) {
    EXPECT_EQ(map.Position(Key(i)), i);
  }
  EXPECT_EQ(map.Position("k"), Node::kAbsent);
  EXPECT_EQ(map.Find("missing"), nullptr);
  Node& again = map.Slot(std::string("k3"));
  EXPECT_EQ(&again, &map.members[3].second);
  EXPECT_EQ(map.members.size(), 2 * kIndexThreshold);
}

TEST(Node, AppendNotesIntegerKeysForTheNextFreeOne) {
  Node map = Node::Map();
  map.Append("7", Node(Param::Kind::kString, "x"));
  map.Append("007");
  map.Append("x");
  EXPECT_EQ(map.next_index, 8u);
  map.AppendNext().text = "y";
  EXPECT_EQ(map.members.back().first, "8");
}

// --- Merge ----------------------------------------------------------------------------------

Node MapOf(std::initializer_list<std::string_view> keys) {
  Node map = Node::Map();
  for (std::string_view key : keys) map.Append(std::string(key), Node(Param::Kind::kString, "v"));
  return map;
}

TEST(Merge, IntoAnEmptyMapTakesTheSourceWhole) {
  Node src = MapOf({"a", "b", "c"});
  const auto* storage = src.members.data();
  Node dst = Node::Map();
  Merge(&dst, std::move(src));
  EXPECT_EQ(dst.members.data(), storage);
  EXPECT_EQ(dst.members.size(), 3u);
}

TEST(Merge, MakesRoomOnceForTheSourceMembers) {
  Node dst = MapOf({"a", "b", "c"});
  dst.members.shrink_to_fit();
  Merge(&dst, MapOf({"c", "d", "e"}));
  ASSERT_EQ(dst.members.size(), 5u);
  EXPECT_EQ(dst.members.capacity(), 6u);  // at most one per source member beyond what it had
  EXPECT_EQ(dst.members[4].first, "e");
}

// MergedParam must give what Merge then ToParam give: on maps sharing no key, some keys,
// scalars over maps and maps over scalars, maps merged key by key, and on both sides of the
// hash index.
using Members = std::vector<std::pair<std::string_view, std::string_view>>;

Node Tree(const Members& members) {
  // Each member: key and value; a value "{k1,k2}" is a map of those keys (values "n").
  Node map = Node::Map();
  for (const auto& [key, value] : members) {
    if (value.starts_with('{')) {
      Node inner = Node::Map();
      std::string_view keys = value.substr(1, value.size() - 2);
      while (!keys.empty()) {
        const size_t comma = keys.find(',');
        inner.Append(std::string(keys.substr(0, comma)), Node(Param::Kind::kString, "n"));
        keys = comma == std::string_view::npos ? "" : keys.substr(comma + 1);
      }
      map.Append(std::string(key), std::move(inner));
    } else {
      map.Append(std::string(key), Node(Param::Kind::kString, std::string(value)));
    }
  }
  return map;
}

std::string DumpParam(const Param& p) {
  if (!p.is_map()) return p.text;
  std::string out = "{";
  for (const auto& [key, value] : p.members)
    out.append(key).append(":").append(DumpParam(value)).append(",");
  return out.append("}");
}

TEST(MergedParam, IsMergeThenToParam) {
  const std::pair<Members, Members> cases[] = {
      {{}, {}},
      {{}, {{"a", "1"}}},
      {{{"a", "1"}}, {}},
      {{{"ks", "k"}, {"format", "1"}}, {{"service", "s"}, {"action", "a"}}},
      {{{"a", "1"}, {"b", "2"}, {"c", "3"}}, {{"d", "4"}, {"b", "u"}, {"e", "5"}}},
      {{{"a", "{x,y}"}, {"b", "{x}"}, {"c", "3"}}, {{"b", "u"}, {"c", "{z}"}, {"a", "{y,z}"}}},
      {{{"f", "{}"}}, {{"f", "{p}"}, {"g", "{}"}}},
  };
  for (const auto& [dst_members, src_members] : cases) {
    Node merged = Tree(dst_members);
    Merge(&merged, Tree(src_members));
    const std::string want = DumpParam(ToParam(std::move(merged)));
    Param got = MergedParam(Tree(dst_members), Tree(src_members));
    EXPECT_EQ(DumpParam(got), want);
    EXPECT_LE(got.members.capacity(), dst_members.size() + src_members.size());
  }
}

TEST(MergedParam, AgreesAcrossTheHashIndex) {
  Node dst = Node::Map();
  Node src = Node::Map();
  for (size_t i = 0; i < 4 * kIndexThreshold; ++i) {
    if (i % 2 == 0) dst.Append(Key(i), Node(Param::Kind::kString, "d"));
    if (i % 3 == 0) src.Append(Key(i), Node(Param::Kind::kString, "s"));
  }
  ASSERT_NE(dst.index, nullptr);
  ASSERT_NE(src.index, nullptr);
  Node merged = Node::Map();
  Merge(&merged, Clone(dst));
  Merge(&merged, Clone(src));
  EXPECT_EQ(DumpParam(MergedParam(std::move(dst), std::move(src))),
            DumpParam(ToParam(std::move(merged))));
}

// --- URL ------------------------------------------------------------------------------------

TEST(UrlRoom, OnePerQueryPieceAndOnePerPathPair) {
  EXPECT_EQ(UrlRoom("", ""), 0u);
  EXPECT_EQ(UrlRoom("ks=abc&format=1", "/api_v3/service/media/action/list"), 4u);
  EXPECT_EQ(UrlRoom("", "/api_v3/service/s/action/a/ks"), 3u);
  EXPECT_EQ(UrlRoom("a&&b&", "/"), 2u);
  EXPECT_EQ(UrlRoom("", "service/s"), 1u);
  EXPECT_EQ(UrlRoom("", "//a//b//"), 1u);
}

TEST(UrlRoom, NoneForSeparatorsAlone) {
  EXPECT_EQ(UrlRoom(Repeat("&", 1'000'000), Repeat("/", 1'000'000)), 0u);
}

TEST(UrlRoom, StopsAtItsBound) {
  EXPECT_EQ(UrlRoom(Repeat("a=1&", 1000), ""), kUrlRoom);
  EXPECT_EQ(UrlRoom("", Repeat("/k/v", 1000)), kUrlRoom);
  EXPECT_EQ(UrlRoom(Repeat("a=1&", 10), Repeat("/k/v", 10)), kUrlRoom);
}

TEST(ParseUrl, MakesRoomForTheMembersAtOnce) {
  const DecodeLimits limits;
  Decoder decoder(limits);
  Node url = Node::Map();
  ASSERT_TRUE(decoder.ParseUrl("ks=abc&format=1", "/api_v3/service/media/action/list", &url));
  EXPECT_EQ(url.members.size(), 4u);
  EXPECT_EQ(url.members.capacity(), 4u);
}

TEST(ParseUrl, MemoryFollowsMembersNotSeparatorsOrRepeats) {
  const DecodeLimits limits;
  {
    Decoder decoder(limits);
    Node url = Node::Map();
    ASSERT_TRUE(decoder.ParseUrl(Repeat("&", 1'000'000), Repeat("/", 1'000'000), &url));
    EXPECT_EQ(url.members.capacity(), 0u);
  }
  {
    Decoder decoder(limits);
    Node url = Node::Map();
    ASSERT_TRUE(decoder.ParseUrl(Repeat("a=1&", limits.max_params / 2),
                                 Repeat("/a/2", limits.max_params / 2), &url));
    EXPECT_EQ(url.members.size(), 1u);
    EXPECT_LE(url.members.capacity(), kUrlRoom);
  }
  {
    Decoder decoder(limits);
    Node url = Node::Map();
    ASSERT_TRUE(decoder.ParseUrl(Repeat("a[b][c][d]=1&", 100), "/", &url));
    ASSERT_EQ(url.members.size(), 1u);
    EXPECT_LE(url.members.capacity(), kUrlRoom);
    ExpectExactRoom(url.members[0].second, "a");
  }
}

// --- nested maps ----------------------------------------------------------------------------

TEST(Decoder, NestedOneKeyMapsHoldRoomForOneMember) {
  const DecodeLimits limits;
  Decoder decoder(limits);
  Request request;
  request.content_type = "application/json";
  request.body = R"({"a":{"b":{"c":[{"d":{"e":[1]}}]}},"f":{"g":{}}})";
  Node body = Node::Map();
  ASSERT_TRUE(decoder.ParseBody(request, &body));
  // The body's own object has room for a request's few parameters at once (kJsonRootRoom).
  EXPECT_EQ(body.members.size(), 2u);
  EXPECT_EQ(body.members.capacity(), kJsonRootRoom);
  for (const auto& [key, member] : body.members) ExpectExactRoom(member, key);

  // A short body gets no more room than its text could fill: one member per six bytes.
  for (const auto& [text, room] :
       {std::pair<std::string, size_t>{"{}", 0}, {R"({"a":1})", 1}, {R"({"a":1,"b":2})", 2}}) {
    request.body = text;
    Node short_body = Node::Map();
    ASSERT_TRUE(decoder.ParseBody(request, &short_body)) << text;
    EXPECT_EQ(short_body.members.capacity(), room) << text;
  }

  Node flat = Node::Map();
  flat.Append("a:b:c:d", Node(Param::Kind::kString, "1"));
  flat.Append("x:y:-", Node(Param::Kind::kString, ""));
  Node grouped = Node::Map();
  ASSERT_TRUE(decoder.Group(std::move(flat), &grouped, 0));
  ExpectExactRoom(grouped, "");
}

// --- the flat JSON way ------------------------------------------------------------------------

Request JsonPost(std::string target, std::string body) {
  return params_test::Post(std::move(target), "application/json", std::move(body));
}

// Whether Decoder::FlatJsonParams takes `r` (the URL read as DecodeRequestParams reads it).
bool TakenFlat(const Request& r, const DecodeLimits& limits = {}) {
  const std::string_view target = r.target;
  const size_t question = target.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  Decoder decoder(limits);
  Node url = Node::Map();
  if (!decoder.ParseUrl(query, target.substr(0, question), &url)) return false;
  return decoder.FlatJsonParams(r, url).has_value();
}

// The same tree: kinds, texts, keys and their order.
void ExpectSameParam(const Param& a, const Param& b, const std::string& where) {
  EXPECT_EQ(a.kind, b.kind) << where;
  EXPECT_EQ(a.text, b.text) << where;
  ASSERT_EQ(a.members.size(), b.members.size()) << where;
  for (size_t i = 0; i < a.members.size(); ++i) {
    EXPECT_EQ(a.members[i].first, b.members[i].first) << where;
    ExpectSameParam(a.members[i].second, b.members[i].second,
                    std::string(where).append("/").append(a.members[i].first));
  }
}

// DecodeRequestParams (with its flat way) gives what the builder's tree gives: the same Param,
// or the same error.
void ExpectBothWaysAgree(const Request& r, const DecodeLimits& limits = {}) {
  const Result<Param, ApiError> usual = DecodeRequestParams(r, limits);
  const Result<Param, ApiError> full = DecodeInFull(r, limits);
  ASSERT_EQ(usual.ok(), full.ok()) << r.target << " " << r.body;
  if (!usual.ok()) {
    EXPECT_EQ(usual.error().code, full.error().code) << r.body;
    EXPECT_EQ(usual.error().args, full.error().args) << r.body;
    return;
  }
  ExpectSameParam(*usual, *full, r.target + " " + r.body);
}

const char kPath[] = "/api_v3/service/apptoken/action/startSession";

TEST(FlatJson, TakesAFlatBodyUnderAPathsServiceAndAction) {
  const std::vector<Request> taken = {
      JsonPost(kPath, R"({"ks":"djJ8MXx","id":"0_abc","tokenHash":"ff00","format":1})"),
      JsonPost(kPath, R"({})"),
      JsonPost(kPath, " \n{\"a\":null,\"b\":true,\"c\":false,\"d\":-1.5e3,\"e\":\"\\u00e9\\n\"}\t"),
      JsonPost(kPath, R"({"service":"other","action":"x","z":"1"})"),  // the URL's win
      JsonPost(std::string(kPath) + "?format=2&ks=q", R"({"ks":"body","x":"1"})"),
      JsonPost(std::string(kPath) + "?a[b]=1&a[c]=2", R"({"a":"scalar","b":"2"})"),
      JsonPost(kPath, R"({"0":"digits","__null":"x","a__null":"1"})"),
      params_test::Post(kPath, "Application/JSON; charset=utf-8", R"({"a":"1"})"),
      // Objects of scalars in the body's (an appToken.add's appToken, a filter, a pager).
      JsonPost(kPath, R"({"ks":"k","appToken":{"objectType":"KalturaAppToken","hashType":"SHA256",)"
                      R"("sessionDuration":3600,"description":null},"format":1})"),
      JsonPost(kPath, R"({"filter":{"statusEqual":2},"pager":{"pageSize":30,"pageIndex":2}})"),
      JsonPost(kPath, R"({"a":{"a":"inner","b":true},"b":{"a":"2"}})"),  // keys again, elsewhere
      JsonPost(kPath, R"({"a":{"x":"1"},"b":"2"})"),
      JsonPost(kPath, R"({"a":{"x":"{not an object}"}})"),
      JsonPost(kPath, R"({"a0":{"x":"1"},"0a":{"y":"2"}})"),  // keys with digits, not all digits
      // The URL's scalar over the body's object and the URL's map over the body's scalar.
      JsonPost(std::string(kPath) + "?a=url", R"({"a":{"x":"1"},"b":"2"})"),
      JsonPost(std::string(kPath) + "?b[x]=url", R"({"a":{"x":"1"},"b":"2"})"),
  };
  for (const Request& r : taken) {
    EXPECT_TRUE(TakenFlat(r)) << r.body;
    ExpectBothWaysAgree(r);
  }
}

TEST(FlatJson, LeavesEveryOtherRequestToTheFullWayWhichDecidesAlike) {
  std::string many = "{";
  for (size_t i = 0; i <= kIndexThreshold; ++i) {
    many += (i > 0 ? ",\"" : "\"") + Key(i) + "\":" + std::to_string(i);
  }
  many += "}";
  const std::vector<Request> declined = {
      JsonPost(kPath, R"({"a":"{b}","c":"[d]"})"),    // brackets in strings: the full way too
      JsonPost(kPath, R"({"a":{"b":{"c":1}}})"),      // an object in an object in the body's
      JsonPost(kPath, R"({"a":[1,2]})"),              // an array
      JsonPost(kPath, R"({"a":{"b":[1]}})"),          // an array in an object
      JsonPost(kPath, R"({"a":{}})"),                 // an empty one, which counts
      JsonPost(kPath, R"({"a":{},"b":"1"})"),         // likewise, before more members
      JsonPost(kPath, R"({"a":"1","a":"2"})"),        // a key twice
      JsonPost(kPath, R"({"a":{"b":"1","b":"2"}})"),  // a key twice in an object
      JsonPost(kPath, R"({"a":{"b":"1"},"a":"2"})"),  // an object's key again
      JsonPost(kPath, R"({"a:b":"1"})"),              // a key to group
      JsonPost(kPath, R"({"-":"1"})"),                // likewise
      JsonPost(kPath, R"({"a":{"b:c":"1"}})"),        // likewise, in an object
      JsonPost(kPath, R"({"a":{"-":"1"}})"),          // likewise
      JsonPost(kPath, R"({"1":{"service":"session","action":"get"}})"),  // a multirequest item
      JsonPost(kPath, R"({"a":{"b":"1"}} x)"),      // something after the object
      JsonPost(kPath, R"({"a":{"b":"1"})"),         // cut short
      JsonPost(kPath, "{\"a\":{\"b\":\"\xff\"}}"),  // not UTF-8 in an object
      JsonPost(std::string(kPath) + "?a[y]=url", R"({"a":{"x":"1"}})"),  // two maps to merge
      JsonPost(kPath, many),                                      // past the index's threshold
      JsonPost(kPath, "{\"a\":\"\xff\"}"),                        // not UTF-8
      JsonPost(kPath, "{\"\xc3\":\"1\"}"),                        // a key not UTF-8
      JsonPost(kPath, R"({"a":"\udc00"})"),                       // a lone surrogate
      JsonPost(kPath, R"({"a":"1"} x)"),                          // something after the object
      JsonPost(kPath, std::string(R"({"a":"1"})") + '\0' + "x"),  // a NUL, then more
      JsonPost(kPath, R"({"a":)"),                                // cut short
      JsonPost(kPath, R"([1,2])"),                                // not an object: no params
      params_test::Post(kPath, "text/plain", R"({"a":"1"})"),     // not JSON
      JsonPost(std::string(kPath) + "/a:b/1", R"({"a":"1"})"),    // the URL needs grouping
      JsonPost(std::string(kPath) + "?1[x]=y", R"({"a":"1"})"),   // a multirequest item
      JsonPost(kPath, "{\"a\":\"" + std::string(20'000, 'x') + "\"}"),  // past the thread's room
  };
  for (const Request& r : declined) {
    EXPECT_FALSE(TakenFlat(r)) << r.body;
    ExpectBothWaysAgree(r);
  }
}

TEST(FlatJson, LimitsAreTheFullWays) {
  const Request body =
      JsonPost(std::string(kPath) + "?f=1", R"({"a":"1","b":"2","longerkey":"3"})");
  // service, action, f and the body's three: the sixth parameter is the last allowed; the
  // URL's "service" fits in 8 bytes, the body's "longerkey" does not.
  const std::pair<DecodeLimits, bool> cases[] = {
      {{.max_params = 6}, true},      {{.max_params = 5}, false}, {{.max_key_length = 9}, true},
      {{.max_key_length = 8}, false}, {{.max_depth = 0}, false},
  };
  for (const auto& [limits, taken] : cases) {
    EXPECT_EQ(TakenFlat(body, limits), taken) << limits.max_params << " " << limits.max_key_length;
    ExpectBothWaysAgree(body, limits);
  }
}

TEST(FlatJson, AnObjectsMembersCountAndNestAsInTheFullWay) {
  const Request body = JsonPost(kPath, R"({"a":"1","o":{"b":"2","longerkey":"3"}})");
  // service, action, a and the object's two (the object itself is no parameter); its members
  // are at level 2.
  const std::pair<DecodeLimits, bool> cases[] = {
      {{.max_params = 5}, true},      {{.max_params = 4}, false}, {{.max_key_length = 9}, true},
      {{.max_key_length = 8}, false}, {{.max_depth = 2}, true},   {{.max_depth = 1}, false},
  };
  for (const auto& [limits, taken] : cases) {
    EXPECT_EQ(TakenFlat(body, limits), taken)
        << limits.max_params << " " << limits.max_key_length << " " << limits.max_depth;
    ExpectBothWaysAgree(body, limits);
  }
  // More parameters than the limit, all of them in an object: refused alike.
  std::string many = R"({"o":{)";
  for (size_t i = 0; i < 20; ++i) {
    many += (i > 0 ? ",\"" : "\"") + Key(i) + "\":" + std::to_string(i);
  }
  many += "}}";
  ExpectBothWaysAgree(JsonPost(kPath, many), {.max_params = 10});
}

// The URL's keys, some new to the body and some in it, over bodies of every size the flat way
// takes (past the room it reserves): the body's members taken over stay found as the new keys
// are appended (a pointer kept across the appends would dangle where one reallocates: ASan's
// build sees it).
TEST(FlatJson, TheUrlsKeysGoOverBodiesOfEverySize) {
  for (size_t n = 0; n <= kIndexThreshold; ++n) {
    std::string body = "{";
    for (size_t i = 0; i < n; ++i) {
      body += (i > 0 ? ",\"" : "\"") + Key(i) + "\":\"body\"";
    }
    body += "}";
    const std::string last = n > 0 ? Key(n - 1) : "x";
    const Request r = JsonPost(std::string(kPath) + "?new1=u&new2=u&" + last + "=url", body);
    ASSERT_TRUE(TakenFlat(r)) << n;
    ExpectBothWaysAgree(r);
    const Result<Param, ApiError> params = DecodeRequestParams(r, {});
    ASSERT_TRUE(params.ok()) << n;
    EXPECT_EQ(params->ScalarAt(last), "url") << n;
  }
}

TEST(FlatJson, AnObjectsMembersKeepTheirOrderUnderItsKey) {
  const Request r =
      JsonPost(std::string(kPath) + "?z=url",
               R"({"ks":"k","appToken":{"hashType":"SHA1","description":"d"},"f":1})");
  ASSERT_TRUE(TakenFlat(r));
  const Result<Param, ApiError> params = DecodeRequestParams(r, {});
  ASSERT_TRUE(params.ok());
  std::vector<std::string> keys;
  for (const auto& [key, value] : params->members) keys.push_back(key);
  EXPECT_THAT(keys, ::testing::ElementsAre("ks", "appToken", "f", "z", "service", "action"));
  const Param* token = params->Find("appToken");
  ASSERT_NE(token, nullptr);
  ASSERT_TRUE(token->is_map());
  ASSERT_EQ(token->members.size(), 2u);
  EXPECT_EQ(token->members[0].first, "hashType");
  EXPECT_EQ(token->ScalarAt("hashType"), "SHA1");
  EXPECT_EQ(token->ScalarAt("description"), "d");
}

TEST(FlatJson, TheUrlsMembersGoOverTheBodysInMergesOrder) {
  const Request r = JsonPost(std::string(kPath) + "?z=url&b=url", R"({"a":"1","b":"body","c":2})");
  ASSERT_TRUE(TakenFlat(r));
  const Result<Param, ApiError> params = DecodeRequestParams(r, {});
  ASSERT_TRUE(params.ok());
  std::vector<std::string> keys;
  for (const auto& [key, value] : params->members) keys.push_back(key);
  EXPECT_THAT(keys, ::testing::ElementsAre("a", "b", "c", "z", "service", "action"));
  EXPECT_EQ(params->ScalarAt("b"), "url");
  EXPECT_EQ(params->Find("c")->kind, Param::Kind::kNumber);
}

}  // namespace
}  // namespace ksgate::api::decoding
