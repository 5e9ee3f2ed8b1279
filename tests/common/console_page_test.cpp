// The console page an alert links to: the public address joined with the
// project's page, the id and the OMS name percent-encoded.

#include "common/console_page.h"

#include <gtest/gtest.h>

#include "common/percent.h"

namespace omswatch {
namespace {

TEST(ConsolePageUrl, IsEmptyWithoutAPublicUrl) {
  EXPECT_EQ(console_page_url("", "prod", "np_4w1"), "");
  EXPECT_EQ(console_page_url("", "prod", ""), "");
}

TEST(ConsolePageUrl, JoinsTheBaseWithOrWithoutItsTrailingSlash) {
  EXPECT_EQ(console_page_url("https://omswatch.example.com/", "prod", "np_4w1"),
            "https://omswatch.example.com/projects/np_4w1?oms=prod");
  EXPECT_EQ(console_page_url("https://omswatch.example.com", "prod", "np_4w1"),
            "https://omswatch.example.com/projects/np_4w1?oms=prod");
  EXPECT_EQ(console_page_url("http://10.0.0.5:9187", "prod", "np_4w1"),
            "http://10.0.0.5:9187/projects/np_4w1?oms=prod");
}

TEST(ConsolePageUrl, KeepsAPathPrefix) {
  EXPECT_EQ(console_page_url("https://ops.example.com/omswatch/", "prod", "np_4w1"),
            "https://ops.example.com/omswatch/projects/np_4w1?oms=prod");
  EXPECT_EQ(console_page_url("https://ops.example.com/tools/omswatch", "prod", "np_4w1"),
            "https://ops.example.com/tools/omswatch/projects/np_4w1?oms=prod");
}

TEST(ConsolePageUrl, EncodesTheIdAsOnePathSegment) {
  const std::string base = "https://omswatch.example.com/";
  EXPECT_EQ(console_page_url(base, "prod", "np a/b"), base + "projects/np%20a%2Fb?oms=prod");
  // Nothing of the id can end the path, start a query or a fragment, or climb up.
  EXPECT_EQ(console_page_url(base, "prod", "../x?y=1#z"),
            base + "projects/..%2Fx%3Fy%3D1%23z?oms=prod");
  EXPECT_EQ(console_page_url(base, "prod", ".."), base + "projects/..?oms=prod");
  // Markup and control characters are escapes too.
  EXPECT_EQ(console_page_url(base, "prod", "<x>|(y)[z]\"\n"),
            base + "projects/%3Cx%3E%7C%28y%29%5Bz%5D%22%0A?oms=prod");
  // UTF-8 byte by byte, in upper-case hex.
  EXPECT_EQ(console_page_url(base, "prod", "迁移"), base + "projects/%E8%BF%81%E7%A7%BB?oms=prod");
}

TEST(ConsolePageUrl, TheEncodedPartsDecodeToWhatTheyWere) {
  const std::string id = "np 1/ü?&=#%+";
  const std::string oms = "prod.eu-1";
  const std::string url = console_page_url("https://x.example/", oms, id);
  const std::string prefix = "https://x.example/projects/";
  ASSERT_TRUE(url.starts_with(prefix)) << url;
  const auto q = url.find("?oms=");
  ASSERT_NE(q, std::string::npos) << url;
  EXPECT_EQ(percent_decode_strict(url.substr(prefix.size(), q - prefix.size()), false), id);
  EXPECT_EQ(percent_decode_strict(url.substr(q + 5), true), oms);
}

TEST(ConsolePageUrl, AnOmsLevelEventLinksToTheOverviewOfItsOms) {
  EXPECT_EQ(console_page_url("https://omswatch.example.com/", "prod", ""),
            "https://omswatch.example.com/?oms=prod");
  EXPECT_EQ(console_page_url("https://ops.example.com/omswatch", "a b", ""),
            "https://ops.example.com/omswatch/?oms=a%20b");
  EXPECT_EQ(console_page_url("https://omswatch.example.com/", "", ""),
            "https://omswatch.example.com/");
}

TEST(ConsolePageUrl, LeavesOutTheOmsWhenThereIsNone) {
  EXPECT_EQ(console_page_url("https://omswatch.example.com/", "", "np_4w1"),
            "https://omswatch.example.com/projects/np_4w1");
}

TEST(ConsolePageUrl, IsLeftOutRatherThanCutWhenTooLong) {
  const std::string base = "https://omswatch.example.com/";
  const std::string fits(kMaxConsolePageBytes - base.size() - 9, 'a');  // 9: "projects/"
  EXPECT_EQ(console_page_url(base, "", fits).size(), kMaxConsolePageBytes);
  EXPECT_EQ(console_page_url(base, "", fits + "a"), "");
  // Escapes count as written: 700 bytes of CJK are 2100 of address.
  EXPECT_EQ(console_page_url(base, "prod", std::string(700, '\xE8')), "");
}

}  // namespace
}  // namespace omswatch
