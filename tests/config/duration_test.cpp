#include "config/duration.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>

namespace omswatch::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsEachUnitAndSums) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"500ms", 500},
      {"0s", 0},
      {"0ms", 0},
      {"30s", 30'000},
      {"5m", 300'000},
      {"1h", 3'600'000},
      {"7d", 604'800'000},
      {"1h30m", 5'400'000},
      {"1d2h3m4s5ms", 93'784'005},
      {"3m 12s", 192'000},   // format_duration's output reads back
      {"1s  500ms", 1'500},  // any number of spaces between terms
      {"90s", 90'000},       // a term need not be below the next unit
      {"007s", 7'000},
  };
  for (const auto& [text, ms] : cases) {
    auto d = parse_duration(text);
    ASSERT_TRUE(d.has_value()) << text;
    EXPECT_EQ(d->count(), ms) << text;
  }
}

TEST(ParseDuration, RejectsMalformedValues) {
  const char* cases[] = {
      "",        // empty
      "30",      // no unit
      "0",       // no unit, even for zero
      "30x",     // unknown unit
      "30S",     // units are lower case
      "1w",      // no weeks
      "5us",     // below milliseconds
      "-5m",     // negative
      "+5m",     // signs are not part of the syntax
      "1.5h",    // no fractions
      "h",       // no number
      " 5m",     // leading space
      "5m ",     // trailing space
      "5 m",     // space inside a term
      "30m1h",   // terms largest first
      "5m5m",    // each unit once
      "1s1m",    // out of order
      "5mm",     // garbage after a unit
      "1h,30m",  // unknown separator
  };
  for (const char* text : cases)
    EXPECT_FALSE(parse_duration(text).has_value()) << '"' << text << '"';
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_FALSE(parse_duration("99999999999999999999ms").has_value());  // the number itself
  EXPECT_FALSE(parse_duration("9223372036854776d").has_value());       // the scaled term
  EXPECT_FALSE(parse_duration("106751991167d23h").has_value());        // the sum
  auto max = parse_duration("9223372036854775807ms");
  ASSERT_TRUE(max.has_value());
  EXPECT_EQ(max->count(), std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(parse_duration("9223372036854775808ms").has_value());
}

TEST(FormatDuration, RoundsForPeople) {
  // Below 10s every millisecond is shown; from 10s on the value is rounded
  // (half up) to its second largest unit, and never finer than a second.
  const std::pair<std::int64_t, const char*> cases[] = {
      {0, "0s"},
      {1, "1ms"},
      {450, "450ms"},
      {999, "999ms"},
      {1'000, "1s"},
      {1'500, "1s 500ms"},
      {9'999, "9s 999ms"},
      {10'000, "10s"},
      {10'499, "10s"},
      {10'500, "11s"},
      {15'999, "16s"},
      {59'500, "1m"},  // rounding carries into the next unit
      {61'000, "1m 1s"},
      {192'000, "3m 12s"},
      {192'499, "3m 12s"},
      {192'500, "3m 13s"},
      {3'599'600, "1h"},
      {3'629'999, "1h"},
      {3'630'000, "1h 1m"},
      {7'500'000, "2h 5m"},
      {86'399'000, "1d"},
      {93'600'000, "1d 2h"},
      {86'400'000 + 300'000, "1d"},  // 5m is less than half an hour
      {86'400'000 + 1'800'000, "1d 1h"},
      {604'800'000, "7d"},
      {-1'500, "-1s 500ms"},
      {-15'999, "-16s"},
      {-90'000, "-1m 30s"},
  };
  for (const auto& [ms, text] : cases) EXPECT_EQ(format_duration(milliseconds(ms)), text) << ms;
}

TEST(FormatDuration, HandlesTheExtremes) {
  EXPECT_EQ(format_duration(milliseconds(std::numeric_limits<std::int64_t>::max())),
            "106751991167d 7h");
  EXPECT_EQ(format_duration(milliseconds(std::numeric_limits<std::int64_t>::min())),
            "-106751991167d 7h");
}

TEST(FormatDuration, ReadsBackThroughParseWithinHalfItsLastUnit) {
  const std::pair<std::int64_t, std::int64_t> cases[] = {
      // value, half of the unit it is rounded to
      {1, 0},
      {999, 0},
      {9'999, 0},
      {15'999, 500},
      {61'000, 500},
      {3'629'999, 30'000},
      {90'061'000, 1'800'000},
  };
  for (const auto& [ms, slack] : cases) {
    auto text = format_duration(milliseconds(ms));
    auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_LE(std::abs(back->count() - ms), slack) << text;
  }
}

TEST(FormatDurationRange, OneDurationWhenBothEndsReadTheSame) {
  EXPECT_EQ(format_duration_range(1500, 1860), "25m-31m");
  EXPECT_EQ(format_duration_range(1500, 1500), "25m");
  EXPECT_EQ(format_duration_range(0, 2), "0s-2s");
}

TEST(FormatCount, SeparatesThousands) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(12300), "12,300");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_count(-1000), "-1,000");
  EXPECT_EQ(format_count(std::numeric_limits<std::int64_t>::min()), "-9,223,372,036,854,775,808");
}

}  // namespace
}  // namespace omswatch::config
