// Percent-decoding: the lenient form keeps what is not an escape, the strict
// one refuses it.

#include "common/percent.h"

#include <gtest/gtest.h>

namespace omswatch {
namespace {

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(percent_decode("a%2Fb%2fc%41"), "a/b/cA");
  EXPECT_EQ(percent_decode("p%40ss%3Aword"), "p@ss:word");
}

TEST(PercentDecode, PlusIsASpaceOnlyInQueryStrings) {
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b%2B", true), "a b+");
}

TEST(PercentDecode, LenientKeepsWhatIsNoEscape) {
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
}

TEST(PercentDecode, StrictRefusesMalformedEscapesAndNul) {
  EXPECT_EQ(percent_decode_strict("np%5F1+x", true), "np_1 x");
  EXPECT_EQ(percent_decode_strict("a+b", false), "a+b");
  EXPECT_EQ(percent_decode_strict("100%", false), std::nullopt);
  EXPECT_EQ(percent_decode_strict("%4", false), std::nullopt);
  EXPECT_EQ(percent_decode_strict("%zz", false), std::nullopt);
  EXPECT_EQ(percent_decode_strict("a%00b", false), std::nullopt);
}

TEST(HexValue, DigitsInEitherCase) {
  EXPECT_EQ(hex_value('0'), 0);
  EXPECT_EQ(hex_value('a'), 10);
  EXPECT_EQ(hex_value('F'), 15);
  EXPECT_EQ(hex_value('g'), -1);
}

}  // namespace
TEST(PercentEncode, KeepsOnlyUnreservedBytes) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode("a+b/c=d e"), "a%2Bb%2Fc%3Dd%20e");
  EXPECT_EQ(percent_encode(std::string("\xff\x00", 2)), "%FF%00");
}

TEST(PercentEncode, RoundTripsThroughTheDecoder) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(percent_decode(percent_encode(all)), all);
}

TEST(PercentEncode, EscapesWhatThePredicateNames) {
  auto parens = [](unsigned char u) { return u == '(' || u == ')'; };
  EXPECT_EQ(percent_encode_if("f(x) + 1", parens), "f%28x%29 + 1");
  EXPECT_EQ(percent_encode_if("", parens), "");
}

}  // namespace omswatch
