// ASCII case folding and trimming for protocol words: only A-Z and a-z fold,
// other bytes (UTF-8 included) compare as they are.

#include "common/ascii.h"

#include <gtest/gtest.h>

namespace omswatch {
namespace {

TEST(AsciiCase, IequalsIgnoresTheCaseOfLettersOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("GMT", "gmt"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Bearer", "Bearer "));
  EXPECT_FALSE(iequals("close", "clos"));
  // '@' (0x40) and '`' (0x60) differ from each other by the case bit; they are not letters.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
  // UTF-8 bytes are compared as they are: "É" and "é" differ.
  EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));
}

TEST(AsciiCase, IstartsWithComparesThePrefixIgnoringCase) {
  EXPECT_TRUE(istarts_with("HTTPS://example", "https://"));
  EXPECT_TRUE(istarts_with("anything", ""));
  EXPECT_FALSE(istarts_with("http", "https"));
  EXPECT_FALSE(istarts_with("xhttps", "https"));
}

TEST(AsciiCase, LowerAndUpperFoldLettersOnly) {
  EXPECT_EQ(ascii_lower("Proxy.Example.COM:8080"), "proxy.example.com:8080");
  EXPECT_EQ(ascii_upper("project_id"), "PROJECT_ID");
  EXPECT_EQ(ascii_lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");
  EXPECT_EQ(ascii_lower('Z'), 'z');
  EXPECT_EQ(ascii_upper('@'), '@');
}

TEST(AsciiDigits, AllDigitsWantsOneOrMoreOfZeroToNine) {
  EXPECT_TRUE(all_digits("0"));
  EXPECT_TRUE(all_digits("20261129"));
  for (std::string_view text : {"", "-1", "+1", "1.0", " 1", "1 ", "\xd9\xa3", "1e3", "0x1"}) {
    EXPECT_FALSE(all_digits(text)) << text;
  }
  EXPECT_EQ(digits_value("08"), 8);
  EXPECT_EQ(digits_value("2026"), 2026);
  EXPECT_EQ(digits_value("999999999"), 999'999'999);
  EXPECT_TRUE(is_ascii_digit('9'));
  EXPECT_FALSE(is_ascii_digit('a'));
}

TEST(AsciiTrim, TrimBlanksRemovesSpacesAndTabsTrimSpaceAlsoLineEnds) {
  struct Case {
    std::string_view text, blanks_trimmed, space_trimmed;
  };
  const Case cases[] = {{" \t value \t", "value", "value"},
                        {"a b", "a b", "a b"},
                        {" \t ", "", ""},
                        {"", "", ""},
                        {"\r\nv\r\n", "\r\nv\r\n", "v"},
                        {"\r\n\t v \n", "\r\n\t v \n", "v"}};
  for (const auto& c : cases) {
    EXPECT_EQ(trim_blanks(c.text), c.blanks_trimmed) << c.text;
    EXPECT_EQ(trim_space(c.text), c.space_trimmed) << c.text;
  }
}

}  // namespace
}  // namespace omswatch
