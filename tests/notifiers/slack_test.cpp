#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

namespace json = boost::json;
using test::code_points;
using test::FakePlatform;

constexpr std::string_view kPath = "/services/T0001/B0002/XXXXsecretXXXXtoken";

struct SlackPlatform : FakePlatform {
  SlackPlatform() { answer = {200, "text/html", {}, "ok", false}; }
  config::Receiver slack() const { return receiver("slack", std::string(kPath)); }
};

// Every "text" string of a message, as Slack adds them up.
std::size_t total_text_chars(const json::value& v) {
  std::size_t n = 0;
  if (v.is_object()) {
    for (const auto& [k, x] : v.as_object()) {
      if (k == "text" && x.is_string()) n += code_points(x.as_string());
      n += total_text_chars(x);
    }
  } else if (v.is_array()) {
    for (const auto& x : v.as_array()) n += total_text_chars(x);
  }
  return n;
}

TEST(SlackSender, PostsBlocksWithHeadlineFactsAndLink) {
  SlackPlatform p;
  auto out = p.send(p.slack(), {test::lagging_event("resolved"), test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.last().method, "POST");
  EXPECT_EQ(p.last().target, kPath);
  EXPECT_EQ(p.last().header("Content-Type"), "application/json");

  auto msg = p.last_json().as_object();
  EXPECT_EQ(msg.at("text").as_string(), "🔴 2 events on prod: 1 critical firing, 1 resolved");
  const auto& blocks = msg.at("blocks").as_array();
  ASSERT_EQ(blocks.size(), 4u);  // header, two sections, footer
  EXPECT_EQ(blocks[0].at("type").as_string(), "header");
  EXPECT_EQ(blocks[0].at("text").at("type").as_string(), "plain_text");
  EXPECT_EQ(blocks[0].at("text").at("text").as_string(), msg.at("text").as_string());

  // The most urgent first: the failure, then the resolution.
  EXPECT_EQ(blocks[1].at("type").as_string(), "section");
  EXPECT_EQ(blocks[1].at("text").at("type").as_string(), "mrkdwn");
  std::string first(blocks[1].at("text").at("text").as_string());
  EXPECT_TRUE(first.starts_with("🔴 *CRITICAL · Project failed*\nnp_4w1 FAILED")) << first;
  EXPECT_NE(first.find("• *Project:* np_4w1 (orders-to-ob)"), std::string::npos);
  EXPECT_NE(first.find("• *Error:* ORA-01555 snapshot too old"), std::string::npos);
  EXPECT_NE(first.find("<https://oms.example.internal/project/np_4w1|Open in the OMS console>"),
            std::string::npos);
  std::string second(blocks[2].at("text").at("text").as_string());
  EXPECT_TRUE(second.starts_with("✅ *RESOLVED · Incremental sync lagging*")) << second;
  EXPECT_NE(second.find("• *Lasted:* 10m"), std::string::npos);
  EXPECT_EQ(blocks[3].at("type").as_string(), "context");
}

TEST(SlackSender, AMessageAboutARunningTransferCarriesItsEtaAndRate) {
  SlackPlatform p;
  auto out = p.send(p.slack(), {test::slow_transfer_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  const boost::json::value body = p.last_json();  // the blocks below point into it
  const auto& blocks = body.at("blocks").as_array();
  std::string section(blocks.at(1).at("text").at("text").as_string());
  EXPECT_NE(section.find("• *ETA:* 25m-31m at 12,300 rows/s"), std::string::npos) << section;
}

TEST(SlackSender, EventTextCannotMentionOrFormatLinks) {
  SlackPlatform p;
  Event e = test::failed_event();
  e.summary = "<!channel> see <http://evil|here> & more";
  p.send(p.slack(), {e});
  std::string section(p.last_json().at("blocks").at(1).at("text").at("text").as_string());
  // A zero-width space in "://" keeps Slack from linking the bare URL too.
  EXPECT_NE(section.find("&lt;!channel&gt; see &lt;http:\xE2\x80\x8B//evil|here&gt; &amp; more"),
            std::string::npos)
      << section;
}

TEST(SlackSender, HugeGroupsKeepTheHeadlineAndSayHowManyMore) {
  SlackPlatform p;
  auto events = test::huge_group(200);
  p.send(p.slack(), events);
  auto msg = p.last_json();
  ASSERT_TRUE(test::is_valid_utf8(p.last().body));
  const auto& blocks = msg.at("blocks").as_array();
  EXPECT_LE(blocks.size(), 50u);
  EXPECT_LT(total_text_chars(msg), 13'000u);
  std::string header(blocks.at(0).at("text").at("text").as_string());
  EXPECT_TRUE(header.starts_with("🔴 200 events on prod: 67 critical firing, 133 warning firing"))
      << header;
  EXPECT_LE(code_points(header), 150u);

  std::size_t shown = 0;
  std::string more;
  for (std::size_t i = 1; i + 1 < blocks.size(); ++i) {
    std::string text(blocks[i].at("text").at("text").as_string());
    EXPECT_LE(code_points(text), 3000u);
    if (text.starts_with("… and ")) {
      more = text;
    } else {
      ++shown;
    }
  }
  EXPECT_GT(shown, 0u);
  EXPECT_EQ(more, "… and " + std::to_string(200 - shown) + " more events");
}

TEST(SlackSender, OneHugeEventFitsInOneSection) {
  SlackPlatform p;
  auto events = test::huge_group(1, 5000);
  events[0].details_json =
      R"({"error_message":")" + std::string(20'000, 'e') + R"(","failed_step":"FULL_TRANSFER"})";
  p.send(p.slack(), events);
  auto msg = p.last_json();
  const auto& blocks = msg.at("blocks").as_array();
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_LE(code_points(blocks[0].at("text").at("text").as_string()), 150u);
  EXPECT_LE(code_points(blocks[1].at("text").at("text").as_string()), 3000u);
  EXPECT_LT(total_text_chars(msg), 13'000u);
}

TEST(SlackSender, OnlyOkIsSuccess) {
  SlackPlatform p;
  p.answer = {200, "text/html", {}, "ok\n", false};
  EXPECT_EQ(p.send(p.slack(), {test::failed_event()}).result, DeliveryOutcome::Result::delivered);
  p.answer = {200, "text/html", {}, "<html>sign in to the proxy</html>", false};
  auto out = p.send(p.slack(), {test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(out.detail.find("sign in"), std::string::npos);
}

TEST(SlackSender, SlackErrorsMapToRetryOrRejection) {
  SlackPlatform p;
  struct Case {
    unsigned status;
    std::string body;
    DeliveryOutcome::Result result;
  };
  for (const auto& c : std::vector<Case>{
           {400, "invalid_payload", DeliveryOutcome::Result::rejected},
           {403, "action_prohibited", DeliveryOutcome::Result::rejected},
           {404, "channel_not_found", DeliveryOutcome::Result::rejected},
           {410, "channel_is_archived", DeliveryOutcome::Result::rejected},
           {500, "rollup_error", DeliveryOutcome::Result::retry},
           {503, "", DeliveryOutcome::Result::retry},
       }) {
    p.answer = {c.status, "text/plain", {}, c.body, false};
    auto out = p.send(p.slack(), {test::failed_event()});
    EXPECT_EQ(out.result, c.result) << c.status;
    EXPECT_NE(out.detail.find(std::to_string(c.status)), std::string::npos);
    EXPECT_NE(out.detail.find(c.body), std::string::npos);
    EXPECT_EQ(out.detail.find("secret"), std::string::npos);
  }
  p.answer = {429, "text/plain", {{"Retry-After", "30"}}, "rate_limited", false};
  auto out = p.send(p.slack(), {test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::retry);
  ASSERT_TRUE(out.retry_after);
  EXPECT_EQ(*out.retry_after, std::chrono::seconds(30));
}

TEST(SlackSender, UsesTheReceiversTimeout) {
  // A platform that never answers: the receiver's timeout ends the attempt as a retry.
  boost::asio::io_context ioc;
  net::HttpClient http(ioc.get_executor());
  net::HttpServer server(
      ioc.get_executor(), [&](net::ServerRequest) -> boost::asio::awaitable<net::ServerResponse> {
        boost::asio::steady_timer forever(co_await boost::asio::this_coro::executor);
        forever.expires_after(std::chrono::hours(1));
        co_await forever.async_wait(boost::asio::use_awaitable);
        co_return net::ServerResponse{};
      });
  server.listen("127.0.0.1", 0);
  config::Receiver r;
  r.name = "slow";
  r.type = "slack";
  r.url = config::Secret("http://127.0.0.1:" + std::to_string(server.port()) + "/services/x");
  r.timeout = std::chrono::milliseconds(200);
  SenderContext ctx;
  ctx.http = &http;
  auto sender = make_sender(r, ctx);
  ASSERT_TRUE(sender);
  auto out = testing::run_coro<DeliveryOutcome>(
      ioc, [&]() { return (*sender)->send({test::failed_event()}, "id"); });
  EXPECT_EQ(out.result, DeliveryOutcome::Result::retry);
  server.stop();
}

// With daemon.public_url, each event's section has a button to its page in
// omswatch's console; without, none.
TEST(SlackSender, EachEventHasAButtonToItsConsolePage) {
  SlackPlatform p;
  auto out = p.send(p.slack(), {test::on_console(test::failed_event()), test::lagging_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  const json::value body = p.last_json();
  const auto& blocks = body.at("blocks").as_array();
  ASSERT_EQ(blocks.size(), 4u);  // header, two sections, footer: a button adds no block
  const auto& button = blocks[1].at("accessory").as_object();
  EXPECT_EQ(button.at("type").as_string(), "button");
  EXPECT_EQ(button.at("text").at("type").as_string(), "plain_text");
  EXPECT_EQ(button.at("text").at("text").as_string(), "Open in omswatch");
  EXPECT_EQ(button.at("url").as_string(), test::kFailedPage);
  // The page is the button, not also a link in the text; the OMS console's link stays.
  std::string text(blocks[1].at("text").at("text").as_string());
  EXPECT_EQ(text.find("ops.example.com"), std::string::npos) << text;
  EXPECT_NE(text.find("|Open in the OMS console>"), std::string::npos) << text;
  EXPECT_FALSE(blocks[2].as_object().contains("accessory"));
  EXPECT_LE(total_text_chars(body), 11'000u);
}

TEST(SlackSender, AHostileProjectIdStaysInsideTheButtonUrl) {
  SlackPlatform p;
  p.send(p.slack(), {test::hostile_id_event()});
  const json::value body = p.last_json();
  const auto& section = body.at("blocks").at(1);
  EXPECT_EQ(section.at("accessory").at("url").as_string(), test::kHostilePage);
  std::string text(section.at("text").at("text").as_string());
  for (const char* obeyed : {"<!channel>", "<http", "](http", "<b>", "@all"}) {
    EXPECT_EQ(text.find(obeyed), std::string::npos) << obeyed << " in " << text;
  }
}

}  // namespace
}  // namespace omswatch::notifiers
