#pragma once
// Text from outside (OMS strings, receivers' replies) made safe to write
// where a person or a line-based tool reads it: a log line, the console, a
// terminal table, a CSV file.

#include <string>
#include <string_view>

namespace omswatch {

// `text` with everything a terminal or a log reader would act on shown as a
// visible escape instead, so that one text stays one line and cannot move
// the cursor, retitle a terminal or forge a log line:
//   - C0 controls and DEL: "\n", "\r", "\t", others "\x1b", "\x00", "\x7f";
//   - C1 controls (U+0080..U+009F): "\u{9b}";
//   - the line and paragraph separators U+2028, U+2029 and the bidirectional
//     controls U+200E, U+200F, U+202A..U+202E, U+2066..U+2069: "\u{202e}";
//   - each byte that is not part of valid UTF-8: "\xff".
// Everything else, valid multibyte UTF-8 and backslashes included, is kept
// as it is, so ordinary text reads unchanged.
std::string escape_controls(std::string_view text);

// Whether escape_controls(text) would change `text` (cheaper than comparing).
bool needs_escaping(std::string_view text);

// "\n", "\r" or "\t" for those bytes, else nullptr: the short escapes that
// escape_controls() and JSON strings (common/json_text.h) share.
const char* short_escape(unsigned char c);

// Appends `c` as two lower-case hex digits ("1b").
void append_hex2(std::string& out, unsigned char c);

}  // namespace omswatch
