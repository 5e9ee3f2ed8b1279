// A receiver (or a proxy in front of it) whose error reply echoes the request
// it got: the outcome, which goes to the log, the outbox, the API and
// notify-test, carries none of the receiver's secrets in any form.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

struct Case {
  std::string type;
  std::string path_and_query;
  std::string secret;
  std::vector<std::string> hidden;  // what must not show in the outcome
};

const std::vector<Case> kCases = {
    {"slack", "/services/T0001/B0002/XXXXyyyyZZZZ1234", "", {"XXXXyyyyZZZZ1234"}},
    {"dingtalk",
     "/robot/send?access_token=abc123def456abc123",
     "SECdingtalk-signing",
     {"abc123def456abc123", "SECdingtalk-signing"}},
    {"wecom", "/cgi-bin/webhook/send?key=0a1b2c3d-4e5f", "", {"0a1b2c3d-4e5f"}},
    {"feishu",
     "/open-apis/bot/v2/hook/a1b2c3d4-e5f6-7788",
     "feishu-signing",
     {"a1b2c3d4-e5f6-7788", "feishu-signing"}},
    {"teams",
     "/workflows/0123456789abcdef/triggers/manual/paths/invoke?api-version=1&sig=S1gnatur3Value",
     "",
     {"0123456789abcdef", "S1gnatur3Value"}},
    {"webhook",
     "/hook/tok3n-in-path",
     "whsec_c2VjcmV0LXNpZ25pbmcta2V5",
     {"tok3n-in-path", "whsec_c2VjcmV0LXNpZ25pbmcta2V5"}},
    {"alertmanager", "/", "am-bearer-token", {"am-bearer-token"}},
};

// Everything of the request, each part several ways, at the start of the reply.
std::string echo_of(const net::ServerRequest& r) {
  std::string out = "you sent " + r.method + " " + r.target + " ";
  for (const auto& h : r.headers) out += h.name + ": " + h.value + " ";
  return out + r.body;
}

TEST(EchoedSecrets, NoReceiverSecretReachesTheOutcome) {
  for (const auto& c : kCases) {
    for (unsigned status : {400u, 502u, 200u}) {
      test::FakePlatform p;
      p.reply = [&](const net::ServerRequest& r) {
        net::ServerResponse res;
        res.status = status;
        res.content_type = "text/plain";
        const std::string echo = echo_of(r);
        // 200: the platform's own error field echoes it (DingTalk, WeCom: errmsg; Feishu: msg).
        res.body = status == 200 ? boost::json::serialize(boost::json::object{{"errcode", 310000},
                                                                              {"code", 9499},
                                                                              {"errmsg", echo},
                                                                              {"msg", echo},
                                                                              {"ok", false},
                                                                              {"error", echo}})
                                 : echo;
        return res;
      };
      const auto receiver = p.receiver(c.type, c.path_and_query, c.secret);
      const auto out = p.send(receiver, {test::failed_event()});
      ASSERT_FALSE(p.requests.empty()) << c.type;
      if (c.type == "webhook" || c.type == "alertmanager" || c.type == "teams") {
        if (status == 200) continue;  // accepted: nothing is echoed
      }
      EXPECT_NE(out.result, DeliveryOutcome::Result::delivered) << c.type << " " << status;
      EXPECT_THAT(out.detail, ::testing::HasSubstr("***")) << c.type << " " << status;
      for (const auto& hidden : c.hidden) {
        for (std::size_t n = 6; n <= hidden.size(); ++n) {
          EXPECT_EQ(out.detail.find(hidden.substr(0, n)), std::string::npos)
              << c.type << " " << status << " shows " << hidden.substr(0, n) << ": " << out.detail;
        }
      }
    }
  }
}

// Basic credentials in an Alertmanager URL, echoed as the Authorization
// header the proxy got, as the URL and percent-encoded.
TEST(EchoedSecrets, AlertmanagerBasicCredentialsAreMasked) {
  test::FakePlatform p;
  p.reply = [](const net::ServerRequest& r) {
    net::ServerResponse res;
    res.status = 401;
    res.content_type = "text/plain";
    res.body = "denied " + std::string(r.header("Authorization")) +
               " for am-user:p%40ss%20w0rd and p@ss w0rd";
    return res;
  };
  config::Receiver r = p.receiver("alertmanager", "/");
  r.url = config::Secret(
      "http://am-user:p%40ss%20w0rd@127.0.0.1:" + std::to_string(p.server.port()) + "/");
  const auto out = p.send(r, {test::failed_event()});
  const std::string basic = test::openssl_base64("am-user:p@ss w0rd");
  ASSERT_EQ(p.last().header("Authorization"), "Basic " + basic);
  EXPECT_EQ(out.result, DeliveryOutcome::Result::rejected);
  EXPECT_EQ(out.detail.find(basic.substr(0, 8)), std::string::npos) << out.detail;
  EXPECT_EQ(out.detail.find("p@ss w0rd"), std::string::npos) << out.detail;
  EXPECT_EQ(out.detail.find("p%40ss%20w0rd"), std::string::npos) << out.detail;
  EXPECT_THAT(out.detail, ::testing::HasSubstr("denied Basic ***"));
}

// A reply cut at its bound in the middle of a token shows no part of it:
// secrets are masked before the cut.
TEST(EchoedSecrets, ACutReplyShowsNoPartOfAToken) {
  test::FakePlatform p;
  p.reply = [](const net::ServerRequest& r) {
    net::ServerResponse res;
    res.status = 500;
    res.content_type = "text/plain";
    // The token starts 5 bytes before the 200-byte cut.
    res.body = std::string(173, 'x') + r.target;
    return res;
  };
  const auto out =
      p.send(p.receiver("slack", "/services/T0001/B0002/XXXXyyyyZZZZ1234"), {test::failed_event()});
  EXPECT_EQ(out.detail.find("XXXX"), std::string::npos) << out.detail;
  EXPECT_THAT(out.detail, ::testing::HasSubstr("/services/T0001/B0002/***"));
}

}  // namespace
}  // namespace omswatch::notifiers
