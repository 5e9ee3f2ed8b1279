#include "common/duration.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "common/ascii.h"

namespace omswatch {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t millis;
};

// Largest first: parse_duration requires terms in this order, format_duration
// prints in it. "ms" precedes "m" so that the longer suffix wins when matching.
constexpr std::array<Unit, 5> kUnits = {{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

// Index into kUnits of the unit that starts `text`, and its length; the
// longest suffix wins so that "ms" is not read as "m" followed by garbage.
std::optional<std::size_t> match_unit(std::string_view text, std::size_t& length) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    const auto suffix = kUnits[i].suffix;
    if (text.substr(0, suffix.size()) != suffix) continue;
    if (!best || suffix.size() > kUnits[*best].suffix.size()) best = i;
  }
  if (best) length = kUnits[*best].suffix.size();
  return best;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t pos = 0;
  std::optional<std::size_t> previous_unit;
  while (pos < text.size()) {
    if (previous_unit) {
      // Terms may be separated by spaces, so that format_duration's "3m 12s" reads back.
      while (pos < text.size() && text[pos] == ' ') ++pos;
      if (pos == text.size()) return std::nullopt;  // trailing space
    }
    if (!is_ascii_digit(text[pos])) return std::nullopt;
    std::int64_t number = 0;
    while (pos < text.size() && is_ascii_digit(text[pos])) {
      const int digit = text[pos] - '0';
      if (number > (kMax - digit) / 10) return std::nullopt;
      number = number * 10 + digit;
      ++pos;
    }
    std::size_t length = 0;
    const auto unit = match_unit(text.substr(pos), length);
    if (!unit) return std::nullopt;
    // Each unit at most once, largest first: "1h30m", never "30m1h" or "5m5m".
    if (previous_unit && *unit <= *previous_unit) return std::nullopt;
    previous_unit = unit;
    pos += length;
    const std::int64_t scale = kUnits[*unit].millis;
    if (number > kMax / scale) return std::nullopt;
    const std::int64_t term = number * scale;
    if (total > kMax - term) return std::nullopt;
    total += term;
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  constexpr std::uint64_t kExactBelow = 10'000;  // ms; from here on, no milliseconds
  constexpr std::uint64_t kSecond = 1'000;
  const std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  // Work on the magnitude so that the most negative count does not overflow.
  std::uint64_t rest =
      ms < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
  if (rest >= kExactBelow) {
    // Round half up to the second largest unit (at least a second). A carry
    // lands exactly on the next unit ("59m 59.6s" is "1h"), so the two units
    // printed below still show the whole rounded value.
    std::size_t largest = 0;
    while (rest < static_cast<std::uint64_t>(kUnits[largest].millis)) ++largest;
    const std::uint64_t step =
        std::max(kSecond, static_cast<std::uint64_t>(kUnits[largest + 1].millis));
    rest = (rest + step / 2) / step * step;
  }
  std::string out = ms < 0 ? "-" : "";
  int shown = 0;
  for (const auto& unit : kUnits) {
    const std::uint64_t scale = static_cast<std::uint64_t>(unit.millis);
    const std::uint64_t count = rest / scale;
    rest %= scale;
    if (count == 0) continue;
    if (shown > 0) out += ' ';
    out += std::to_string(count);
    out += unit.suffix;
    if (++shown == 2) break;
  }
  return out;
}

std::string format_duration_range(std::int64_t low_s, std::int64_t high_s) {
  const std::string low = format_duration(std::chrono::seconds(low_s));
  const std::string high = format_duration(std::chrono::seconds(high_s));
  return low == high ? low : low + "-" + high;
}

std::string format_count(std::int64_t v) {
  // Unsigned, so that the smallest int64 has a magnitude too.
  const std::uint64_t magnitude =
      v < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  const std::string digits = std::to_string(magnitude);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

}  // namespace omswatch
