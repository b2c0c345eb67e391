#include "api/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/matchers.h"

namespace ksgate::api {
namespace {

using ::ksgate::testing::ApiErrorIs;
using ::ksgate::testing::IsOk;
using ::testing::HasSubstr;

OutputFormat Json() { return OutputFormat{Format::kJson, false, ""}; }

constexpr char kLimitError[] =
    "{\"code\":\"REQUEST_LIMIT_EXCEEDED\",\"message\":\"Request exceeds the limit max_answer_size "
    "(maximum 40)\",\"objectType\":\"KalturaAPIException\",\"args\":{\"LIMIT\":"
    "\"max_answer_size\",\"MAX\":\"40\"}}";

TEST(MultiAnswer, UnderItsBoundIsWhatWriteResponseWrites) {
  for (const OutputFormat& format :
       {Json(), OutputFormat{Format::kXml, false, ""}, OutputFormat{Format::kJsonp, false, "cb"}}) {
    std::vector<CallResult> results = {Value::String("a"), Value::Int(2),
                                       ApiError::Of(errors::kServiceForbidden, {"x->y"})};
    MultiAnswer answer(format, 1 << 20);
    for (const CallResult& r : results) static_cast<void>(answer.Add(r));
    Response built = answer.Finish(0.5);
    Response written = WriteResponse(format, results, true, 0.5);
    EXPECT_EQ(built.body, written.body);
    EXPECT_EQ(built.content_type, written.content_type);
    EXPECT_EQ(built.headers, written.headers);
  }
}

TEST(MultiAnswer, AnItemPastTheBoundBecomesRequestLimitExceeded) {
  MultiAnswer answer(Json(), 40);
  EXPECT_THAT(answer.Add(Value::String(std::string(30, 'a'))), IsOk());  // 32 bytes
  EXPECT_THAT(answer.Add(Value::String(std::string(30, 'b'))),
              ApiErrorIs(errors::kRequestTooLarge));
  // A small item still fits after the one that did not.
  EXPECT_THAT(answer.Add(Value::Int(7)), IsOk());  // ",7": 34 bytes of results
  EXPECT_EQ(answer.Finish(0).body, "[\"" + std::string(30, 'a') + "\"," + kLimitError + ",7]");
}

TEST(MultiAnswer, EveryItemPastTheBoundFailsOnItsOwn) {
  MultiAnswer answer(Json(), 40);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(answer.Add(Value::String(std::string(100, 'x'))),
                ApiErrorIs(errors::kRequestTooLarge));
  }
  Response r = answer.Finish(0);
  EXPECT_EQ(r.body, std::string("[") + kLimitError + "," + kLimitError + "," + kLimitError + "]");
}

TEST(MultiAnswer, XmlCountsItsItemElements) {
  MultiAnswer answer(OutputFormat{Format::kXml, false, ""}, 20);
  EXPECT_THAT(answer.Add(Value::String("12345")), IsOk());  // <item>12345</item>: 18 bytes
  EXPECT_THAT(answer.Add(Value::String("1")), ApiErrorIs(errors::kRequestTooLarge));
  EXPECT_THAT(answer.Finish(0).body,
              HasSubstr("<result><item>12345</item><item><error><code>REQUEST_LIMIT_EXCEEDED"));
}

// Every answer (a result, an error, a multirequest, a die) carries Kaltura's CORS and cache
// fields, as ready head lines.
// One static text for every answer (Response::fixed_lines), not a copy in each.
TEST(WriteResponse, EveryAnswerCarriesTheCommonFieldsAsFixedLines) {
  const std::string lines =
      "Access-Control-Allow-Origin: *\r\n"
      "Access-Control-Expose-Headers: Server, Content-Length, Content-Range, Date, X-Kaltura, "
      "X-Kaltura-Session, X-Me\r\n"
      "Cache-Control: no-store, no-cache, must-revalidate, post-check=0, pre-check=0\r\n"
      "Pragma: no-cache\r\n";
  for (const OutputFormat& f : {Json(), OutputFormat{Format::kXml, false, ""}}) {
    for (const Response& r :
         {WriteResponse(f, {CallResult(Value::Bool(true))}, false, 0),
          WriteResponse(f, {CallResult(ApiError::Of(errors::kMissingKs))}, false, 0),
          WriteResponse(f, {CallResult(Value::Bool(true))}, true, 0)}) {
      EXPECT_EQ(r.fixed_lines, lines);
      EXPECT_EQ(r.head_lines, "");
    }
    EXPECT_EQ(WriteResponse(f, {CallResult(Value::Bool(true))}, false, 0).fixed_lines.data(),
              WriteResponse(f, {CallResult(Value::Bool(false))}, false, 0).fixed_lines.data());
  }
}

}  // namespace
}  // namespace ksgate::api
