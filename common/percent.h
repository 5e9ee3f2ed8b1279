#pragma once
// Percent-encoding and -decoding (RFC 3986 %XX escapes), once for every
// module: URLs' user info and paths, query strings, signatures in a query,
// link targets in chat markup, and the encoded forms of secrets.

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

// Writes each byte for which `escape(byte)` is true as %XX (upper-case hex),
// every other byte as it is.
std::string percent_encode_if(std::string_view text, bool (*escape)(unsigned char));

// Every byte but RFC 3986's unreserved ones (ALPHA DIGIT - . _ ~) as %XX: a
// value safe anywhere in a query string.
std::string percent_encode(std::string_view text);

}  // namespace omswatch
