#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace omswatch {

using SystemTime = std::chrono::system_clock::time_point;

inline std::int64_t to_unix_ms(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline SystemTime from_unix_ms(std::int64_t ms) {
  return SystemTime(std::chrono::milliseconds(ms));
}

// The instants omswatch takes from people (--since, --until, --starts, the
// HTTP API's since= and until=) and from OMS (checkpoints): from
// 1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z. This is
// far inside what SystemTime can hold (its nanoseconds end in 2262), so sums
// and differences of such instants cannot wrap.
inline constexpr std::int64_t kFirstUnixMs = 0;
inline constexpr std::int64_t kEndUnixMs = 7'258'118'400'000;  // 2200-01-01T00:00:00Z
inline constexpr const char* kTimeRangeText = "from 1970-01-01 to 2199-12-31 (UTC)";

inline bool in_time_range(std::int64_t unix_ms) {
  return unix_ms >= kFirstUnixMs && unix_ms < kEndUnixMs;
}

// `unix_ms` as a SystemTime, or nullopt outside the range above.
inline std::optional<SystemTime> checked_from_unix_ms(std::int64_t unix_ms) {
  if (!in_time_range(unix_ms)) return std::nullopt;
  return from_unix_ms(unix_ms);
}

// `ago` before `now` ("24h ago"), or nullopt when `ago` is negative or the
// result falls outside the range above.
inline std::optional<SystemTime> checked_before(SystemTime now, std::chrono::milliseconds ago) {
  if (ago.count() < 0) return std::nullopt;
  // Cannot overflow: the first term is in range and the second is non-negative.
  return checked_from_unix_ms(to_unix_ms(now) - ago.count());
}

// `t` in whole seconds through strftime's `format` (at most 63 bytes of
// output), in UTC or in the local time zone.
enum class TimeZone { utc, local };
inline std::string format_time(SystemTime t, const char* format, TimeZone zone = TimeZone::utc) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  if (zone == TimeZone::utc) {
    gmtime_r(&secs, &tm);
  } else {
    localtime_r(&secs, &tm);
  }
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

// "2026-11-29T04:41:09Z" (UTC, whole seconds).
inline std::string format_rfc3339(SystemTime t) { return format_time(t, "%Y-%m-%dT%H:%M:%SZ"); }

// The instants people give omswatch: the CLI's --since, --until and
// --starts and the HTTP API's since= and until=, with one grammar:
//   - a duration as in common/duration.h ("90m", "2h", "7d", "1h30m"):
//     that long before `now`;
//   - an RFC 3339 time: "2026-11-29T04:00:00Z", "2026-11-29T12:00:00.5+08:00"
//     (seconds required; 'T', 't' or a space between date and time; a
//     fraction of 1 to 9 digits, kept to the millisecond; the offset "Z",
//     "z" or "+hh:mm"/"-hh:mm" required: a time without one is refused
//     rather than guessed to be UTC or local);
//   - a date alone, "2026-11-29": midnight UTC.
// Refused, with the end of a sentence that starts with the text ("is
// neither a duration ..."): anything else (words such as "yesterday",
// fractions of units, a time without seconds or offset, invalid dates and
// clock times such as "2026-02-30" or "24:00:00", trailing text), and
// instants outside the range above ("is out of range: ...").
Expected<SystemTime> parse_time_text(std::string_view text, SystemTime now);

// The times OMS writes ("2024-09-13T09:08:34", startTime and the like): the
// RFC 3339 times and dates parse_time_text() reads, except that a time
// without an offset is UTC. No durations. nullopt when malformed or outside
// the range above.
std::optional<SystemTime> parse_utc_time(std::string_view text);

}  // namespace omswatch
