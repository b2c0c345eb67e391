// JSON string text for machine-read lines (logs, the audit log): escaping that always yields
// valid JSON and valid UTF-8, whatever bytes come in. Pure functions; thread-safe.
//
// (api/value.h has the API's own writer, which follows PHP's json_encode, '\/' included; these
// lines are read by log shippers and jq, not by Kaltura clients.)
#pragma once

#include <string>
#include <string_view>

namespace ksgate {

// Appends `s` to `out` as a quoted JSON string: '"' and '\\' escaped, control characters (and
// DEL) as \n, \r, \t, \b, \f or \u00XX, valid UTF-8 as is, and each byte that does not start a
// valid UTF-8 sequence (stray continuation bytes, overlong forms, surrogates, code points past
// U+10FFFF, truncated sequences) as \ufffd. So a line never breaks, nor carries a terminal
// escape sequence, however hostile the value.
void AppendJsonQuoted(std::string_view s, std::string* out);

// The same without the quotes around it, for a writer that appends them with its own text.
void AppendJsonEscaped(std::string_view s, std::string* out);

// The same written at `out`, which must have room for 6 * s.size() bytes (an escape is at most
// 6 bytes per byte: \u00XX, \ufffd); returns the end of what was written. For a writer that
// knows its line's bound and spares itself a std::string's checks per piece.
char* WriteJsonEscaped(std::string_view s, char* out);

}  // namespace ksgate
