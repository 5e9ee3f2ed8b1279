#include "config/duration.h"

#include <gtest/gtest.h>

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

TEST(FormatDuration, ShowsTheTwoLargestNonZeroUnits) {
  const std::pair<std::int64_t, const char*> cases[] = {
      {0, "0s"},
      {450, "450ms"},
      {1'000, "1s"},
      {1'500, "1s 500ms"},
      {192'000, "3m 12s"},
      {192'500, "3m 12s"},  // the third unit is dropped, not rounded
      {7'500'000, "2h 5m"},
      {93'600'000, "1d 2h"},
      {86'400'000 + 300'000, "1d 5m"},  // a zero unit between them is skipped
      {604'800'000, "7d"},
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

TEST(FormatDuration, ReadsBackThroughParse) {
  for (std::int64_t ms : {1LL, 999LL, 61'000LL, 3'600'000LL, 90'061'000LL}) {
    auto text = format_duration(milliseconds(ms));
    auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_LE(back->count(), ms) << text;
  }
}

}  // namespace
}  // namespace omswatch::config
