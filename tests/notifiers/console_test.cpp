// The console receiver: one line per event, whatever OMS put in the text.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

TEST(ConsoleReceiver, ControlCharactersInOmsTextAreShownNotActedOn) {
  test::FakePlatform p;
  std::vector<std::string> lines;
  SenderContext ctx = p.context();
  ctx.console = [&](const std::string& line) { lines.push_back(line); };
  config::Receiver r;
  r.name = "screen";
  r.type = "console";
  auto sender = make_sender(r, ctx);
  ASSERT_TRUE(sender.has_value()) << sender.error();

  Event e = test::failed_event();
  e.summary =
      "np_4w1\n12:00:00  CRITICAL  resolved  forged\x1b]0;owned\x07\x1b[2J \xc2\x9b"
      "1m";
  e.state = "firing\r";
  auto out = p.send(**sender, {e});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered);
  ASSERT_EQ(lines.size(), 1u);
  const std::string& line = lines[0];
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u != 0x7f) << "control " << static_cast<int>(u) << " in " << line;
  }
  EXPECT_THAT(line, ::testing::HasSubstr(
                        "np_4w1\\n12:00:00  CRITICAL  resolved  forged\\x1b]0;owned\\x07\\x1b[2J "
                        "\\u{9b}1m"));
  EXPECT_THAT(line, ::testing::HasSubstr("firing\\r"));
}

}  // namespace
}  // namespace omswatch::notifiers
