// Every receiver type the configuration accepts has a sender, and make_sender()
// builds no type the configuration would refuse: a type added in one place
// and forgotten in the other fails here.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "config/receiver_types.h"
#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

TEST(ReceiverRegistry, ListsEveryTypeTheConfigurationAccepts) {
  std::vector<std::string_view> built = sender_types();
  std::vector<std::string_view> accepted = config::receiver_type_names();
  std::sort(built.begin(), built.end());
  std::sort(accepted.begin(), accepted.end());
  EXPECT_EQ(built, accepted);
  EXPECT_EQ(std::adjacent_find(built.begin(), built.end()), built.end()) << "a type listed twice";
}

TEST(ReceiverRegistry, EveryAcceptedTypeBuildsASenderThatDelivers) {
  for (const auto& type : config::receiver_types()) {
    SCOPED_TRACE(std::string(type.name));
    test::FakePlatform p;
    std::vector<std::string> printed;
    SenderContext ctx = p.context();
    ctx.console = [&](const std::string& line) { printed.push_back(line); };
    auto sender = make_sender(p.receiver(std::string(type.name), "/hook"), ctx);
    ASSERT_TRUE(sender) << sender.error();
    EXPECT_EQ((*sender)->name(), "team");

    // Each platform answers in its own way; the stand-in answers DingTalk's
    // and WeCom's "ok", Feishu's and Slack's and the rest's.
    p.reply = [&](const net::ServerRequest&) {
      net::ServerResponse res = p.answer;
      if (type.name == "slack") res.body = "ok";
      if (type.name == "feishu") res.body = R"({"code":0,"msg":"success"})";
      return res;
    };
    const DeliveryOutcome outcome = p.send(**sender, {test::failed_event()});
    EXPECT_EQ(outcome.result, DeliveryOutcome::Result::delivered) << outcome.detail;
    // A type that needs a URL posts there; the one that does not prints.
    EXPECT_EQ(p.requests.size(), type.needs_url ? 1u : 0u);
    EXPECT_EQ(printed.size(), type.needs_url ? 0u : 1u);
  }
}

TEST(ReceiverRegistry, OnlyTypesWithoutAUrlBuildWithoutAnHttpClient) {
  for (const auto& type : config::receiver_types()) {
    SCOPED_TRACE(std::string(type.name));
    config::Receiver r;
    r.name = "team";
    r.type = std::string(type.name);
    auto sender = make_sender(r, SenderContext{});
    EXPECT_EQ(static_cast<bool>(sender), !type.needs_url);
  }
}

}  // namespace
}  // namespace omswatch::notifiers
