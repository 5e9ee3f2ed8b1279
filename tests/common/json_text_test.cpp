// The slash-escaping form of JSON string text, which other encoders write
// (StatusOutput.JsonStringsAreEscapedAsBoostJsonEscapesThem checks the plain
// form against Boost.JSON).

#include "common/json_text.h"

#include <gtest/gtest.h>

namespace omswatch {
namespace {

TEST(JsonText, EscapesSlashOnlyWhenAsked) {
  std::string plain, slashed;
  append_json_escaped(plain, "a/b\"c");
  append_json_escaped(slashed, "a/b\"c", true);
  EXPECT_EQ(plain, "a/b\\\"c");
  EXPECT_EQ(slashed, "a\\/b\\\"c");
}

}  // namespace
}  // namespace omswatch
