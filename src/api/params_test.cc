#include "api/params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "api/params_test_util.h"
#include "api/utf8.h"
#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::IsOk;
using params_test::Decoded;
using params_test::DecodeError;
using params_test::Dump;
using params_test::Get;
using params_test::LimitError;
using params_test::Multipart;
using params_test::Post;
using ::testing::Not;

// --- URL forms (§1.2, §1.3) -----------------------------------------------------------------

TEST(DecodeRequestParams, PathFormGivesGenericPairs) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/media/action/get/entryId/0_abc/format/1")),
            R"({service:"media",action:"get",entryId:"0_abc",format:"1"})");
}

TEST(DecodeRequestParams, PathFormKeepsItsQueryString) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/session/action/get?format=1&ks=abc")),
            R"({format:"1",ks:"abc",service:"session",action:"get"})");
}

TEST(DecodeRequestParams, IndexPhpQueryForm) {
  EXPECT_EQ(Decoded(Get("/api_v3/index.php?service=session&action=start&secret=s3")),
            R"({service:"session",action:"start",secret:"s3"})");
}

TEST(DecodeRequestParams, DirectoryIndexQueryForm) {
  EXPECT_EQ(Decoded(Get("/api_v3/?service=system&action=ping")),
            R"({service:"system",action:"ping"})");
}

TEST(DecodeRequestParams, IndexPhpPathForm) {
  EXPECT_EQ(Decoded(Get("/api_v3/index.php/service/appToken/action/list")),
            R"({service:"appToken",action:"list"})");
}

TEST(DecodeRequestParams, ShortApiFormIsTheSameScript) {
  EXPECT_EQ(Decoded(Get("/api/service/appToken/action/get/id/0_x")),
            R"({service:"appToken",action:"get",id:"0_x"})");
}

TEST(DecodeRequestParams, MultirequestPathHasNoAction) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/multirequest")), R"({service:"multirequest"})");
}

TEST(DecodeRequestParams, TrailingPathKeyWithoutValueIsEmpty) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/s/action/a/ks")), R"({service:"s",action:"a",ks:""})");
  EXPECT_EQ(Decoded(Get("/api_v3/service/s/action/a/ks/")), R"({service:"s",action:"a",ks:""})");
}

TEST(DecodeRequestParams, FirstPathOccurrenceWins) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/first/action/a/service/second")),
            R"({service:"first",action:"a"})");
}

TEST(DecodeRequestParams, PathPairsReplaceQueryKeysInPlaceAndTheFirstPairWins) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/p1/y/p2/service/p3/z/p4/y/p5/z/p6"
                        "?service=q&y[a]=1&x=q")),
            R"({service:"p1",y:"p2",x:"q",z:"p4"})");
  EXPECT_EQ(Decoded(Get("/api_v3/service?service=q&x=1")), R"({service:"",x:"1"})");
}

TEST(DecodeRequestParams, RepeatedPathKeysCountAgainstMaxParams) {
  DecodeLimits limits;
  limits.max_params = 3;
  EXPECT_EQ(Decoded(Get("/api_v3/a/1/a/2/a/3"), limits), R"({a:"1"})");
  EXPECT_EQ(DecodeError(Get("/api_v3/a/1/a/2/a/3/a/4"), limits), LimitError("max_params", "3"));
  EXPECT_EQ(DecodeError(Get("/api_v3/a/1/a/2/a/3?a=q"), limits), LimitError("max_params", "3"));
}

TEST(DecodeRequestParams, PathSegmentsAreComparedDecoded) {
  EXPECT_EQ(Decoded(Get("/%61pi_v3/service/s/index%2Ephp/action/a")),
            R"({service:"s",action:"a"})");
  EXPECT_EQ(Decoded(Get("/%61pi/service/s")), R"({service:"s"})");
  EXPECT_EQ(Decoded(Get("/x/api/y")), R"({x:"api",y:""})");
  EXPECT_EQ(Decoded(Get("/api_v3/a%2Fb/x%20y%/%30/v")), R"({a/b:"x y%"})");
  EXPECT_EQ(Decoded(Get("/api_v3/service/0/action/a")), R"({service:"0",action:"a"})");
}

