// JSON text in and out of the API's own types, for multirequest items the gate forwards
// upstream: a Param tree as a JSON request body, and an upstream's JSON answer (format=1) as a
// Value or a KalturaAPIException. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "api/params.h"
#include "api/value.h"
#include "common/api_error.h"
#include "common/result.h"

namespace ksgate::api {

// Appends `p` as JSON: maps as objects (keys in order), strings as strings, numbers and
// booleans as their literal text, null as null.
void AppendParamJson(const Param& p, std::string* out);

// Reads an upstream's answer to one call, as Kaltura writes it in JSON: an object whose
// "objectType" is "KalturaAPIException" is the error it describes (code, message, args —
// args an object of strings, or [] for none); any other object with a string "objectType" is a
// Kaltura object of that class (its other members as fields, in order); objects without one are
// maps; arrays, strings, numbers (integers when they have no fraction or exponent and fit in 64
// bits, else floats), booleans and null as such. Nesting deeper than `max_depth` or text that is
// not one JSON value is `bad_answer` (the caller's error for a garbled answer).
Result<Value, ApiError> ValueFromJson(std::string_view text, size_t max_depth,
                                      const ApiError& bad_answer);

}  // namespace ksgate::api
