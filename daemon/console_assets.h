#pragma once
// The web console's files (daemon/console/ and the charting library),
// embedded in the binary at build time by cmake/EmbedConsole.cmake: the daemon
// serves them from memory (docs/console.md), nothing is read from disk or
// the network at run time.

#include <span>
#include <string_view>

namespace omswatch::daemon {

struct ConsoleAsset {
  std::string_view name;          // "app.js": served as /assets/app.js
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // a quoted strong validator, from the content's SHA-256
  std::string_view body;
};

// Every embedded file, in no particular order; index.html is the pages' shell.
std::span<const ConsoleAsset> console_assets();

}  // namespace omswatch::daemon