TEST(DecodeRequestParams, PathStopsAtAZeroKey) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/s/0/x/action/a")), R"({service:"s"})");
}

TEST(DecodeRequestParams, EmptyAndScriptSegmentsAreDroppedFromThePath) {
  EXPECT_EQ(Decoded(Get("/api_v3//service//s/index.php/action/a")), R"({service:"s",action:"a"})");
}

TEST(DecodeRequestParams, PathSegmentsArePercentDecodedButPlusStays) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/s/action/a/name/a%20b+c/filter%3AidIn/x")),
            R"({service:"s",action:"a",name:"a b+c",filter:{idIn:"x"}})");
}

TEST(DecodeRequestParams, PathBeatsQueryBeatsBody) {
  Request r = Post("/api_v3/service/fromPath?service=fromQuery&x=fromQuery",
                   "application/x-www-form-urlencoded", "service=fromBody&x=fromBody&y=fromBody");
  EXPECT_EQ(Decoded(r), R"({service:"fromPath",x:"fromQuery",y:"fromBody"})");
}

TEST(DecodeRequestParams, GetAndPostAreTreatedAlike) {
  Request r = Post("/api_v3/service/s/action/a", "application/json", R"({"id":"1"})");
  r.method = "GET";
  EXPECT_EQ(Decoded(r), R"({id:"1",service:"s",action:"a"})");
}

// --- JSON bodies (§2.1, §2.4) ---------------------------------------------------------------

TEST(DecodeRequestParams, JsonBodyKeepsNestingAndTypes) {
  Request r = Post("/api_v3/service/apptoken/action/add", "application/json",
                   R"({"appToken":{"objectType":"KalturaAppToken","sessionType":0,)"
                   R"("description":"demo"},"format":1,"ok":true,"no":false,"gone":null,)"
                   R"("big":1e3,"neg":-0.5})");
  EXPECT_EQ(Decoded(r),
            R"({appToken:{objectType:"KalturaAppToken",sessionType:0,description:"demo"},)"
            R"(format:1,ok:true,no:false,gone:null,big:1e3,neg:-0.5,)"
            R"(service:"apptoken",action:"add"})");
}

TEST(DecodeRequestParams, JsonParamKindsAreExact) {
  Result<Param, ApiError> r = DecodeRequestParams(
      Post("/", "application/json", R"({"s":"1","n":1,"b":true,"z":null,"m":{}})"), {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->Find("s")->kind, Param::Kind::kString);
  EXPECT_EQ(r->Find("n")->kind, Param::Kind::kNumber);
  EXPECT_EQ(r->Find("b")->kind, Param::Kind::kBool);
  EXPECT_EQ(r->Find("z")->kind, Param::Kind::kNull);
  EXPECT_EQ(r->Find("m")->kind, Param::Kind::kMap);
}

TEST(DecodeRequestParams, JsonArraysBecomeMapsKeyedByIndex) {
  Request r = Post("/", "application/json", R"({"a":["x",{"k":"v"},[]],"e":[]})");
  EXPECT_EQ(Decoded(r), R"({a:{0:"x",1:{k:"v"},2:{}},e:{}})");
}

TEST(DecodeRequestParams, JsonDuplicateKeyLastValueWinsInFirstPlace) {
  Request r = Post("/", "application/json", R"({"a":"1","b":"2","a":{"c":"3"}})");
  EXPECT_EQ(Decoded(r), R"({a:{c:"3"},b:"2"})");
}

TEST(DecodeRequestParams, JsonDuplicateArrayKeyStartsAfresh) {
  Request r = Post("/", "application/json", R"({"a":[1,2],"b":[[3]],"a":["x"],"b":[]})");
  EXPECT_EQ(Decoded(r), R"({a:{0:"x"},b:{}})");
}

TEST(DecodeRequestParams, JsonUnicodeEscapesBecomeUtf8) {
  Request r = Post("/", "application/json", R"({"a":"\u00e9\ud83d\ude00\/"})");
  EXPECT_EQ(Decoded(r), "{a:\"\xC3\xA9\xF0\x9F\x98\x80/\"}");
}

// The body is parsed in place (each string unescaped where it is): escapes that shorten keys
// and values one after another, numbers between them, leave every later value intact.
TEST(DecodeRequestParams, JsonStringsUnescapedInPlaceLeaveTheRestIntact) {
  Request r = Post("/", "application/json",
                   R"({"k\u0041":"a\"b\\c","n":-1.5e3,"l":["\u00e9x",2,"\/\/"],"z\n":"tail"})");
  EXPECT_EQ(Decoded(r), "{kA:\"a\"b\\c\",n:-1.5e3,l:{0:\"\xC3\xA9x\",1:2,2:\"//\"},z\n:\"tail\"}");
}

