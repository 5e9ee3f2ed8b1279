#pragma once
// Where an alert points in omswatch's own web console: the address operators
// reach the console at (`daemon.public_url`) joined with the page of the
// event. Pure; the notifiers show the result as a link or a button.

#include <cstddef>
#include <string>
#include <string_view>

namespace omswatch {

// The longest page address handed out: beyond it a link is left out rather
// than cut (chat platforms refuse longer button URLs; Slack's limit is 3000).
inline constexpr std::size_t kMaxConsolePageBytes = 2000;

// The console page of an event:
//   `public_url` + "projects/" + id + "?oms=" + oms   for a project's event,
//   `public_url` + "?oms=" + oms                      for an OMS-level event
//                                                     (empty `project_id`: the
//                                                     overview, filtered to that OMS),
// with the id and the OMS name percent-encoded (every byte but RFC 3986's
// unreserved ones: a '/' in an id stays one path segment, a '?' or '#' cannot
// end it) and a '/' added after `public_url` when it has none. The OMS name
// is always given: it tells apart projects of the same id on two OMS, and an
// old link stays exact when such a collision appears later. "?oms=" is left
// out when `oms` is empty. "" when `public_url` is empty (no console
// configured) or when the address would be longer than kMaxConsolePageBytes.
// REQUIRES: `public_url` is an absolute http(s) URL without query or
// fragment (as the configuration loader checks).
std::string console_page_url(std::string_view public_url, std::string_view oms,
                             std::string_view project_id);

}  // namespace omswatch
