// Formatting and reading the instants omswatch shows and takes from people.

#include "common/time.h"

#include <gtest/gtest.h>

namespace omswatch {
namespace {

TEST(FormatTime, WritesUtcThroughTheFormatGiven) {
  const SystemTime t = from_unix_ms(1'764'391'269'999);  // 2025-11-29T04:41:09.999Z
  EXPECT_EQ(format_rfc3339(t), "2025-11-29T04:41:09Z");
  EXPECT_EQ(format_time(t, "%Y-%m-%d %H:%M:%S UTC"), "2025-11-29 04:41:09 UTC");
  EXPECT_EQ(format_time(from_unix_ms(0), "%H:%M:%S"), "00:00:00");
}

}  // namespace
}  // namespace omswatch
