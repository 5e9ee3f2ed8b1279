#include "common/expected.h"

#include <gtest/gtest.h>

#include "common/severity.h"
#include "common/time.h"

namespace omswatch {
namespace {

Expected<int> half(int v) {
  if (v % 2) return make_error(std::to_string(v) + " is odd");
  return v / 2;
}

TEST(Expected, CarriesValueOrError) {
  auto ok = half(8);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "3 is odd");
}

TEST(Expected, VoidSpecialisation) {
  Expected<void> ok;
  EXPECT_TRUE(ok);
  Expected<void> bad = make_error("disk full");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "disk full");
}

TEST(Severity, OrderAndNames) {
  EXPECT_LT(Severity::info, Severity::warning);
  EXPECT_LT(Severity::warning, Severity::critical);
  for (auto s : {Severity::info, Severity::warning, Severity::critical}) {
    EXPECT_EQ(parse_severity(to_string(s)), s);
  }
  EXPECT_FALSE(parse_severity("CRITICAL"));
  EXPECT_FALSE(parse_severity(""));
}

TEST(Time, Rfc3339RoundsToSecondsInUtc) {
  EXPECT_EQ(format_rfc3339(from_unix_ms(1689248064123)), "2023-07-13T11:34:24Z");
  EXPECT_EQ(to_unix_ms(from_unix_ms(-5)), -5);
}

}  // namespace
}  // namespace omswatch