TEST(DecodeRequestParams, JsonKeysAreVerbatim) {
  Request r = Post("/", "application/json", R"({"a.b c":"1","x[y]":"2"})");
  EXPECT_EQ(Decoded(r), R"({a.b c:"1",x[y]:"2"})");
}

TEST(DecodeRequestParams, JsonContentTypeMayHaveParametersAndAnyCase) {
  for (const char* type : {"application/json; charset=utf-8", "Application/JSON",
                           "application/json;charset=UTF-8", " application/json "}) {
    EXPECT_EQ(Decoded(Post("/", type, R"({"a":"1"})")), R"({a:"1"})") << type;
  }
}

TEST(DecodeRequestParams, JsonBodyIsTrimmedFirst) {
  EXPECT_EQ(Decoded(Post("/", "application/json", " \r\n\t{\"a\":\"1\"}\n ")), R"({a:"1"})");
}

TEST(DecodeRequestParams, JsonBodyThatIsNotAnObjectGivesNoParams) {
  for (const char* body : {"", "[1,2]", "\"x\"", "42", "null", "x{}", "[{}]"}) {
    EXPECT_EQ(Decoded(Post("/?q=1", "application/json", body)), R"({q:"1"})") << body;
  }
}

TEST(DecodeRequestParams, MalformedJsonObjectIsInvalidJson) {
  for (const char* body :
       {"{\"a\":}", "{\"a\":", "{\"a\":1", "{", "{a:1}", "{\"a\":1,}", "{\"a\":1}x}", "{\"a\":1}x",
        "{\"a\":01}", "{\"a\":\"\x01\"}", "{} {}", "{\"a\":NaN}"}) {
    EXPECT_EQ(DecodeError(Post("/", "application/json", body)).code, "INVALID_JSON") << body;
  }
}

TEST(DecodeRequestParams, InvalidJsonErrorNamesTheReason) {
  ApiError e = DecodeError(Post("/", "application/json", "{\"a\":}"));
  ASSERT_EQ(e.args.size(), 1u);
  EXPECT_EQ(e.args[0].first, "REASON");
  EXPECT_NE(e.args[0].second.find("Invalid value"), std::string::npos) << e.args[0].second;
  EXPECT_EQ(e.message, "The request body is not valid JSON: " + e.args[0].second);
}

TEST(DecodeRequestParams, JsonWithNulBeforeTrailingGarbageIsInvalidJson) {
  std::string body("{\"a\":1}\0}", 9);
  EXPECT_EQ(DecodeError(Post("/", "application/json", body)).code, "INVALID_JSON");
}

