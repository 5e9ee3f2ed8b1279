// Formatting and reading the instants omswatch shows and takes from people.

#include "common/time.h"

#include <gtest/gtest.h>

#include <utility>

namespace omswatch {
namespace {

TEST(FormatTime, WritesUtcThroughTheFormatGiven) {
  const SystemTime t = from_unix_ms(1'764'391'269'999);  // 2025-11-29T04:41:09.999Z
  EXPECT_EQ(format_rfc3339(t), "2025-11-29T04:41:09Z");
  EXPECT_EQ(format_time(t, "%Y-%m-%d %H:%M:%S UTC"), "2025-11-29 04:41:09 UTC");
  EXPECT_EQ(format_time(from_unix_ms(0), "%H:%M:%S"), "00:00:00");
}

// The one grammar of --since, --until, --starts and the API's since= and until=.
class TimeText : public ::testing::Test {
 protected:
  const SystemTime now_ = from_unix_ms(1'795'924'800'000);  // 2026-11-29T04:00:00Z

  // The instant `text` names, as RFC 3339 with milliseconds, or "error: ...".
  std::string read(std::string_view text) {
    auto t = parse_time_text(text, now_);
    if (!t) return "error: " + t.error();
    const std::int64_t ms = to_unix_ms(*t);
    return format_rfc3339(*t) + (ms % 1000 ? " +" + std::to_string(ms % 1000) + "ms" : "");
  }
};

TEST_F(TimeText, DurationsCountBackFromNow) {
  const std::pair<const char*, const char*> cases[] = {
      {"90m", "2026-11-29T02:30:00Z"},         {"2h", "2026-11-29T02:00:00Z"},
      {"7d", "2026-11-22T04:00:00Z"},          {"1h30m", "2026-11-29T02:30:00Z"},
      {"1h 30m", "2026-11-29T02:30:00Z"},      {"0s", "2026-11-29T04:00:00Z"},
      {"500ms", "2026-11-29T03:59:59Z +500ms"}};
  for (auto [text, instant] : cases) EXPECT_EQ(read(text), instant) << text;
}

TEST_F(TimeText, Rfc3339TimesWithTheirOffsetAndDates) {
  const std::pair<const char*, const char*> cases[] = {
      {"2026-11-29T04:41:09Z", "2026-11-29T04:41:09Z"},
      {"2026-11-29t04:41:09z", "2026-11-29T04:41:09Z"},
      {"2026-11-29 04:41:09Z", "2026-11-29T04:41:09Z"},
      {"2026-11-29T12:41:09+08:00", "2026-11-29T04:41:09Z"},
      {"2026-11-28T23:11:09-05:30", "2026-11-29T04:41:09Z"},
      {"2026-11-29T04:41:09.5Z", "2026-11-29T04:41:09Z +500ms"},
      {"2026-11-29T04:41:09.123456789Z", "2026-11-29T04:41:09Z +123ms"},
      {"2026-11-29T23:59:60Z", "2026-11-29T23:59:59Z"},  // a leap second
      {"2026-11-29", "2026-11-29T00:00:00Z"},
      {"2024-02-29", "2024-02-29T00:00:00Z"}};
  for (auto [text, instant] : cases) EXPECT_EQ(read(text), instant) << text;
}

TEST_F(TimeText, RefusesTimesWithoutAnOffsetSayingHowToGiveOne) {
  for (const char* text : {"2026-11-29T04:00:00", "2026-11-29 04:00:00", "2026-11-29T04:00:00.5"}) {
    EXPECT_EQ(read(text),
              "error: has no UTC offset: add Z for UTC (2026-11-29T04:00:00Z) or the offset of "
              "the time zone meant (2026-11-29T12:00:00+08:00)")
        << text;
  }
}

TEST_F(TimeText, RefusesEverythingElse) {
  const std::string neither =
      "error: is neither a duration (24h, 90m, 7d) nor an RFC 3339 time "
      "(2026-11-29T04:00:00Z, 2026-11-29T12:00:00+08:00) or date (2026-11-29)";
  for (const char* text : {"",
                           "yesterday",
                           "now",
                           "24",
                           "1.5h",
                           "-1h",
                           "1w",
                           "30m1h",
                           "2026-11-29T04:00Z",
                           "2026-11-29T04:00",
                           "2026-11-29T4:00:00Z",
                           "2026-02-30",
                           "2025-02-29",
                           "2026-13-01",
                           "2026-11-29T24:00:00Z",
                           "2026-11-29T04:60:00Z",
                           "2026-11-29T04:00:61Z",
                           "2026-11-29T04:00:00.Z",
                           "2026-11-29T04:00:00.1234567890Z",
                           "2026-11-29T04:00:00+8:00",
                           "2026-11-29T04:00:00+0800",
                           "2026-11-29T04:00:00+24:00",
                           "2026-11-29T04:00:00+08:60",
                           "2026-11-29T04:00:00Z ",
                           " 2026-11-29",
                           "2026-11-29Z",
                           "2026/11/29",
                           "20261129",
                           "1795924800",
                           "2026-11-29T04:00:00UTC"}) {
    EXPECT_EQ(read(text), neither) << "'" << text << "'";
  }
}

TEST_F(TimeText, RefusesInstantsOutside1970To2199) {
  const std::string out_of_range =
      "error: is out of range: times run from 1970-01-01 to 2199-12-31 (UTC)";
  for (const char* text :
       {"1000-01-01", "1969-12-31T23:59:59Z", "1970-01-01T08:00:00+08:01", "2200-01-01",
        "2199-12-31T23:59:59-00:01", "9999-12-31T23:59:59Z", "200000d", "9223372036854775807ms"}) {
    EXPECT_EQ(read(text), out_of_range) << text;
  }
  EXPECT_EQ(read("1970-01-01"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(read("2199-12-31T23:59:59.999Z"), "2199-12-31T23:59:59Z +999ms");
}

// OMS writes its times without a zone ("2024-09-13T09:08:34"): they are UTC.
TEST(UtcTime, ATimeWithoutAZoneIsUtcAndOffsetsAreHonoured) {
  auto ms = [](std::string_view text) -> std::optional<std::int64_t> {
    auto t = parse_utc_time(text);
    if (!t) return std::nullopt;
    return to_unix_ms(*t);
  };
  EXPECT_EQ(ms("2024-09-13T09:08:34"), 1'726'218'514'000);
  EXPECT_EQ(ms("2024-09-13 09:08:34"), 1'726'218'514'000);
  EXPECT_EQ(ms("2024-09-13T09:08:34Z"), 1'726'218'514'000);
  EXPECT_EQ(ms("2024-09-13T17:08:34+08:00"), 1'726'218'514'000);
  EXPECT_EQ(ms("2024-09-13T09:08:34.250"), 1'726'218'514'250);
  EXPECT_EQ(ms("2024-09-13"), 1'726'185'600'000);
  EXPECT_EQ(ms("1969-12-31T23:59:59"), std::nullopt);
  EXPECT_EQ(ms("2200-01-01T00:00:00"), std::nullopt);
  EXPECT_EQ(ms("2024-02-30T00:00:00"), std::nullopt);
  EXPECT_EQ(ms("90m"), std::nullopt);
  EXPECT_EQ(ms(""), std::nullopt);
  EXPECT_EQ(ms("2024-09-13T09:08"), std::nullopt);
}

}  // namespace
}  // namespace omswatch
