#pragma once
// Durations as people write and read them: the configuration's values and
// the "for 3m 12s" of alert texts.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omswatch {

// "500ms", "30s", "5m", "1h", "7d", and sums such as "1h30m" or "1h 30m"
// (units d, h, m, s, ms; whole numbers; each unit at most once, largest
// first; spaces allowed between terms only). Empty, negative, unitless,
// fractional and overflowing values are rejected (nullopt).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// For people, in messages, alerts and CLI output: at most two units, the
// second largest rounded half up. Below 10s every millisecond is kept
// ("450ms", "1s 500ms", "9s 999ms"); from 10s on the value is rounded to
// whole seconds or coarser ("15.999s" is "16s", "3m 12.5s" is "3m 13s",
// "1h 59m 40s" is "2h", "1d 2h 10m" is "1d 2h"). Zero is "0s"; negative
// values get a leading '-'. A non-negative result reads back through
// parse_duration, within half of its last unit.
std::string format_duration(std::chrono::milliseconds d);

// An ETA's range of remaining seconds for people: "25m-31m", or one
// duration when both ends read the same ("25m").
std::string format_duration_range(std::int64_t low_s, std::int64_t high_s);

// A count for people, thousands separated: "12,300", "-1,000".
std::string format_count(std::int64_t v);

}  // namespace omswatch
