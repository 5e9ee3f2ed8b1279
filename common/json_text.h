#pragma once
// JSON text written directly, for output on hot or large paths (each poll's
// detector state, `omswatch status` over thousands of projects), byte for
// byte what Boost.JSON's serializer writes; and the forms a text takes inside
// JSON strings, for the secret masker.

#include <string>
#include <string_view>

namespace omswatch {

// Appends `text` escaped as inside a JSON string, without the quotes, exactly
// as Boost.JSON's serializer escapes it: `"`, `\\` and control characters
// ("\n", "\b", "\u001b"); other bytes are copied. With `escape_slash`, '/'
// is written "\/" as some other encoders do.
void append_json_escaped(std::string& out, std::string_view text, bool escape_slash = false);

// Appends `text` as a JSON string: quoted, escaped as above.
void append_json_string(std::string& out, std::string_view text);

}  // namespace omswatch