TEST(DecodeRequestParams, InvalidUtf8InJsonIsInvalidJson) {
  for (std::string body : {std::string("{\"a\":\"\xFF\"}"),          // not UTF-8 at all
                           std::string("{\"a\":\"\xC0\x80\"}"),      // overlong NUL
                           std::string("{\"a\":\"\xED\xA0\x80\"}"),  // encoded surrogate
                           std::string("{\"a\":\"\xE2\x82\"}"),      // truncated
                           std::string("{\"\xFF\":\"a\"}"),          // in a key
                           std::string("{\"a\":\"\\udc00\"}"),       // lone low surrogate
                           std::string("{\"a\":\"\\ud800x\"}")}) {   // lone high surrogate
    EXPECT_EQ(DecodeError(Post("/", "application/json", body)).code, "INVALID_JSON") << body;
  }
}

TEST(DecodeRequestParams, JsonBodyMergesUnderFlatUrlKeys) {
  Request r =
      Post("/api_v3/service/apptoken/action/add?appToken:description=fromUrl", "application/json",
           R"({"appToken":{"objectType":"KalturaAppToken","description":"fromBody"}})");
  EXPECT_EQ(Decoded(r), R"({appToken:{objectType:"KalturaAppToken",description:"fromUrl"},)"
                        R"(service:"apptoken",action:"add"})");
}

TEST(DecodeRequestParams, UrlBracketMapsMergeIntoJsonMapsKeyByKey) {
  Request r = Post("/?filter[idIn]=fromUrl&filter[pager][size]=5", "application/json",
                   R"({"filter":{"idIn":"fromBody","statusEqual":2,"pager":{"index":1}}})");
  EXPECT_EQ(Decoded(r), R"({filter:{idIn:"fromUrl",statusEqual:2,pager:{index:1,size:"5"}}})");
}

TEST(DecodeRequestParams, UrlScalarReplacesBodyMap) {
  Request r = Post("/?filter=x", "application/json", R"({"filter":{"a":"1"}})");
  EXPECT_EQ(Decoded(r), R"({filter:"x"})");
}

TEST(DecodeRequestParams, UrlMapsMergeIntoEmptyBodiesAndEmptyBodyMaps) {
  EXPECT_EQ(Decoded(Post("/?a[b]=1&a[]=2", "application/json", "{}")), R"({a:{b:"1",0:"2"}})");
  EXPECT_EQ(Decoded(Post("/?a[b]=1", "application/json", R"({"a":{},"c":[]})")),
            R"({a:{b:"1"},c:{}})");
  EXPECT_EQ(Decoded(Post("/?a[b]=1", "application/json", R"({"c":1,"a":[]})")),
            R"({c:1,a:{b:"1"}})");
}

TEST(DecodeRequestParams, UrlMergesIntoALargeBodyKeyByKey) {
  // More members than a linear scan serves on both sides: body keys keep their places, URL
  // values replace theirs, new URL keys follow in URL order.
  // Built by append: "literal" + std::string trips GCC 12's -Wrestrict at -O3.
  std::string body = "{";
  std::string query = "/?k35=u";
  std::string want = "{";
  for (int i = 0; i < 40; ++i) {
    const std::string k = std::string("k").append(std::to_string(i));
    body.append(i > 0 ? "," : "").append("\"").append(k).append("\":\"b\"");
    want.append(i > 0 ? "," : "").append(k).append(i == 0 || i == 35 ? ":\"u\"" : ":\"b\"");
  }
  for (int i = 0; i < 40; ++i) {
    query.append("&n").append(std::to_string(i)).append("=u");
    want.append(",n").append(std::to_string(i)).append(":\"u\"");
  }
  query += "&k0=u&n39=last";
  want.replace(want.rfind("\"u\""), 3, "\"last\"");
  EXPECT_EQ(Decoded(Post(query, "application/json", body + "}")), want + "}");
}

// --- form and multipart bodies --------------------------------------------------------------

TEST(DecodeRequestParams, FormBodyIsParsedLikeAQueryString) {
  Request r = Post("/api_v3/service/s/action/a", "application/x-www-form-urlencoded; charset=UTF-8",
                   "ks=abc&filter%3AidIn=1%2C2&name=a+b");
  EXPECT_EQ(Decoded(r), R"({ks:"abc",filter:{idIn:"1,2"},name:"a b",service:"s",action:"a"})");
}

