#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace omswatch::config {

using Duration = std::chrono::milliseconds;

// "500ms", "30s", "5m", "1h", "7d", and sums such as "1h30m" or "1h 30m"
// (units d, h, m, s, ms; whole numbers; each unit at most once, largest
// first; spaces allowed between terms only). Empty, negative, unitless,
// fractional and overflowing values are rejected (nullopt).
std::optional<Duration> parse_duration(std::string_view text);

// For people: "3m 12s", "2h 5m", "450ms", "1d 2h": the two largest non-zero
// units, the rest dropped (not rounded). Zero is "0s"; negative values get a
// leading '-'. A non-negative result reads back through parse_duration.
std::string format_duration(Duration d);

}  // namespace omswatch::config
