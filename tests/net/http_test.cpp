#include "net/http.h"

#include <gtest/gtest.h>

namespace omswatch::net {
namespace {

TEST(FindHeader, IgnoresCaseAndReturnsTheFirstMatch) {
  Headers headers{{"Content-Type", "application/json"}, {"X-Token", "abc"}, {"x-token", "def"}};
  EXPECT_EQ(find_header(headers, "content-type"), "application/json");
  EXPECT_EQ(find_header(headers, "X-TOKEN"), "abc");
  EXPECT_EQ(find_header(headers, "missing"), "");
  EXPECT_EQ(find_header({}, "anything"), "");
  HttpResponse response;
  response.headers = headers;
  EXPECT_EQ(response.header("CONTENT-TYPE"), "application/json");
}

TEST(NetErrors, HaveTheirOwnCategoryAndMessages) {
  boost::system::error_code ec = Errc::timeout;
  EXPECT_EQ(ec.category(), net_category());
  EXPECT_STREQ(net_category().name(), "omswatch.net");
  EXPECT_EQ(ec, make_error_code(Errc::timeout));
  EXPECT_NE(ec, make_error_code(Errc::bad_url));
  for (auto e : {Errc::timeout, Errc::response_too_large, Errc::bad_url, Errc::proxy_refused,
                 Errc::bad_request}) {
    EXPECT_FALSE(make_error_code(e).message().empty());
  }
}

TEST(RedactUrl, DropsUserInfoQueryAndFragment) {
  EXPECT_EQ(redact_url("http://user:pw@host:8089/a?key=secret"), "http://host:8089/a");
  EXPECT_EQ(redact_url("https://oapi.dingtalk.com/robot/send?access_token=abcdef123456"),
            "https://oapi.dingtalk.com/robot/send");
  EXPECT_EQ(redact_url("http://oms.example.internal:8089"), "http://oms.example.internal:8089");
  EXPECT_EQ(redact_url("HTTP://Host/api/v2#frag"), "http://Host/api/v2");
  EXPECT_EQ(redact_url("http://[::1]:8089/x"), "http://[::1]:8089/x");
  EXPECT_EQ(redact_url("http://a@b@host/"), "http://host/");
}

TEST(RedactUrl, MasksPathSegmentsThatLookLikeTokens) {
  EXPECT_EQ(redact_url("https://hooks.slack.com/services/T00000000/B00000000/"
                       "XXXXXXXXXXXXXXXXXXXXXXXX"),
            "https://hooks.slack.com/services/***/***/***");
  EXPECT_EQ(redact_url("https://open.feishu.cn/open-apis/bot/v2/hook/"
                       "2a4c9f0e-1b3d-4e5f-8a7b-9c0d1e2f3a4b"),
            "https://open.feishu.cn/open-apis/bot/v2/hook/***");
  EXPECT_EQ(redact_url("http://oms:8089/api/v2"), "http://oms:8089/api/v2");
}

TEST(RedactUrl, NeverLeaksFromMalformedInput) {
  EXPECT_EQ(redact_url(""), "");
  EXPECT_EQ(redact_url("user:password@host/path?token=1"), "host/path");
  EXPECT_EQ(redact_url("http://user:pw@"), "http://");
  EXPECT_EQ(redact_url("http://host/a b\r\nc?x=1"), "http://host/a?b??c");
  std::string long_url = "http://host/" + std::string(1000, 'a');
  auto redacted = redact_url(long_url);
  EXPECT_LT(redacted.size(), 100u);
  EXPECT_EQ(redacted.find("password"), std::string::npos);
}

}  // namespace
}  // namespace omswatch::net
