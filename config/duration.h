#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace omswatch::config {

using Duration = std::chrono::milliseconds;

// "500ms", "30s", "5m", "1h", "7d", and sums such as "1h30m". Empty, negative,
// unitless and overflowing values are rejected (nullopt).
std::optional<Duration> parse_duration(std::string_view text);

// For people: "3m 12s", "2h 5m", "450ms", "1d 2h". Zero is "0s".
std::string format_duration(Duration d);

}  // namespace omswatch::config
