#pragma once
// HTTP dates (the Date header): OMS's own clock, which lag is measured
// against. Private to the oms module.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace omswatch::oms {

// Reads the three forms RFC 9110 requires recipients to accept:
// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate), "Sunday, 06-Nov-94 08:49:37 GMT"
// (RFC 850; two-digit years 70..99 are 19xx, others 20xx) and
// "Sun Nov  6 08:49:37 1994" (asctime). Month and weekday names match
// case-insensitively; the weekday is not checked against the date. Anything
// else, or an impossible date, gives nullopt.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// IMF-fixdate of `t`, whole seconds, UTC.
std::string format_http_date(std::chrono::system_clock::time_point t);

}  // namespace omswatch::oms
