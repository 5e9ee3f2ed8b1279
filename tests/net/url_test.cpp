// The private URL grammar behind HttpClient (net/url.h).

#include "net/url.h"

#include <gtest/gtest.h>

#include "net/http.h"

namespace omswatch::net::detail {
namespace {

TEST(ParseUrl, SplitsSchemeHostPortAndTarget) {
  auto url = parse_url("HTTPS://User:Pw@OMS.Example.internal:8443/api/v2?Action=X#frag");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->userinfo, "User:Pw");
  EXPECT_EQ(url->host, "oms.example.internal");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/api/v2?Action=X");
  EXPECT_EQ(url->authority(), "oms.example.internal:8443");
  EXPECT_EQ(url->host_port(), "oms.example.internal:8443");
}

TEST(ParseUrl, DefaultsPortAndPath) {
  auto plain = parse_url("http://oms");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(plain->authority(), "oms");
  EXPECT_EQ(plain->host_port(), "oms:80");

  auto secure = parse_url("https://hooks.example:/x");  // empty port: the default
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->port, 443);
  EXPECT_EQ(secure->authority(), "hooks.example");

  auto query_only = parse_url("http://oms?a=1");
  ASSERT_TRUE(query_only);
  EXPECT_EQ(query_only->target, "/?a=1");
}

TEST(ParseUrl, Ipv6LiteralsKeepTheirBracketsOnTheWire) {
  auto url = parse_url("http://[2001:db8::1]:8089/p");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->ipv6_literal);
  EXPECT_EQ(url->host, "2001:db8::1");
  EXPECT_EQ(url->authority(), "[2001:db8::1]:8089");
  auto default_port = parse_url("https://[::1]/");
  ASSERT_TRUE(default_port);
  EXPECT_EQ(default_port->authority(), "[::1]");
  EXPECT_EQ(default_port->host_port(), "[::1]:443");
}

TEST(ParseUrl, RejectsWhatCouldNotBeSentSafely) {
  for (const char* text :
       {"", "oms:8089", "ftp://oms/", "http:/oms/", "http://", "http://:80/", "http://oms:0/",
        "http://oms:65536/", "http://oms:123456/", "http://oms:-1/", "http://[::1]x/",
        "http://[fe80::1%25eth0]/", "http://[1.2.3.4]/", "http://o ms/", "http://oms/\x7f",
        "http://oms/\ttab", "http://oms,evil/", "http://oms/\r\nHost: evil"}) {
    auto url = parse_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error(), make_error_code(Errc::bad_url)) << text;
  }
  EXPECT_FALSE(parse_url("http://oms/" + std::string(9000, 'a')));
}

TEST(BasicCredentials, DecodesPercentEscapes) {
  EXPECT_EQ(basic_credentials("alice:s%40cret"), "YWxpY2U6c0BjcmV0");  // alice:s@cret
  EXPECT_EQ(basic_credentials("bob"), "Ym9iOg==");                     // bob:
  EXPECT_EQ(basic_credentials("a:%zz"), "YToleno=");                   // a:%zz, kept as written
}

}  // namespace
}  // namespace omswatch::net::detail
