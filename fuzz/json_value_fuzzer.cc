// Fuzzes ValueFromJson (api/json_value.h), which reads an upstream's JSON answer to a
// forwarded multirequest item, and the JSON and XML writers on what it reads (api/value.h).
//
// Input: the JSON text. Properties: it is read within the depth limit or refused with the
// caller's error; what is read, written as JSON, reads back, and after one more round writes
// the same text again;
// the XML writer takes whatever was read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/json_value.h"
#include "api/value.h"
#include "common/api_error.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ksgate;
  using namespace ksgate::api;
  static const ApiError kBad = ApiError::Of(errors::kUpstreamBadAnswer, {"fuzz"});
  const std::string_view text = ksgate::fuzz::AsText(data, size);

  for (size_t max_depth : {size_t{4}, size_t{64}}) {
    Result<Value, ApiError> v = ValueFromJson(text, max_depth, kBad);
    if (!v.ok()) continue;  // the caller's error, or the KalturaAPIException it describes
    std::string json;
    AppendJson(*v, &json);
    std::string xml;
    AppendXml(*v, /*ignore_null=*/false, &xml);
    AppendXml(*v, /*ignore_null=*/true, &xml);
    // Written JSON reads back within the same depth. A whole float (-0.0, 1.0) is written as an
    // integer literal, which reads back as an int: from then on the text is stable.
    Result<Value, ApiError> again = ValueFromJson(json, max_depth, kBad);
    KSGATE_FUZZ_CHECK(again.ok());
    std::string json_again;
    AppendJson(*again, &json_again);
    Result<Value, ApiError> third = ValueFromJson(json_again, max_depth, kBad);
    KSGATE_FUZZ_CHECK(third.ok());
    std::string json_third;
    AppendJson(*third, &json_third);
    KSGATE_FUZZ_CHECK(json_third == json_again);
  }
  return 0;
}
