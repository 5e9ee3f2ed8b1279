#include "notifiers/proxy.h"

#include <gtest/gtest.h>

#include <map>

#include "notifiers/rate_limit.h"
#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

using namespace std::chrono_literals;

config::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Proxy, TheReceiversOwnProxyWins) {
  auto env = env_of({{"HTTPS_PROXY", "http://env-proxy:3128"}, {"NO_PROXY", "*"}});
  EXPECT_EQ(select_proxy("https://hooks.slack.com/x", "http://own:8080", env), "http://own:8080");
}

TEST(Proxy, SchemeSelectsTheVariableAndLowercaseWins) {
  auto env = env_of({{"HTTPS_PROXY", "http://upper-s:1"},
                     {"https_proxy", "http://lower-s:2"},
                     {"HTTP_PROXY", "http://upper:3"}});
  EXPECT_EQ(select_proxy("https://oapi.dingtalk.com/robot/send?access_token=t", "", env),
            "http://lower-s:2");
  EXPECT_EQ(select_proxy("http://am.internal:9093", "", env), "http://upper:3");
  EXPECT_EQ(select_proxy("HTTPS://Example.com/", "", env), "http://lower-s:2");
}

TEST(Proxy, NothingSetOrEmptyMeansDirect) {
  EXPECT_EQ(select_proxy("https://example.com/", "", env_of({})), "");
  EXPECT_EQ(select_proxy("https://example.com/", "", env_of({{"https_proxy", ""}})), "");
  EXPECT_EQ(select_proxy("https://example.com/", "", nullptr), "");
  // An empty lowercase variable does not hide the uppercase one.
  EXPECT_EQ(select_proxy("https://example.com/", "",
                         env_of({{"https_proxy", ""}, {"HTTPS_PROXY", "http://p:1"}})),
            "http://p:1");
}

TEST(Proxy, ProxyWithoutSchemeIsHttp) {
  EXPECT_EQ(select_proxy("https://example.com/", "", env_of({{"HTTPS_PROXY", "squid:3128"}})),
            "http://squid:3128");
}

TEST(Proxy, LoopbackAndUnreadableUrlsGoDirect) {
  auto env = env_of({{"HTTP_PROXY", "http://p:1"}, {"HTTPS_PROXY", "http://p:1"}});
  EXPECT_EQ(select_proxy("http://127.0.0.1:9093/api", "", env), "");
  EXPECT_EQ(select_proxy("http://localhost:9093", "", env), "");
  EXPECT_EQ(select_proxy("http://[::1]:9093/", "", env), "");
  EXPECT_EQ(select_proxy("ftp://example.com/", "", env), "");
  EXPECT_EQ(select_proxy("http://[::1/", "", env), "");
  EXPECT_EQ(select_proxy("http://user:pw@example.com:8080/a", "", env), "http://p:1");
}

TEST(Proxy, NoProxyFromTheEnvironment) {
  auto env = env_of({{"HTTPS_PROXY", "http://p:1"},
                     {"NO_PROXY", "internal.example, .corp.example,10.1.2.3 am.ops:9093"}});
  EXPECT_EQ(select_proxy("https://internal.example/hook", "", env), "");
  EXPECT_EQ(select_proxy("https://x.internal.example/hook", "", env), "");
  EXPECT_EQ(select_proxy("https://notinternal.example/hook", "", env), "http://p:1");
  EXPECT_EQ(select_proxy("https://corp.example/", "", env), "");
  EXPECT_EQ(select_proxy("https://a.b.corp.example/", "", env), "");
  EXPECT_EQ(select_proxy("https://10.1.2.3/", "", env), "");
  EXPECT_EQ(select_proxy("https://10.1.2.30/", "", env), "http://p:1");
  EXPECT_EQ(select_proxy("https://am.ops:9093/", "", env), "");
  EXPECT_EQ(select_proxy("https://am.ops/", "", env), "http://p:1");  // port 443
  // no_proxy wins over NO_PROXY like the proxy variables.
  auto lower = env_of({{"HTTPS_PROXY", "http://p:1"}, {"NO_PROXY", "*"}, {"no_proxy", "other"}});
  EXPECT_EQ(select_proxy("https://example.com/", "", lower), "http://p:1");
}

TEST(Proxy, NoProxyMatching) {
  EXPECT_TRUE(no_proxy_matches("*", "anything", 1));
  EXPECT_TRUE(no_proxy_matches("a, *", "anything", 1));
  EXPECT_TRUE(no_proxy_matches("Example.COM", "example.com", 443));
  EXPECT_TRUE(no_proxy_matches("*.example.com", "hooks.example.com", 443));
  EXPECT_FALSE(no_proxy_matches("example.com", "badexample.com", 443));
  EXPECT_FALSE(no_proxy_matches("example.com:8443", "example.com", 443));
  EXPECT_TRUE(no_proxy_matches("example.com:8443", "example.com", 8443));
  EXPECT_TRUE(no_proxy_matches("[fd00::1]:9093", "fd00::1", 9093));
  EXPECT_TRUE(no_proxy_matches("fd00::1", "fd00::1", 9093));
  EXPECT_FALSE(no_proxy_matches("", "example.com", 443));
  EXPECT_FALSE(no_proxy_matches(" , ,.", "example.com", 443));
  EXPECT_FALSE(no_proxy_matches("example.com:notaport", "example.com", 443));
}

TEST(SendWindow, HoldsBackBeyondTheLimitUntilASlotFrees) {
  SendWindow window(3, 60s);
  auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000));
  EXPECT_FALSE(window.acquire(t0));
  EXPECT_FALSE(window.acquire(t0 + 10s));
  EXPECT_FALSE(window.acquire(t0 + 20s));
  auto wait = window.acquire(t0 + 30s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 30s);
  wait = window.acquire(t0 + 59s + 500ms);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1s);  // rounded up, never 0
  EXPECT_FALSE(window.acquire(t0 + 60s));
  EXPECT_TRUE(window.acquire(t0 + 61s));
  // A clock stepped back forgets sends "in the future".
  EXPECT_FALSE(window.acquire(t0 - 1h));
}

// The webhook sender goes through the proxy that the environment names: the
// loopback server plays the proxy, so it sees the absolute-form request line.
TEST(Proxy, WebhookSenderUsesTheEnvironmentsProxy) {
  test::FakePlatform proxy;
  config::Receiver r = proxy.receiver("webhook", "");
  r.url = config::Secret("http://hooks.example.invalid/omswatch?token=t");
  proxy.env["HTTP_PROXY"] = proxy.base_url();
  auto out = proxy.send(r, {test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  ASSERT_EQ(proxy.requests.size(), 1u);
  EXPECT_EQ(proxy.last().target, "http://hooks.example.invalid/omswatch?token=t");
  EXPECT_EQ(proxy.last().header("Host"), "hooks.example.invalid");

  // NO_PROXY sends it direct, where the name does not resolve: a retry, and
  // the proxy saw nothing.
  proxy.env["NO_PROXY"] = ".example.invalid";
  out = proxy.send(r, {test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::retry);
  EXPECT_EQ(proxy.requests.size(), 1u);
  EXPECT_EQ(out.detail.find("token"), std::string::npos);
}

}  // namespace
}  // namespace omswatch::notifiers
