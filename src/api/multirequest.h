// Multirequest (spec/api-v3-wire-protocol.md §7): the items of a `service=multirequest`
// request, the parameters each item inherits, and `{N:result[:path]}` references to the results
// of earlier items. The call pipeline runs the items; this module only shapes them, so the
// gateway can forward an item exactly as a local action would see it.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "api/output.h"
#include "api/params.h"
#include "api/schema.h"
#include "common/api_error.h"
#include "common/result.h"

namespace ksgate::api {

// The items of a multirequest, in execution order: top-level keys made of digits (at most six)
// whose values are maps. Execution starts at the lowest index present when it is 0 or 1 (else
// at 1) and goes on through consecutive indices, stopping at the first index that is missing
// or whose item lacks `service` or `action`. Errors: REQUEST_LIMIT_EXCEEDED
// ("max_multirequest_items", max_items) when more than `max_items` items are present. The
// pointers point into `params`.
Result<std::vector<const Param*>, ApiError> MultiRequestItems(const Param& params,
                                                              size_t max_items);

// Bounds on what `{N:result}` substitution may produce: the limits a value sent directly obeys
// (docs/operations.md, Limits), so a reference cannot make a value, or an item, larger than a
// client could send.
struct ReferenceLimits {
  // Bytes in one string value after substitution: the default string limit.
  size_t max_value = kDefaultMaxStringLength;
  // Bytes of all the values of one item that substitution rewrote, together: the body limit
  // (http::HttpLimits::body_limit).
  size_t max_item = 1024 * 1024;
};

// The parameters item `item` runs with, given the results of the items before it (results[0]
// is item 1's): a copy of the item without `format` (the outer format applies), with `ks`,
// `partnerId` and `clientTag` inherited from the multirequest when the item lacks them, and
// every `{N:result}` / `{N:result:a:b}` in its string values replaced by the referenced
// result (see ResolveReferences). Errors: those of ResolveReferences.
Result<Param, ApiError> PrepareItem(const Param& item, const Param& multirequest,
                                    const std::vector<CallResult>& results,
                                    const ReferenceLimits& limits);

// Replaces, in every string value of `p`, each `{N:result}` or `{N:result:path}` whose N (1 to
// results.size(), at most six digits) names an executed item: by the item's result, or the
// value at `path` inside it (segments separated by ':'; a number indexes an array; `_all` on an
// array joins the rest of the path over every element, each followed by ','), as text: ints
// in decimal, floats shortest, true "1", false/null/objects/arrays/missing/errors "".
// References to later items, and malformed ones, stay as written. Errors, found as the text
// grows (never after building it whole), leaving `p` partly rewritten:
// REQUEST_LIMIT_EXCEEDED("max_string_length", limits.max_value) when one value would be longer
// than limits.max_value; REQUEST_LIMIT_EXCEEDED("body_limit", limits.max_item) when the values
// rewritten would together be longer than limits.max_item.
Result<Void, ApiError> ResolveReferences(Param* p, const std::vector<CallResult>& results,
                                         const ReferenceLimits& limits);

}  // namespace ksgate::api
