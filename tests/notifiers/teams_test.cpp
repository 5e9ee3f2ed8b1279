#include <gtest/gtest.h>

#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

namespace json = boost::json;
using test::FakePlatform;

constexpr std::string_view kPath =
    "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers&sv=1.0&sig=SIGtoken";

struct TeamsPlatform : FakePlatform {
  TeamsPlatform() { answer = {202, "text/plain", {}, "", false}; }
  config::Receiver teams() const { return receiver("teams", std::string(kPath)); }
};

TEST(TeamsSender, PostsAnAdaptiveCardAttachment) {
  TeamsPlatform p;
  auto out = p.send(p.teams(), {test::lagging_event(), test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  EXPECT_EQ(p.last().target, kPath);
  EXPECT_EQ(p.last().header("Content-Type"), "application/json");

  auto msg = p.last_json().as_object();
  EXPECT_EQ(msg.at("type").as_string(), "message");
  const auto& attachments = msg.at("attachments").as_array();
  ASSERT_EQ(attachments.size(), 1u);
  const auto& a = attachments[0].as_object();
  EXPECT_EQ(a.at("contentType").as_string(), "application/vnd.microsoft.card.adaptive");
  EXPECT_TRUE(a.at("contentUrl").is_null());
  const auto& card = a.at("content").as_object();
  EXPECT_EQ(card.at("$schema").as_string(), "http://adaptivecards.io/schemas/adaptive-card.json");
  EXPECT_EQ(card.at("type").as_string(), "AdaptiveCard");
  EXPECT_EQ(card.at("version").as_string(), "1.4");

  const auto& body = card.at("body").as_array();
  ASSERT_EQ(body.size(), 4u);  // headline, two events, footer
  EXPECT_EQ(body[0].at("type").as_string(), "TextBlock");
  EXPECT_EQ(body[0].at("text").as_string(),
            "🔴 2 events on prod: 1 critical firing, 1 warning firing");
  EXPECT_EQ(body[0].at("color").as_string(), "Attention");

  const auto& first = body[1].as_object();
  EXPECT_EQ(first.at("type").as_string(), "Container");
  const auto& items = first.at("items").as_array();
  EXPECT_EQ(items[0].at("text").as_string(), "🔴 CRITICAL · Project failed");
  EXPECT_EQ(items[1].at("text").as_string(),
            "np_4w1 FAILED in INCR_TRANSFER: ORA-01555 snapshot too old");
  EXPECT_EQ(items[2].at("type").as_string(), "FactSet");
  bool found_error = false;
  for (const auto& f : items[2].at("facts").as_array()) {
    if (f.at("title") == "Error") {
      found_error = true;
      EXPECT_EQ(f.at("value").as_string(), "ORA-01555 snapshot too old");
    }
  }
  EXPECT_TRUE(found_error);
  EXPECT_EQ(items[3].at("text").as_string(),
            "[Open in the OMS console](https://oms.example.internal/project/np_4w1)");
  EXPECT_EQ(body[2].at("items").at(0).at("color").as_string(), "Warning");
}

TEST(TeamsSender, HugeGroupsStayUnder28KB) {
  TeamsPlatform p;
  p.send(p.teams(), test::huge_group(300));
  EXPECT_LE(p.last().body.size(), 28'000u);
  EXPECT_TRUE(test::is_valid_utf8(p.last().body));
  const auto msg = p.last_json();
  const auto& body = msg.at("attachments").at(0).at("content").at("body").as_array();
  EXPECT_TRUE(std::string(body.at(0).at("text").as_string())
                  .starts_with("🔴 300 events on prod: 100 critical firing, 200 warning firing"));
  const std::size_t shown = body.size() - 3;  // headline, "more", footer
  EXPECT_GT(shown, 0u);
  EXPECT_EQ(body.at(body.size() - 2).at("text").as_string(),
            "… and " + std::to_string(300 - shown) + " more events");

  // One event that is all text still leaves room.
  auto one = test::huge_group(1, 20'000);
  one[0].details_json = R"({"error_message":")" + std::string(50'000, 'e') + R"("})";
  p.send(p.teams(), one);
  EXPECT_LE(p.last().body.size(), 28'000u);
  const auto msg_one = p.last_json();
  const auto& b = msg_one.at("attachments").at(0).at("content").at("body").as_array();
  EXPECT_EQ(b.size(), 3u);
}

TEST(TeamsSender, AnyTwoHundredIsSuccessOthersMap) {
  TeamsPlatform p;
  p.answer = {200, "text/plain", {}, "1", false};
  EXPECT_EQ(p.send(p.teams(), {test::failed_event()}).result, DeliveryOutcome::Result::delivered);
  p.answer = {400, "application/json", {}, R"({"error":{"code":"InvalidRequestContent"}})", false};
  auto out = p.send(p.teams(), {test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(out.detail.find("InvalidRequestContent"), std::string::npos);
  EXPECT_EQ(out.detail.find("SIGtoken"), std::string::npos);
  p.answer = {429, "text/plain", {{"Retry-After", "5"}}, "", false};
  out = p.send(p.teams(), {test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::retry);
  EXPECT_EQ(out.retry_after, std::optional(std::chrono::seconds(5)));
}

// With daemon.public_url, each event's container ends in an Action.OpenUrl
// button to its page in omswatch's console; without, none.
TEST(TeamsSender, EachEventHasAButtonToItsConsolePage) {
  TeamsPlatform p;
  auto out = p.send(p.teams(), {test::on_console(test::failed_event()), test::lagging_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  const json::value msg = p.last_json();
  const auto& body = msg.at("attachments").at(0).at("content").at("body").as_array();
  ASSERT_EQ(body.size(), 4u);
  const auto& items = body[1].at("items").as_array();
  const auto& actions = items.back();
  EXPECT_EQ(actions.at("type").as_string(), "ActionSet");
  ASSERT_EQ(actions.at("actions").as_array().size(), 1u);
  const auto& open = actions.at("actions").at(0);
  EXPECT_EQ(open.at("type").as_string(), "Action.OpenUrl");
  EXPECT_EQ(open.at("title").as_string(), "Open in omswatch");
  EXPECT_EQ(open.at("url").as_string(), test::kFailedPage);
  EXPECT_EQ(items[items.size() - 2].at("text").as_string(),
            "[Open in the OMS console](https://oms.example.internal/project/np_4w1)");
  for (const auto& item : body[2].at("items").as_array()) {
    EXPECT_NE(item.at("type").as_string(), "ActionSet");
  }
}

TEST(TeamsSender, AHostileProjectIdStaysInsideTheButtonUrl) {
  TeamsPlatform p;
  p.send(p.teams(), {test::hostile_id_event()});
  const json::value msg = p.last_json();
  const auto& items = msg.at("attachments").at(0).at("content").at("body").at(1).at("items");
  EXPECT_EQ(items.as_array().back().at("actions").at(0).at("url").as_string(), test::kHostilePage);
}

}  // namespace
}  // namespace omswatch::notifiers
