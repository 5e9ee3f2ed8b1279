#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace omswatch {

using SystemTime = std::chrono::system_clock::time_point;

inline std::int64_t to_unix_ms(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline SystemTime from_unix_ms(std::int64_t ms) {
  return SystemTime(std::chrono::milliseconds(ms));
}

// "2026-11-29T04:41:09Z" (UTC, whole seconds).
inline std::string format_rfc3339(SystemTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

}  // namespace omswatch
