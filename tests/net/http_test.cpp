#include "net/http.h"

#include <gtest/gtest.h>

namespace omswatch::net {
namespace {

TEST(FindHeader, IgnoresCase) {
  Headers headers{{"Content-Type", "application/json"}, {"X-Token", "abc"}};
  EXPECT_EQ(find_header(headers, "content-type"), "application/json");
  EXPECT_EQ(find_header(headers, "X-TOKEN"), "abc");
  EXPECT_EQ(find_header(headers, "missing"), "");
}

}  // namespace
}  // namespace omswatch::net
