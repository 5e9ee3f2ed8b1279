#include "common/time.h"

#include <algorithm>

#include "common/ascii.h"
#include "common/duration.h"

namespace omswatch {
namespace {

bool digits_at(std::string_view s, std::size_t pos, std::size_t n) {
  return pos + n <= s.size() && all_digits(s.substr(pos, n));
}

int number(std::string_view s, std::size_t pos, std::size_t n) {
  return digits_value(s.substr(pos, n));
}

enum class Shape { ok, malformed, no_offset };

struct Absolute {
  Shape shape = Shape::malformed;
  std::int64_t unix_ms = 0;  // unchecked: years 0000 to 9999 fit easily
};

// An RFC 3339 time or a date alone, as described at parse_time_text().
Absolute parse_absolute(std::string_view s) {
  using namespace std::chrono;
  Absolute bad;
  if (s.size() < 10 || !digits_at(s, 0, 4) || s[4] != '-' || !digits_at(s, 5, 2) || s[7] != '-' ||
      !digits_at(s, 8, 2)) {
    return bad;
  }
  const year_month_day date{year{number(s, 0, 4)}, month{static_cast<unsigned>(number(s, 5, 2))},
                            day{static_cast<unsigned>(number(s, 8, 2))}};
  if (!date.ok()) return bad;
  std::int64_t ms = duration_cast<milliseconds>(sys_days(date).time_since_epoch()).count();
  if (s.size() == 10) return {Shape::ok, ms};

  if (s.size() < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits_at(s, 11, 2) ||
      s[13] != ':' || !digits_at(s, 14, 2) || s[16] != ':' || !digits_at(s, 17, 2)) {
    return bad;
  }
  const int hh = number(s, 11, 2), mm = number(s, 14, 2);
  int ss = number(s, 17, 2);
  if (hh > 23 || mm > 59 || ss > 60) return bad;
  ss = std::min(ss, 59);  // a leap second is the last second of its minute here
  ms += ((hh * 60 + mm) * 60 + ss) * std::int64_t{1000};
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && is_ascii_digit(s[pos])) ++pos;
    if (pos == start || pos - start > 9) return bad;
    std::string millis(s.substr(start, std::min<std::size_t>(pos - start, 3)));
    millis.resize(3, '0');
    ms += number(millis, 0, 3);
  }
  if (pos == s.size()) return {Shape::no_offset, ms};
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return {Shape::ok, ms};
  if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && digits_at(s, pos + 1, 2) &&
      s[pos + 3] == ':' && digits_at(s, pos + 4, 2)) {
    const int oh = number(s, pos + 1, 2), om = number(s, pos + 4, 2);
    if (oh > 23 || om > 59) return bad;
    const std::int64_t offset_ms = (oh * 60 + om) * std::int64_t{60'000};
    // Local time = UTC + offset.
    ms += s[pos] == '+' ? -offset_ms : offset_ms;
    return {Shape::ok, ms};
  }
  return bad;
}

}  // namespace

Expected<SystemTime> parse_time_text(std::string_view text, SystemTime now) {
  const std::string out_of_range = std::string("is out of range: times run ") + kTimeRangeText;
  if (auto d = parse_duration(text)) {
    if (auto t = checked_before(now, *d)) return *t;
    return make_error(out_of_range);
  }
  const Absolute a = parse_absolute(text);
  switch (a.shape) {
    case Shape::ok:
      if (auto t = checked_from_unix_ms(a.unix_ms)) return *t;
      return make_error(out_of_range);
    case Shape::no_offset:
      return make_error(
          "has no UTC offset: add Z for UTC (2026-11-29T04:00:00Z) or the offset of the time "
          "zone meant (2026-11-29T12:00:00+08:00)");
    case Shape::malformed:
      break;
  }
  return make_error(
      "is neither a duration (24h, 90m, 7d) nor an RFC 3339 time (2026-11-29T04:00:00Z, "
      "2026-11-29T12:00:00+08:00) or date (2026-11-29)");
}

std::optional<SystemTime> parse_utc_time(std::string_view text) {
  const Absolute a = parse_absolute(text);
  if (a.shape == Shape::malformed) return std::nullopt;
  return checked_from_unix_ms(a.unix_ms);
}

}  // namespace omswatch
