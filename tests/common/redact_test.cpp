#include "common/redact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/base64.h"

namespace omswatch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Redactor, MasksEveryFormOfASecret) {
  Redactor r({"pa ss/w\"rd", "watcher:pa ss/w\"rd"});
  EXPECT_EQ(r("password was pa ss/w\"rd."), "password was ***.");
  EXPECT_EQ(r("q=pa%20ss%2Fw%22rd"), "q=***");
  EXPECT_EQ(r("q=pa%20ss%2fw%22rd"), "q=***");
  EXPECT_EQ(r("q=pa+ss%2Fw%22rd"), "q=***");
  EXPECT_EQ(r("q=%70a%20ss/w%22rd"), "q=***");  // encoded where no encoding is needed
  EXPECT_EQ(r("{\"p\":\"pa ss\\/w\\\"rd\"}"), "{\"p\":\"***\"}");
  EXPECT_EQ(r("{\"p\":\"pa ss/w\\\"rd\"}"), "{\"p\":\"***\"}");
  const std::string basic = base64_encode("watcher:pa ss/w\"rd");
  EXPECT_THAT(r("Authorization: Basic " + basic),
              Not(HasSubstr(basic.substr(0, basic.size() - 2))));
  EXPECT_THAT(r("Authorization: Basic " + basic), HasSubstr("Basic ***"));
}

TEST(Redactor, MasksBase64InsideALongerText) {
  Redactor r({"abcdefg"});
  const std::string alone = base64_encode("abcdefg");
  const std::string longer = base64_encode("abcdefg and more");
  EXPECT_THAT(r(alone), HasSubstr("***"));
  EXPECT_THAT(r(longer), Not(HasSubstr(longer.substr(0, 8))));
}

TEST(Redactor, ShortSecretsAndEmptyRedactorLeaveTextAlone) {
  EXPECT_EQ(Redactor()("anything at all"), "anything at all");
  EXPECT_TRUE(Redactor({"abc", ""}).empty());
  EXPECT_EQ(Redactor({"abc"})("abc abc"), "abc abc");
}

TEST(Redactor, OverlappingSecretsLeaveNoPartVisible) {
  Redactor r({"secret", "my-secret-token", "xsec"});
  EXPECT_EQ(r("my-secret-token, secret, secretsecret"), "***, ***, ***");
  EXPECT_EQ(r("a xsecret b"), "a *** b");
}

TEST(Redactor, MaskInPlaceIsTheSameAsTheCopy) {
  const Redactor redact({"s3cret pw", "user:s3cret pw"});
  for (std::string text : {"", "RUNNING", "pw s3cret pw!", "s3cret+pw", "%73%33cret%20pw",
                           "no secret here at all", "a\"s3cret pw\"b s3cret pw"}) {
    std::string in_place = text;
    redact.mask(in_place);
    EXPECT_EQ(in_place, redact(text)) << text;
  }
  std::string text = "x s3cret pw y";
  redact.mask(text);
  EXPECT_EQ(text, "x *** y");
}

TEST(UrlSecrets, TokensOfChatWebhookUrls) {
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  auto slack = url_secrets("https://hooks.slack.com/services/T0001/B0002/XXXXyyyyZZZZ1234");
  EXPECT_TRUE(has(slack, "XXXXyyyyZZZZ1234"));
  EXPECT_FALSE(has(slack, "services"));
  auto ding = url_secrets("https://oapi.dingtalk.com/robot/send?access_token=abc123def456");
  EXPECT_TRUE(has(ding, "abc123def456"));
  EXPECT_FALSE(has(ding, "send"));
  auto wecom = url_secrets("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k%2By");
  EXPECT_TRUE(has(wecom, "k%2By"));
  EXPECT_TRUE(has(wecom, "k+y"));
  auto am = url_secrets("http://am%40ops:p%40ss%20word@127.0.0.1:9093/");
  EXPECT_TRUE(has(am, "am@ops:p@ss word"));
  EXPECT_TRUE(has(am, "p@ss word"));
  EXPECT_TRUE(has(am, "p%40ss%20word"));
  EXPECT_TRUE(url_secrets("http://127.0.0.1:9093/api?format=json").empty());
}

TEST(UrlSecrets, LooksLikeToken) {
  EXPECT_TRUE(looks_like_token("0123456789abcdef"));
  EXPECT_TRUE(looks_like_token("B0002xyz"));
  EXPECT_FALSE(looks_like_token("services"));
  EXPECT_FALSE(looks_like_token("v2"));
}

}  // namespace
}  // namespace omswatch
