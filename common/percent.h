#pragma once
// Percent-decoding (RFC 3986 %XX escapes), once for every module: URLs' user
// info and paths, query strings, and the encoded forms of secrets.

#include <optional>
#include <string>
#include <string_view>

namespace omswatch {

// The value of a hex digit (either case), or -1.
int hex_value(char c);

// Decodes %XX escapes, and '+' as a space when `plus_is_space` (query
// strings). Lenient: a truncated or non-hex escape is kept as written.
std::string percent_decode(std::string_view text, bool plus_is_space = false);

// The same, strict, for input that must be well formed (request paths and
// query strings): nullopt on a truncated or non-hex escape or a decoded NUL.
std::optional<std::string> percent_decode_strict(std::string_view text, bool plus_is_space);

}  // namespace omswatch
