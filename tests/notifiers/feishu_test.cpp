#include <gtest/gtest.h>

#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

namespace json = boost::json;
using test::FakePlatform;

constexpr std::string_view kPath = "/open-apis/bot/v2/hook/0b1c2d3e-token";

struct FeishuPlatform : FakePlatform {
  FeishuPlatform() {
    answer = {200, "application/json", {}, R"({"code":0,"data":{},"msg":"success"})", false};
  }
  config::Receiver feishu(std::string secret = "") const {
    return receiver("feishu", std::string(kPath), std::move(secret));
  }
};

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string_view::npos; pos = text.find(what, pos + 1))
    ++n;
  return n;
}

TEST(FeishuSender, PostsAnInteractiveCard) {
  FeishuPlatform p;
  auto out = p.send(p.feishu(), {test::lagging_event("resolved"), test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  EXPECT_EQ(p.last().target, kPath);
  EXPECT_EQ(p.last().header("Content-Type"), "application/json");

  auto msg = p.last_json().as_object();
  EXPECT_FALSE(msg.contains("timestamp"));  // no secret: unsigned
  EXPECT_FALSE(msg.contains("sign"));
  EXPECT_EQ(msg.at("msg_type").as_string(), "interactive");
  const auto& card = msg.at("card").as_object();
  EXPECT_EQ(card.at("header").at("template").as_string(), "red");
  EXPECT_EQ(card.at("header").at("title").at("tag").as_string(), "plain_text");
  EXPECT_EQ(card.at("header").at("title").at("content").as_string(),
            "🔴 2 events on prod: 1 critical firing, 1 resolved");
  const auto& elements = card.at("elements").as_array();
  ASSERT_EQ(elements.size(), 4u);  // event, rule, event, note
  EXPECT_EQ(elements[0].at("tag").as_string(), "markdown");
  std::string first(elements[0].at("content").as_string());
  EXPECT_TRUE(first.starts_with("🔴 **CRITICAL · Project failed**\nnp_4w1 FAILED")) << first;
  EXPECT_NE(first.find("- **Error:** ORA-01555 snapshot too old"), std::string::npos);
  EXPECT_NE(first.find("[Open in the OMS console](https://oms.example.internal/project/np_4w1)"),
            std::string::npos);
  EXPECT_EQ(elements[1].at("tag").as_string(), "hr");
  EXPECT_NE(std::string(elements[2].at("content").as_string()).find("RESOLVED"), std::string::npos);
  EXPECT_EQ(elements[3].at("tag").as_string(), "note");
}

TEST(FeishuSender, SignsWithFeishusRuleNotDingTalks) {
  FeishuPlatform p;
  const std::string secret = "fs-secret-0123456789";
  p.send(p.feishu(secret), {test::failed_event()});
  auto msg = p.last_json().as_object();
  ASSERT_TRUE(msg.at("timestamp").is_string());  // a string, in seconds
  const std::string timestamp(msg.at("timestamp").as_string());
  EXPECT_EQ(timestamp, "1800000000");
  const std::string sign(msg.at("sign").as_string());
  EXPECT_EQ(sign, test::openssl_base64(test::openssl_hmac_sha256(timestamp + "\n" + secret, "")));
  EXPECT_NE(sign,
            test::openssl_base64(test::openssl_hmac_sha256(secret, timestamp + "\n" + secret)));
  EXPECT_EQ(p.last().target, kPath);  // the signature is in the body, not the URL
}

TEST(FeishuSender, HeaderColourFollowsTheGroup) {
  FeishuPlatform p;
  auto colour = [&](std::vector<Event> events) {
    p.send(p.feishu(), std::move(events));
    return std::string(p.last_json().at("card").at("header").at("template").as_string());
  };
  EXPECT_EQ(colour({test::lagging_event(), test::status_notice()}), "orange");
  EXPECT_EQ(colour({test::lagging_event("resolved")}), "green");
  EXPECT_EQ(colour({test::status_notice()}), "blue");
}

TEST(FeishuSender, EventTextCannotMention) {
  FeishuPlatform p;
  Event e = test::failed_event();
  e.summary = R"(<at id=all></at> <font color='red'>x</font>)";
  p.send(p.feishu(), {e});
  std::string content(p.last_json().at("card").at("elements").at(0).at("content").as_string());
  EXPECT_EQ(content.find("<at"), std::string::npos) << content;
  EXPECT_NE(content.find("&lt;at id=all&gt;&lt;/at&gt;"), std::string::npos) << content;
}

TEST(FeishuSender, ReadsCodeAndStatusCode) {
  FeishuPlatform p;
  const auto r = p.feishu("s");
  auto answer = [&](unsigned status, std::string body) {
    p.answer = {status, "application/json", {}, std::move(body), false};
    return p.send(r, {test::failed_event()});
  };
  EXPECT_EQ(answer(200, R"({"code":0,"msg":"success"})").result,
            DeliveryOutcome::Result::delivered);
  EXPECT_EQ(answer(200, R"({"Extra":null,"StatusCode":0,"StatusMessage":"success"})").result,
            DeliveryOutcome::Result::delivered);

  auto throttled = answer(
      200,
      R"({"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"})");
  EXPECT_EQ(throttled.result, DeliveryOutcome::Result::retry);
  EXPECT_TRUE(throttled.retry_after);
  EXPECT_NE(throttled.detail.find("11232"), std::string::npos);

  auto bad_sign = answer(
      200,
      R"({"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"})");
  EXPECT_EQ(bad_sign.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(bad_sign.detail.find("sign match fail"), std::string::npos);
  EXPECT_EQ(bad_sign.detail.find("0b1c2d3e-token"), std::string::npos);

  auto bad_card = answer(200, R"({"code":9499,"msg":"Bad Request"})");
  EXPECT_EQ(bad_card.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(bad_card.detail.find("Bad Request"), std::string::npos);

  EXPECT_EQ(answer(200, "not json").result, DeliveryOutcome::Result::retry);
  EXPECT_EQ(answer(500, "").result, DeliveryOutcome::Result::retry);
  EXPECT_EQ(answer(400, R"({"code":9499,"msg":"Bad Request"})").result,
            DeliveryOutcome::Result::rejected);
}

TEST(FeishuSender, HugeGroupsStayUnder20KBWithTheHeadline) {
  FeishuPlatform p;
  p.send(p.feishu("s"), test::huge_group(150));
  EXPECT_LE(p.last().body.size(), 20'000u);
  EXPECT_TRUE(test::is_valid_utf8(p.last().body));
  auto card = p.last_json().at("card");
  EXPECT_TRUE(std::string(card.at("header").at("title").at("content").as_string())
                  .starts_with("🔴 150 events on prod: 50 critical firing, 100 warning firing"));
  std::size_t shown = 0;
  std::string more;
  for (const auto& el : card.at("elements").as_array()) {
    if (el.at("tag") != "markdown") continue;
    std::string content(el.at("content").as_string());
    if (content.starts_with("… and ")) {
      more = content;
    } else {
      shown += count(content, "**CRITICAL ·") + count(content, "**WARNING ·");
    }
  }
  EXPECT_GT(shown, 0u);
  EXPECT_EQ(more, "… and " + std::to_string(150 - shown) + " more events");
}

TEST(FeishuSender, HoldsBackPastFiveASecond) {
  FeishuPlatform p;
  auto sender = p.make(p.feishu());
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(p.send(*sender, {test::failed_event()}).result, DeliveryOutcome::Result::delivered);
  }
  auto held = p.send(*sender, {test::failed_event()});
  EXPECT_EQ(held.result, DeliveryOutcome::Result::deferred);
  EXPECT_EQ(p.requests.size(), 4u);
  p.now += std::chrono::seconds(1);
  EXPECT_EQ(p.send(*sender, {test::failed_event()}).result, DeliveryOutcome::Result::delivered);
}

// With daemon.public_url, each event's markdown is followed by a button to its
// page in omswatch's console; without, nothing.
TEST(FeishuSender, EachEventHasAButtonToItsConsolePage) {
  FeishuPlatform p;
  auto out = p.send(p.feishu(), {test::on_console(test::failed_event()), test::lagging_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  const json::value msg = p.last_json();
  const auto& elements = msg.at("card").at("elements").as_array();
  ASSERT_EQ(elements.size(), 5u);  // event, its button, rule, event, note
  EXPECT_EQ(elements[0].at("tag").as_string(), "markdown");
  std::string first(elements[0].at("content").as_string());
  EXPECT_EQ(first.find("ops.example.com"), std::string::npos) << first;
  EXPECT_EQ(elements[1].at("tag").as_string(), "action");
  const auto& button = elements[1].at("actions").at(0);
  EXPECT_EQ(button.at("tag").as_string(), "button");
  EXPECT_EQ(button.at("text").at("tag").as_string(), "plain_text");
  EXPECT_EQ(button.at("text").at("content").as_string(), "Open in omswatch");
  EXPECT_EQ(button.at("url").as_string(), test::kFailedPage);
  EXPECT_EQ(elements[2].at("tag").as_string(), "hr");
  EXPECT_EQ(elements[3].at("tag").as_string(), "markdown");
  EXPECT_EQ(elements[4].at("tag").as_string(), "note");
}

TEST(FeishuSender, AHostileProjectIdStaysInsideTheButtonUrl) {
  FeishuPlatform p;
  p.send(p.feishu(), {test::hostile_id_event()});
  const json::value msg = p.last_json();
  const auto& elements = msg.at("card").at("elements").as_array();
  EXPECT_EQ(elements.at(1).at("actions").at(0).at("url").as_string(), test::kHostilePage);
  std::string markdown(elements.at(0).at("content").as_string());
  for (const char* obeyed : {"<!channel>", "](http", "<b>", "@all"}) {
    EXPECT_EQ(markdown.find(obeyed), std::string::npos) << obeyed << " in " << markdown;
  }
}

}  // namespace
}  // namespace omswatch::notifiers
