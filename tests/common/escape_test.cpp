#include "common/escape.h"

#include <gtest/gtest.h>

#include <string>

namespace omswatch {
namespace {

TEST(EscapeControls, OrdinaryTextIsKept) {
  for (std::string text :
       {"", "plain text", "np_4w1 FAILED in INCR_TRANSFER: ORA-01555",
        "C:\\path\\with\\backslashes", "\xe7\xbd\x91\xe5\x85\xb3 \xf0\x9f\x98\x80",
        "caf\xc3\xa9 \xe2\x9c\x85"}) {
    EXPECT_EQ(escape_controls(text), text);
    EXPECT_FALSE(needs_escaping(text));
  }
}

TEST(EscapeControls, ControlsBecomeVisibleEscapes) {
  EXPECT_EQ(escape_controls("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(escape_controls("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(escape_controls("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");  // OSC title, BEL
  EXPECT_EQ(escape_controls(std::string("nul\0here", 8)), "nul\\x00here");
  EXPECT_EQ(escape_controls("del\x7f"), "del\\x7f");
  // A newline cannot start a forged log line.
  EXPECT_EQ(escape_controls("ok\n2026-11-29T04:41:09.123 info forged"),
            "ok\\n2026-11-29T04:41:09.123 info forged");
  EXPECT_TRUE(needs_escaping("a\nb"));
}

TEST(EscapeControls, C1ControlsSeparatorsAndBidiOverridesAreEscaped) {
  EXPECT_EQ(escape_controls("\xc2\x9b"
                            "31m"),
            "\\u{9b}31m");                                      // CSI
  EXPECT_EQ(escape_controls("\xc2\x85"), "\\u{85}");            // NEL
  EXPECT_EQ(escape_controls("a\xe2\x80\xa8z"), "a\\u{2028}z");  // line separator
  EXPECT_EQ(escape_controls("\xe2\x80\xae"
                            "exe.txt"),
            "\\u{202e}exe.txt");
  EXPECT_EQ(escape_controls("\xe2\x81\xa6x\xe2\x81\xa9"), "\\u{2066}x\\u{2069}");
}

TEST(EscapeControls, InvalidBytesAreEscapedValidNeighboursKept) {
  EXPECT_EQ(escape_controls("bad \xff\xfe end"), "bad \\xff\\xfe end");
  EXPECT_EQ(escape_controls("cut \xe7\xbd"), "cut \\xe7\\xbd");
  EXPECT_EQ(escape_controls("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(escape_controls("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escape_controls("\xe7\xbd\x91\xff\xe5\x85\xb3"), "\xe7\xbd\x91\\xff\xe5\x85\xb3");
}

TEST(EscapeControls, EveryByteComesOutPrintable) {
  std::string every;
  for (int c = 0; c < 256; ++c) every += static_cast<char>(c);
  const std::string out = escape_controls(every);
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u != 0x7f) << static_cast<int>(u);
  }
  EXPECT_FALSE(needs_escaping(out));
}

}  // namespace
}  // namespace omswatch