TEST(DecodeRequestParams, FormMediaTypeInAnyCase) {
  for (const char* type : {"application/x-www-form-urlencoded", "APPLICATION/X-WWW-FORM-URLENCODED",
                           "Application/x-www-form-urlencoded ; charset=UTF-8"}) {
    EXPECT_EQ(Decoded(Post("/", type, "a=1")), R"({a:"1"})") << type;
  }
}

TEST(DecodeRequestParams, OtherContentTypesGiveNoBodyParams) {
  for (const char* type : {"", "text/plain", "application/jsonx", "application/xml"}) {
    EXPECT_EQ(Decoded(Post("/?q=1", type, "{\"a\":\"1\"}")), R"({q:"1"})") << type;
  }
}

TEST(DecodeRequestParams, MultipartJsonFieldIsTheBody) {
  std::string body = Multipart("XyZ", {{R"(name="other")", "ignored"},
                                       {R"(name="json")", R"({"appToken":{"id":"0_a"},"n":2})"},
                                       {R"(name="fileData"; filename="a.bin")", "\x01\x02"}});
  Request r = Post("/api_v3/service/s/action/a", "multipart/form-data; boundary=XyZ", body);
  EXPECT_EQ(Decoded(r), R"({appToken:{id:"0_a"},n:2,service:"s",action:"a"})");
}

TEST(DecodeRequestParams, MultipartFieldsAreUsedWithoutAJsonField) {
  std::string body = Multipart("b0undary", {{R"(name="ks")", "abc"},
                                            {R"(name="filter:idIn")", "1,2"},
                                            {R"(name="a.b[c]")", "x y+z%20"},
                                            {R"(name="up"; filename="f.txt")", "file body"}});
  Request r = Post("/", "Multipart/Form-Data; boundary=\"b0undary\"", body);
  EXPECT_EQ(Decoded(r), R"({ks:"abc",filter:{idIn:"1,2"},a_b:{c:"x y+z%20"}})");
}

TEST(DecodeRequestParams, MultipartJsonFieldThatIsNotAnObjectLeavesTheFields) {
  std::string body = Multipart("B", {{R"(name="json")", "[1]"}, {R"(name="ks")", "k"}});
  EXPECT_EQ(Decoded(Post("/", "multipart/form-data; boundary=B", body)), R"({json:"[1]",ks:"k"})");
}

TEST(DecodeRequestParams, MultipartEmptyJsonObjectLeavesTheFields) {
  std::string body = Multipart("B", {{R"(name="json")", " {} "}, {R"(name="ks")", "k"}});
  EXPECT_EQ(Decoded(Post("/", "multipart/form-data; boundary=B", body)), R"({json:" {} ",ks:"k"})");
}

TEST(DecodeRequestParams, MultipartMalformedJsonFieldIsInvalidJson) {
  std::string body = Multipart("B", {{R"(name="json")", "{\"a\":}"}});
  EXPECT_EQ(DecodeError(Post("/", "multipart/form-data; boundary=B", body)).code, "INVALID_JSON");
}

TEST(DecodeRequestParams, MultipartToleratesPreambleBareLineFeedsAndQuotedNames) {
  std::string body =
      "preamble\r\n--B\nContent-Disposition: form-data; name=\"a\\\"b\"\n\nv1\n"
      "--B\r\ncontent-disposition: form-data; name=plain\r\n\r\nv2\r\n--B--";
  EXPECT_EQ(Decoded(Post("/", "multipart/form-data; boundary=B", body)),
            R"({a"b:"v1",plain:"v2"})");
}

