#include "oms/http_date.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "common/ascii.h"

namespace omswatch::oms {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongWeekdays = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

bool is_weekday(std::string_view s) {
  for (auto d : kWeekdays) {
    if (iequals(s, d)) return true;
  }
  for (auto d : kLongWeekdays) {
    if (iequals(s, d)) return true;
  }
  return false;
}

int month_of(std::string_view s) {
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (iequals(s, kMonths[i])) return static_cast<int>(i) + 1;
  }
  return 0;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// "HH:MM:SS" -> seconds of the day.
std::optional<int> time_of_day(std::string_view s) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
  auto h = s.substr(0, 2), m = s.substr(3, 2), sec = s.substr(6, 2);
  if (!all_digits(h) || !all_digits(m) || !all_digits(sec)) return std::nullopt;
  int hh = digits_value(h), mm = digits_value(m), ss = digits_value(sec);
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  return hh * 3600 + mm * 60 + std::min(ss, 59);  // a leap second reads as :59
}

std::vector<std::string_view> split(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && separators.find(s[i]) != std::string_view::npos) ++i;
    std::size_t start = i;
    while (i < s.size() && separators.find(s[i]) == std::string_view::npos) ++i;
    if (i > start) tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  std::vector<std::string_view> t = split(text, " ");
  int day = 0, month = 0, year = 0;
  std::optional<int> seconds;
  if (t.size() == 6 && t[0].size() > 1 && t[0].back() == ',' &&
      is_weekday(t[0].substr(0, t[0].size() - 1)) && iequals(t[5], "GMT")) {
    // IMF-fixdate: "Sun," "06" "Nov" "1994" "08:49:37" "GMT"
    if (t[1].size() != 2 || !all_digits(t[1]) || t[3].size() != 4 || !all_digits(t[3])) {
      return std::nullopt;
    }
    day = digits_value(t[1]);
    month = month_of(t[2]);
    year = digits_value(t[3]);
    seconds = time_of_day(t[4]);
  } else if (t.size() == 4 && t[0].size() > 1 && t[0].back() == ',' &&
             is_weekday(t[0].substr(0, t[0].size() - 1)) && iequals(t[3], "GMT")) {
    // RFC 850: "Sunday," "06-Nov-94" "08:49:37" "GMT"
    std::vector<std::string_view> d = split(t[1], "-");
    if (d.size() != 3 || d[0].size() != 2 || !all_digits(d[0]) || d[2].size() != 2 ||
        !all_digits(d[2]) || t[1].size() != 9) {
      return std::nullopt;
    }
    day = digits_value(d[0]);
    month = month_of(d[1]);
    const int yy = digits_value(d[2]);
    year = yy >= 70 ? 1900 + yy : 2000 + yy;
    seconds = time_of_day(t[2]);
  } else if (t.size() == 5 && is_weekday(t[0])) {
    // asctime: "Sun" "Nov" "6" "08:49:37" "1994"
    if (t[2].size() > 2 || !all_digits(t[2]) || t[4].size() != 4 || !all_digits(t[4])) {
      return std::nullopt;
    }
    month = month_of(t[1]);
    day = digits_value(t[2]);
    seconds = time_of_day(t[3]);
    year = digits_value(t[4]);
  } else {
    return std::nullopt;
  }
  if (month == 0 || !seconds || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t since_epoch = days * 86400 + *seconds;
  // The clock counts nanoseconds in 64 bits (years 1678 to 2262); a year
  // outside that is no server's clock, and converting it would overflow.
  constexpr std::int64_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max())
          .count();
  if (since_epoch > kLimit || since_epoch < -kLimit) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(since_epoch));
}

std::string format_http_date(std::chrono::system_clock::time_point t) {
  const std::int64_t secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const std::int64_t of_day = secs - days * 86400;
  const auto weekday = static_cast<std::size_t>(((days % 7) + 11) % 7);  // 1970-01-01: Thursday
  // civil_from_days (Howard Hinnant's algorithm).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d GMT",
                std::string(kWeekdays[weekday]).c_str(), day,
                std::string(kMonths[month - 1]).c_str(), static_cast<long long>(year),
                static_cast<int>(of_day / 3600), static_cast<int>(of_day % 3600 / 60),
                static_cast<int>(of_day % 60));
  return buf;
}

}  // namespace omswatch::oms
