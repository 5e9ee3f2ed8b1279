#pragma once
// The web console's routes on the daemon's HTTP endpoint (docs/console.md):
//
//   GET /                  the pages' shell (index.html): the overview
//   GET /projects/{id}     the same shell: one project
//   GET /events            the same shell: the events
//   GET /silences          the same shell: the silences
//   GET /assets/{name}     the console's scripts, styles and charting library
//
// The shell and the assets carry no data (every figure comes from the JSON
// API, which keeps its bearer token), so they are served without the token.
// The shell's links are relative to the console's root, so that it also works
// under a reverse proxy's path; a project's page carries <base href="../">.
// Each answer has an ETag; a request whose If-None-Match names it gets 304
// without a body. Every answer carries the console's security headers: a
// Content-Security-Policy that allows only the daemon's own scripts, styles
// and API (no inline script, no framing), nosniff and no-referrer.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_server.h"

namespace omswatch::daemon {

// Whether `segments` (the decoded path between the slashes) is a console
// route; /assets/{name} is one whether or not the file exists (404 then).
bool is_console_route(const std::vector<std::string>& segments);

// The answer to a GET or HEAD of a console route: the file with its content
// type, caching and security headers, 304 when If-None-Match names its ETag,
// 404 for an asset that does not exist. REQUIRES: is_console_route(segments).
net::ServerResponse console_response(const net::ServerRequest& request,
                                     const std::vector<std::string>& segments);

// The security headers of every console answer, for tests and docs.
const net::Headers& console_security_headers();

}  // namespace omswatch::daemon