TEST(DecodeRequestParams, MalformedMultipartGivesWhatParsedAndNeverFails) {
  const char* boundary_type = "multipart/form-data; boundary=B";
  EXPECT_EQ(Decoded(Post("/", "multipart/form-data", "--B\r\n")), "{}");  // no boundary
  EXPECT_EQ(Decoded(Post("/", boundary_type, "")), "{}");
  EXPECT_EQ(Decoded(Post("/", boundary_type, "--B")), "{}");
  EXPECT_EQ(
      Decoded(Post("/", boundary_type, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n")),
      "{}");  // headers never end
  EXPECT_EQ(Decoded(Post("/", boundary_type,
                         "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
                         "--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2")),
            R"({a:"1"})");  // the unterminated last part is dropped
  EXPECT_EQ(Decoded(Post("/", boundary_type, "--B\r\n\r\nno disposition\r\n--B--")), "{}");
}

TEST(DecodeRequestParams, MultipartPartsCountAgainstMaxParams) {
  std::string body;
  for (int i = 0; i < 20; ++i) body += "--B\r\nX: y\r\n\r\n\r\n";
  body += "--B--";
  DecodeLimits limits;
  limits.max_params = 10;
  EXPECT_EQ(DecodeError(Post("/", "multipart/form-data; boundary=B", body), limits),
            LimitError("max_params", "10"));
}

// --- grouping (§3.1) ------------------------------------------------------------------------

TEST(DecodeRequestParams, ColonKeysAreGroupedIntoATree) {
  EXPECT_EQ(Decoded(Get("/?filter:idIn=a,b&pager:pageSize=10&filter:orderBy=%2BcreatedAt")),
            R"({filter:{idIn:"a,b",orderBy:"+createdAt"},pager:{pageSize:"10"}})");
}

TEST(DecodeRequestParams, ArraysOfObjectsGroupByIndex) {
  EXPECT_EQ(Decoded(Get("/?arr:0:objectType=KalturaString&arr:0:value=x&arr:1:value=y")),
            R"({arr:{0:{objectType:"KalturaString",value:"x"},1:{value:"y"}}})");
}

TEST(DecodeRequestParams, DashAsLastSegmentMakesAnEmptyArray) {
  EXPECT_EQ(Decoded(Get("/?entry:tags:-=ignored&x:-=")), R"({entry:{tags:{}},x:{}})");
}

TEST(DecodeRequestParams, DashKeepsAMapAlreadyGroupedThere) {
  EXPECT_EQ(Decoded(Get("/?x:a=1&x:-=&y:-=&y:b=2")), R"({x:{a:"1"},y:{b:"2"}})");
}

TEST(DecodeRequestParams, DashReplacesAScalar) {
  EXPECT_EQ(Decoded(Get("/?x=1&x:-=")), R"({x:{}})");
}

TEST(DecodeRequestParams, LoneDashKeySetsNothing) {
  EXPECT_EQ(Decoded(Get("/?-=1&a=2")), R"({a:"2"})");
}

TEST(DecodeRequestParams, FlatKeyTurnsAScalarIntoAMap) {
  EXPECT_EQ(Decoded(Get("/?a=1&a:b=2")), R"({a:{b:"2"}})");
}

TEST(DecodeRequestParams, KeyWithoutColonReplacesWhatWasGroupedThenLaterKeysMerge) {
  EXPECT_EQ(Decoded(Get("/?filter:a=1&filter[b]=2&filter:c=3")), R"({filter:{b:"2",c:"3"}})");
  EXPECT_EQ(Decoded(Get("/?filter:a=1&filter=plain")), R"({filter:"plain"})");
}

TEST(DecodeRequestParams, FlatAndNestedFormsMix) {
  Request r = Post("/?pager:pageSize=5", "application/json",
                   R"({"filter":{"idIn":"a"},"pager":{"pageIndex":2}})");
  EXPECT_EQ(Decoded(r), R"({filter:{idIn:"a"},pager:{pageIndex:2,pageSize:"5"}})");
}

TEST(DecodeRequestParams, NullSuffixKeysAreKeptVerbatim) {
  EXPECT_EQ(Decoded(Get("/?appToken:description__null=&appToken:expiry__null")),
            R"({appToken:{description__null:"",expiry__null:""}})");
  EXPECT_EQ(Decoded(Post("/", "application/json",
                         R"({"appToken":{"objectType":"T","description__null":""}})")),
            R"({appToken:{objectType:"T",description__null:""}})");
}

TEST(DecodeRequestParams, EmptySegmentsAreKeys) {
  EXPECT_EQ(Decoded(Get("/?a::b=1&:c=2")), R"({a:{:{b:"1"}},:{c:"2"}})");
}

TEST(DecodeRequestParams, MultirequestFlatKeysGroupIntoItems) {
  EXPECT_EQ(Decoded(Get("/api_v3/service/multirequest?1:service=apptoken&1:action=get&"
                        "1:id=x&2:service=s&2:filter:idIn=y&ks=k")),
            R"({1:{service:"apptoken",action:"get",id:"x"},2:{service:"s",filter:{idIn:"y"}},)"
            R"(ks:"k",service:"multirequest"})");
}

TEST(DecodeRequestParams, MultirequestJsonItemsHaveTheirOwnKeysGrouped) {
  Request r = Post("/api_v3/service/multirequest?1:filter:b=url", "application/json",
                   R"({"1":{"service":"s","filter:a":"x"},"x:y":{"k:v":"z"}})");
  EXPECT_EQ(Decoded(r), R"({1:{service:"s",filter:{a:"x",b:"url"}},x:{y:{k:v:"z"}},)"
                        R"(service:"multirequest"})");
}

TEST(DecodeRequestParams, MultirequestItemMapReplacesEarlierFlatEntries) {
  Request r = Post("/api_v3/service/multirequest?0:action=get", "application/json",
                   R"({"0":{"service":"s"}})");
  // Body keys come first, so the URL's flat entry merges into the JSON item.
  EXPECT_EQ(Decoded(r), R"({0:{service:"s",action:"get"},service:"multirequest"})");
  EXPECT_EQ(Decoded(Get("/?0:action=get&0[service]=s")), R"({0:{service:"s"}})");
}

TEST(DecodeRequestParams, UrlOutputKeysAnswerALaterError) {
  DecodeLimits limits;
  limits.max_depth = 3;
  // Grouping fails in the URL, in the body, in a multirequest item of the body; the body
  // does not parse. Each time the URL's own output keys come back, grouped.
  const Request requests[] = {
      Get("/?format=1&callback:x=cb&a:b:c:d=1&ignoreNull=1&formats=2"),
      Post("/?format=1&callback:x=cb&ignoreNull=1", "application/json", R"({"a:b:c:d":1})"),
      Post("/?format=1&callback:x=cb&ignoreNull=1", "application/json", R"({"1":{"a:b:c":1}})"),
      Post("/?format=1&callback:x=cb&ignoreNull=1", "application/json", "{"),
  };
  for (const Request& r : requests) {
    Param url_params;
    Result<Param, ApiError> result = DecodeRequestParams(r, limits, &url_params);
    ASSERT_FALSE(result.ok()) << r.target;
    EXPECT_EQ(Dump(url_params), R"({format:"1",callback:{x:"cb"},ignoreNull:"1"})") << r.target;
  }
  Param url_params;
  EXPECT_THAT(DecodeRequestParams(Get("/?a:b:c:d=1"), limits, &url_params), Not(IsOk()));
  EXPECT_EQ(Dump(url_params), "{}");
  // Success leaves them alone.
  Param untouched;
  EXPECT_THAT(DecodeRequestParams(Get("/?format=1&a:b=1"), limits, &untouched), IsOk());
  EXPECT_THAT(DecodeRequestParams(Get("/?format=1"), limits, &untouched), IsOk());
  EXPECT_EQ(untouched.kind, Param::Kind::kNull);
}

// --- PHP key handling (§2.3) ----------------------------------------------------------------

TEST(DecodeRequestParams, BracketKeysNest) {
  EXPECT_EQ(Decoded(Get("/?a[b][c]=1&a[b][d]=2&a[]=x&a[]=y")),
            R"({a:{b:{c:"1",d:"2"},0:"x",1:"y"}})");
}

TEST(DecodeRequestParams, EmptyBracketsAppendAfterTheLargestIntegerKey) {
  EXPECT_EQ(Decoded(Get("/?a[5]=x&a[]=y&a[07]=z&a[]=w")), R"({a:{5:"x",6:"y",07:"z",7:"w"}})");
}

TEST(DecodeRequestParams, BracketOverScalarReplacesIt) {
  EXPECT_EQ(Decoded(Get("/?a=1&a[b]=2")), R"({a:{b:"2"}})");
  EXPECT_EQ(Decoded(Get("/?a[b]=2&a=1")), R"({a:"1"})");
}

TEST(DecodeRequestParams, DotsAndSpacesInNamesBecomeUnderscores) {
  EXPECT_EQ(Decoded(Get("/?a.b=1&c+d=2&e[f.g]=3&%20%20h=4&i.j[k]=5")),
            R"({a_b:"1",c_d:"2",e:{f.g:"3"},h:"4",i_j:{k:"5"}})");
}

TEST(DecodeRequestParams, UnusualBracketNamesFollowPhp) {
  EXPECT_EQ(Decoded(Get("/?x[y.z=1&p[q][r=2&m[n]o=3&[s]=4&t[ u]=5&v[ ]=6")),
            R"({x_y_z:"1",p:{q:"2"},m:{n:"3"},t:{ u:"5"},v:{0:"6"}})");
}

TEST(DecodeRequestParams, NameIsCutAtANulByte) {
  EXPECT_EQ(Decoded(Get("/?a%00b=1&%00c=2")), R"({a:"1"})");
}

TEST(DecodeRequestParams, PlusAndPercentEscapesAreDecoded) {
  EXPECT_EQ(Decoded(Get("/?q=a+b%20c%2Bd%3D%26&na%6De=%C3%A9")),
            "{q:\"a b c+d=&\",name:\"\xC3\xA9\"}");
}

TEST(DecodeRequestParams, MalformedPercentEscapesAreKept) {
  EXPECT_EQ(Decoded(Get("/?a=100%&b=%zz&c=%4&d=%%41&e=%4G")),
            R"({a:"100%",b:"%zz",c:"%4",d:"%A",e:"%4G"})");
}

TEST(DecodeRequestParams, EscapesAreDecodedInTheirOwnPiecesOnly) {
  EXPECT_EQ(Decoded(Get("/?a=x+y&b=plain&n%61me=%41&e=1%&f=%4&g+h=2&i=3+&j=%2")),
            R"({a:"x y",b:"plain",name:"A",e:"1%",f:"%4",g_h:"2",i:"3 ",j:"%2"})");
  EXPECT_EQ(Decoded(Get("/?%=1&+=2&k=v")), R"({%:"1",k:"v"})");
  EXPECT_EQ(Decoded(Get("/?a=%&b=%41&c=+%")), R"({a:"%",b:"A",c:" %"})");
}

TEST(DecodeRequestParams, QueryOfSeparatorsOnly) {
  EXPECT_EQ(Decoded(Get("/?" + std::string(100000, '&'))), "{}");
  EXPECT_EQ(Decoded(Get("/?&&&a=1&&&")), R"({a:"1"})");
}

TEST(DecodeRequestParams, PairsWithoutValueOrNameAndEmptyPairs) {
  EXPECT_EQ(Decoded(Get("/?&&flag&x=&=orphan&&y=1=2&")), R"({flag:"",x:"",y:"1=2"})");
}

TEST(DecodeRequestParams, NoParamsAtAll) {
  EXPECT_EQ(Decoded(Get("/")), "{}");
  EXPECT_EQ(Decoded(Get("")), "{}");
  EXPECT_EQ(Decoded(Get("/api_v3/index.php")), "{}");
}

}  // namespace
}  // namespace ksgate::api
