#pragma once
// JSON text written directly, for output on hot or large paths (each poll's
// detector state, `omswatch status` over thousands of projects), byte for
// byte what Boost.JSON's serializer writes.

#include <string>
#include <string_view>

namespace omswatch::daemon {

// Appends `text` as a JSON string, escaped exactly as Boost.JSON's serializer
// escapes it: `"`, `\\` and control characters; other bytes are copied.
void append_json_string(std::string& out, std::string_view text);

}  // namespace omswatch::daemon
