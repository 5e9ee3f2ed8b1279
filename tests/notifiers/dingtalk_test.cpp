#include <gtest/gtest.h>

#include "common/time.h"
#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

namespace json = boost::json;
using test::FakePlatform;

constexpr std::string_view kSecret =
    "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string_view::npos; pos = text.find(what, pos + 1))
    ++n;
  return n;
}

bool unreserved_or_escape(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '~' || c == '%';
}

TEST(DingTalkSender, PostsAMarkdownMessage) {
  FakePlatform p;
  auto out = p.send(p.receiver("dingtalk", "/robot/send?access_token=tok123"),
                    {test::failed_event(), test::lagging_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  EXPECT_EQ(p.last().target, "/robot/send?access_token=tok123");  // no secret: no signature
  EXPECT_EQ(p.last().header("Content-Type"), "application/json");

  auto msg = p.last_json().as_object();
  EXPECT_EQ(msg.at("msgtype").as_string(), "markdown");
  EXPECT_EQ(msg.at("markdown").at("title").as_string(),
            "🔴 2 events on prod: 1 critical firing, 1 warning firing");
  std::string text(msg.at("markdown").at("text").as_string());
  EXPECT_TRUE(text.starts_with("#### 🔴 2 events on prod: 1 critical firing, 1 warning firing\n\n"))
      << text;
  EXPECT_NE(text.find("🔴 **CRITICAL · Project failed**\n\nnp_4w1 FAILED in INCR_TRANSFER"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("- **Project:** np_4w1 (orders-to-ob)"), std::string::npos);
  EXPECT_NE(text.find("- **Lag:** 12m 5s (limit 10m)"), std::string::npos);
  EXPECT_NE(text.find("[Open in the OMS console](https://oms.example.internal/project/np_4w1)"),
            std::string::npos);
  EXPECT_LT(text.find("Project failed"), text.find("Incremental sync lagging"));
  EXPECT_TRUE(text.ends_with("omswatch"));
  EXPECT_EQ(msg.at("at").at("isAtAll").as_bool(), false);
  EXPECT_TRUE(msg.at("at").at("atMobiles").as_array().empty());
}

TEST(DingTalkSender, AMessageAboutARunningTransferCarriesItsEtaAndRate) {
  FakePlatform p;
  auto out = p.send(p.receiver("dingtalk", "/robot/send?access_token=tok123"),
                    {test::slow_transfer_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  std::string text(p.last_json().at("markdown").at("text").as_string());
  EXPECT_NE(text.find("- **ETA:** 25m-31m at 12,300 rows/s\n"), std::string::npos) << text;
}

TEST(DingTalkSender, SignsWithTimestampAndSecretAsDingTalkChecksIt) {
  FakePlatform p;
  p.send(p.receiver("dingtalk", "/robot/send?access_token=tok123", std::string(kSecret)),
         {test::failed_event()});
  auto query = test::raw_query(p.last().target);
  EXPECT_EQ(query.at("access_token"), "tok123");
  EXPECT_TRUE(p.last().target.starts_with("/robot/send?access_token=tok123&timestamp="));

  const std::string& timestamp = query.at("timestamp");
  EXPECT_EQ(timestamp, std::to_string(to_unix_ms(p.now)));  // milliseconds of the request's time
  const std::string& sign = query.at("sign");
  EXPECT_TRUE(std::all_of(sign.begin(), sign.end(), unreserved_or_escape)) << sign;
  const std::string expected = test::openssl_base64(
      test::openssl_hmac_sha256(kSecret, timestamp + "\n" + std::string(kSecret)));
  EXPECT_EQ(test::percent_decode(sign), expected);
}

TEST(DingTalkSender, SignatureStartsTheQueryWhenTheUrlHasNone) {
  FakePlatform p;
  p.send(p.receiver("dingtalk", "/robot/send", "s"), {test::failed_event()});
  EXPECT_TRUE(p.last().target.starts_with("/robot/send?timestamp=")) << p.last().target;
  auto query = test::raw_query(p.last().target);
  EXPECT_EQ(test::percent_decode(query.at("sign")),
            test::openssl_base64(test::openssl_hmac_sha256("s", query.at("timestamp") + "\ns")));
}

TEST(DingTalkSender, ReadsErrcode) {
  FakePlatform p;
  const auto r = p.receiver("dingtalk", "/robot/send?access_token=tok123", std::string(kSecret));
  auto answer = [&](std::string body) {
    p.answer = {200, "application/json", {}, std::move(body), false};
    return p.send(r, {test::failed_event()});
  };
  EXPECT_EQ(answer(R"({"errcode":0,"errmsg":"ok"})").result, DeliveryOutcome::Result::delivered);

  auto throttled =
      answer(R"({"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"})");
  EXPECT_EQ(throttled.result, DeliveryOutcome::Result::retry);
  ASSERT_TRUE(throttled.retry_after);
  EXPECT_EQ(*throttled.retry_after, std::chrono::seconds(60));
  EXPECT_NE(throttled.detail.find("130101"), std::string::npos);

  auto bad_sign = answer(R"({"errcode":310000,"errmsg":"sign not match"})");
  EXPECT_EQ(bad_sign.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(bad_sign.detail.find("sign not match"), std::string::npos);

  auto keyword = answer(R"({"errcode":310000,"errmsg":"keywords not in content"})");
  EXPECT_EQ(keyword.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(keyword.detail.find("keywords not in content"), std::string::npos);

  auto other = answer(R"({"errcode":"300001","errmsg":"token is not exist"})");  // a string code
  EXPECT_EQ(other.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(other.detail.find("300001: token is not exist"), std::string::npos);

  EXPECT_EQ(answer("<html>gateway</html>").result, DeliveryOutcome::Result::retry);
  EXPECT_EQ(answer(R"({"errmsg":"no code"})").result, DeliveryOutcome::Result::retry);

  p.answer = {502, "text/plain", {}, "bad gateway", false};
  EXPECT_EQ(p.send(r, {test::failed_event()}).result, DeliveryOutcome::Result::retry);

  for (const auto& req : p.requests) ASSERT_NE(req.target.find("sign="), std::string::npos);
  // Nothing of the URL's token, the secret or the signature in any detail.
  for (const auto& d : {throttled.detail, bad_sign.detail, keyword.detail}) {
    EXPECT_EQ(d.find("tok123"), std::string::npos);
    EXPECT_EQ(d.find(std::string(kSecret)), std::string::npos);
    EXPECT_EQ(d.find("sign="), std::string::npos);
  }
}

TEST(DingTalkSender, HugeGroupsStayUnder20000BytesWithTheHeadline) {
  FakePlatform p;
  p.send(p.receiver("dingtalk", "/robot/send?access_token=t"), test::huge_group(120));
  const std::string& body = p.last().body;
  EXPECT_LE(body.size(), 20'000u);
  EXPECT_TRUE(test::is_valid_utf8(body));
  std::string text(p.last_json().at("markdown").at("text").as_string());
  EXPECT_TRUE(text.starts_with("#### 🔴 120 events on prod: 40 critical firing, 80 warning firing"));
  const std::size_t shown = count(text, "**CRITICAL ·") + count(text, "**WARNING ·");
  EXPECT_GT(shown, 0u);
  EXPECT_LT(shown, 120u);
  EXPECT_NE(text.find("… and " + std::to_string(120 - shown) + " more events"), std::string::npos);
  // The most urgent were kept.
  EXPECT_EQ(count(text, "**WARNING ·"), shown > 40 ? shown - 40 : 0u);
}

TEST(DingTalkSender, HoldsBackBeforeTheRobotIsBlocked) {
  FakePlatform p;
  auto sender = p.make(p.receiver("dingtalk", "/robot/send?access_token=t"));
  for (int i = 0; i < 19; ++i) {
    ASSERT_EQ(p.send(*sender, {test::failed_event()}).result, DeliveryOutcome::Result::delivered);
  }
  auto held = p.send(*sender, {test::failed_event()});
  EXPECT_EQ(held.result, DeliveryOutcome::Result::deferred);
  ASSERT_TRUE(held.retry_after);
  EXPECT_EQ(*held.retry_after, std::chrono::seconds(60));
  EXPECT_EQ(p.requests.size(), 19u);  // nothing went out

  p.now += std::chrono::seconds(60);
  EXPECT_EQ(p.send(*sender, {test::failed_event()}).result, DeliveryOutcome::Result::delivered);
  EXPECT_EQ(p.requests.size(), 20u);
}

// With daemon.public_url, each event ends with a link to its page in
// omswatch's console, before the OMS console's; without, none.
TEST(DingTalkSender, EachEventLinksToItsConsolePage) {
  FakePlatform p;
  p.send(p.receiver("dingtalk", "/robot/send?access_token=tok123"),
         {test::on_console(test::failed_event()), test::lagging_event()});
  std::string text(p.last_json().at("markdown").at("text").as_string());
  EXPECT_NE(text.find("[Open in omswatch](" + test::kFailedPage +
                      ") · [Open in the OMS console](https://oms.example.internal/project/np_4w1)"),
            std::string::npos)
      << text;
  EXPECT_EQ(count(text, "Open in omswatch"), 1u) << text;
}

TEST(DingTalkSender, AHostileProjectIdStaysInsideTheLinkTarget) {
  FakePlatform p;
  p.send(p.receiver("dingtalk", "/robot/send?access_token=tok123"), {test::hostile_id_event()});
  std::string text(p.last_json().at("markdown").at("text").as_string());
  EXPECT_NE(text.find("[Open in omswatch](" + test::kHostilePage + ")"), std::string::npos) << text;
  EXPECT_EQ(count(text, "](http"), 1u) << text;  // the console link, no other
  EXPECT_EQ(text.find("<!channel"), std::string::npos) << text;
  EXPECT_EQ(text.find("<b>"), std::string::npos) << text;
}

}  // namespace
}  // namespace omswatch::notifiers
