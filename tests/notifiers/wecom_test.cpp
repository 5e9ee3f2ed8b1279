#include <gtest/gtest.h>

#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

namespace json = boost::json;
using test::FakePlatform;

constexpr std::string_view kPath = "/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";

config::Receiver wecom(const FakePlatform& p) { return p.receiver("wecom", std::string(kPath)); }

std::string content_of(const FakePlatform& p) {
  return std::string(p.last_json().at("markdown").at("content").as_string());
}

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string_view::npos; pos = text.find(what, pos + 1))
    ++n;
  return n;
}

TEST(WeComSender, PostsMarkdownContent) {
  FakePlatform p;
  auto out = p.send(wecom(p), {test::status_notice(), test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  EXPECT_EQ(p.last().target, kPath);
  EXPECT_EQ(p.last().header("Content-Type"), "application/json");
  auto msg = p.last_json().as_object();
  EXPECT_EQ(msg.at("msgtype").as_string(), "markdown");
  EXPECT_EQ(msg.size(), 2u);
  std::string content = content_of(p);
  EXPECT_TRUE(content.starts_with("### 🔴 2 events on prod: 1 critical firing, 1 notice\n"))
      << content;
  EXPECT_NE(content.find("🔴 **CRITICAL · Project failed**\nnp_4w1 FAILED"), std::string::npos);
  EXPECT_NE(content.find("- **Progress:** schema 100%, full 100%"), std::string::npos);
  EXPECT_NE(content.find("- **Status:** RUNNING → FINISHED"), std::string::npos);
  EXPECT_LT(content.find("Project failed"), content.find("Status changed"));
  EXPECT_TRUE(content.ends_with("> omswatch"));
}

TEST(WeComSender, EventTextCannotMention) {
  FakePlatform p;
  Event e = test::failed_event();
  e.summary = "<@zhangsan> <font color=\"warning\">x</font>";
  p.send(wecom(p), {e});
  std::string content = content_of(p);
  EXPECT_EQ(content.find("<@"), std::string::npos) << content;
  EXPECT_EQ(content.find("<font"), std::string::npos) << content;
  // And a zero-width space after '@': no plain-text mention either.
  EXPECT_NE(content.find("＜@\xE2\x80\x8Bzhangsan>"), std::string::npos) << content;
}

TEST(WeComSender, ContentStaysWithin4096BytesAndKeepsTheHeadline) {
  FakePlatform p;
  p.send(wecom(p), test::huge_group(60));
  std::string content = content_of(p);
  EXPECT_LE(content.size(), 4096u);
  EXPECT_TRUE(test::is_valid_utf8(content));
  EXPECT_TRUE(
      content.starts_with("### 🔴 60 events on prod: 20 critical firing, 40 warning firing"));
  const std::size_t shown = count(content, "**CRITICAL ·") + count(content, "**WARNING ·");
  EXPECT_GE(shown, 1u);
  EXPECT_NE(content.find("… and " + std::to_string(60 - shown) + " more events"),
            std::string::npos);

  // One event bigger than the limit on its own: headline and a cut event.
  auto one = test::huge_group(1, 3000);
  one[0].details_json = R"({"error_message":")" + std::string(5000, 'e') + R"("})";
  p.send(wecom(p), one);
  content = content_of(p);
  EXPECT_LE(content.size(), 4096u);
  EXPECT_TRUE(test::is_valid_utf8(content));
  EXPECT_TRUE(content.starts_with("### 🔴 [CRITICAL] np_0 迁移"));
  EXPECT_NE(content.find("**CRITICAL · Project failed**"), std::string::npos);
  EXPECT_EQ(content.find("more event"), std::string::npos);
}

TEST(WeComSender, ReadsErrcode) {
  FakePlatform p;
  auto answer = [&](std::string body) {
    p.answer = {200, "application/json", {}, std::move(body), false};
    return p.send(wecom(p), {test::failed_event()});
  };
  EXPECT_EQ(answer(R"({"errcode":0,"errmsg":"ok"})").result, DeliveryOutcome::Result::delivered);
  auto throttled = answer(R"({"errcode":45009,"errmsg":"api freq out of limit"})");
  EXPECT_EQ(throttled.result, DeliveryOutcome::Result::retry);
  EXPECT_TRUE(throttled.retry_after);
  auto too_long = answer(R"({"errcode":40058,"errmsg":"markdown.content exceed max length 4096"})");
  EXPECT_EQ(too_long.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(too_long.detail.find("exceed max length"), std::string::npos);
  auto bad_key = answer(R"({"errcode":93000,"errmsg":"invalid webhook url, hint: [1][key]"})");
  EXPECT_EQ(bad_key.result, DeliveryOutcome::Result::rejected);
  EXPECT_EQ(answer("").result, DeliveryOutcome::Result::retry);
  for (const auto& d : {throttled.detail, too_long.detail, bad_key.detail}) {
    EXPECT_EQ(d.find("693a91f6"), std::string::npos) << d;
  }
}

TEST(WeComSender, HoldsBackBeforeTwentyAMinute) {
  FakePlatform p;
  auto sender = p.make(wecom(p));
  for (int i = 0; i < 19; ++i) {
    ASSERT_EQ(p.send(*sender, {test::failed_event()}).result, DeliveryOutcome::Result::delivered);
  }
  EXPECT_EQ(p.send(*sender, {test::failed_event()}).result, DeliveryOutcome::Result::deferred);
  EXPECT_EQ(p.requests.size(), 19u);
}

// With daemon.public_url, each event ends with a link to its page in
// omswatch's console; without, none.
TEST(WeComSender, EachEventLinksToItsConsolePage) {
  FakePlatform p;
  p.send(wecom(p), {test::on_console(test::failed_event()), test::status_notice()});
  std::string content = content_of(p);
  EXPECT_NE(content.find("[Open in omswatch](" + test::kFailedPage + ") · [Open in the OMS"),
            std::string::npos)
      << content;
  EXPECT_EQ(count(content, "Open in omswatch"), 1u) << content;
}

TEST(WeComSender, AnEventCutToFitKeepsItsLinkWhole) {
  FakePlatform p;
  Event e = test::on_console(test::failed_event());
  // Bounded summary and error, in CJK: 3 bytes a character, more than an event's 2000 bytes.
  std::string cjk;
  for (int i = 0; i < 1000; ++i) cjk += "迁";
  e.details_json = R"({"error_message":")" + cjk + R"("})";
  e.summary = cjk;
  p.send(wecom(p), {e});
  std::string content = content_of(p);
  EXPECT_LE(content.size(), 4096u);
  EXPECT_TRUE(test::is_valid_utf8(content));
  EXPECT_NE(content.find("…\n[Open in omswatch](" + test::kFailedPage + ")"), std::string::npos)
      << content;
}

TEST(WeComSender, AHostileProjectIdStaysInsideTheLinkTarget) {
  FakePlatform p;
  p.send(wecom(p), {test::hostile_id_event()});
  std::string content = content_of(p);
  EXPECT_NE(content.find("[Open in omswatch](" + test::kHostilePage + ")"), std::string::npos)
      << content;
  EXPECT_EQ(count(content, "](http"), 1u) << content;
  EXPECT_EQ(content.find("<!channel"), std::string::npos) << content;
  EXPECT_EQ(content.find("<b>"), std::string::npos) << content;
}

}  // namespace
}  // namespace omswatch::notifiers
