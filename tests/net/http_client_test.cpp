// The HTTP client against the real HttpServer over loopback sockets.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "tests/net/net_test_support.h"
#include "tests/support/host_name.h"

namespace omswatch::net::testing {
namespace {

using tcp = asio::ip::tcp;

class HttpClientTest : public NetTest {};

TEST_F(HttpClientTest, PostCarriesHeadersAndBodyBothWays) {
  std::vector<ServerRequest> seen;
  HttpServer server(ioc_.get_executor(),
                    [&](ServerRequest request) -> asio::awaitable<ServerResponse> {
                      seen.push_back(request);
                      ServerResponse response;
                      response.status = 201;
                      response.headers = {{"X-Reply", "yes"}};
                      response.body = R"({"success":true})";
                      co_return response;
                    });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  HttpRequest request;
  request.url = url_of(server, "/api/v2?Action=DescribeProjectProgress");
  request.headers = {{"X-Custom", "1"}};
  request.body = R"({"id":"np_1"})";
  auto result = send(client, request);

  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->status, 201u);
  EXPECT_EQ(result->header("x-reply"), "yes");
  EXPECT_EQ(result->header("Content-Type"), "application/json");
  EXPECT_EQ(result->body, R"({"success":true})");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/api/v2?Action=DescribeProjectProgress");
  EXPECT_EQ(seen[0].body, R"({"id":"np_1"})");
  EXPECT_EQ(seen[0].header("X-Custom"), "1");
  EXPECT_EQ(seen[0].header("Content-Type"), "application/json");
  EXPECT_EQ(seen[0].header("Content-Length"), "13");
  EXPECT_EQ(seen[0].header("User-Agent"), "omswatch");
  EXPECT_EQ(seen[0].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST_F(HttpClientTest, GetWithoutBodyKeepsCallerContentTypeAndUserAgent) {
  std::vector<ServerRequest> seen;
  HttpServer server(ioc_.get_executor(),
                    [&](ServerRequest request) -> asio::awaitable<ServerResponse> {
                      seen.push_back(request);
                      auto response = answer("pong");
                      response.content_type = "text/plain";
                      co_return response;
                    });
  server.listen("127.0.0.1", 0);
  HttpClientOptions options;
  options.user_agent = "omswatch-test/1";
  HttpClient client(ioc_.get_executor(), options);

  auto get_result = send(client, get(url_of(server, "/health#fragment")));
  HttpRequest post;
  post.url = url_of(server, "/form");
  post.headers = {{"content-type", "application/x-www-form-urlencoded"}, {"User-Agent", "mine"}};
  post.body = "a=1";
  auto post_result = send(client, post);

  ASSERT_TRUE(get_result) << get_result.error().message();
  EXPECT_EQ(get_result->body, "pong");
  EXPECT_EQ(get_result->header("content-type"), "text/plain");
  ASSERT_TRUE(post_result) << post_result.error().message();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/health");
  EXPECT_EQ(seen[0].header("Content-Type"), "");
  EXPECT_EQ(seen[0].header("User-Agent"), "omswatch-test/1");
  EXPECT_EQ(seen[1].header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[1].header("User-Agent"), "mine");
}

TEST_F(HttpClientTest, CredentialsInTheUrlBecomeBasicAuthorization) {
  std::string authorization;
  HttpServer server(ioc_.get_executor(),
                    [&](ServerRequest request) -> asio::awaitable<ServerResponse> {
                      authorization = std::string(request.header("Authorization"));
                      co_return ServerResponse{};
                    });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto result =
      send(client, get("http://alice:s%40cret@127.0.0.1:" + std::to_string(server.port()) + "/"));

  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(authorization, "Basic YWxpY2U6c0BjcmV0");  // alice:s@cret
}

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"));
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  for (int i = 0; i < 5; ++i) {
    auto result = send(client, get(url_of(server, "/n/" + std::to_string(i))));
    ASSERT_TRUE(result) << result.error().message();
  }

  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(client.idle_connections(), 1u);
  EXPECT_EQ(server.requests_served(), 5u);
  client.close_idle();
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, IdleConnectionsExpireAfterIdleTimeout) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"));
  server.listen("127.0.0.1", 0);
  HttpClientOptions options;
  options.idle_timeout = std::chrono::seconds(0);  // every idle connection is already too old
  HttpClient client(ioc_.get_executor(), options);

  ASSERT_TRUE(send(client, get(url_of(server))));
  ASSERT_TRUE(send(client, get(url_of(server))));

  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ConcurrentRequestsOpenSeparateConnectionsAndPoolThem) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"));
  server.listen("127.0.0.1", 0);
  HttpClientOptions options;
  options.max_idle_per_host = 2;
  HttpClient client(ioc_.get_executor(), options);

  auto ok = run<int>([&]() -> asio::awaitable<int> {
    using namespace boost::asio::experimental::awaitable_operators;
    auto one = [&]() -> asio::awaitable<bool> {
      auto r = co_await client.send(get(url_of(server)));
      co_return r.has_value() && r->status == 200;
    };
    auto [a, b, c] = co_await (one() && one() && one());
    co_return int(a) + int(b) + int(c);
  });

  EXPECT_EQ(ok, 3);
  EXPECT_EQ(client.connections_opened(), 3u);
  EXPECT_EQ(client.idle_connections(), 2u);  // bounded by max_idle_per_host
}

TEST_F(HttpClientTest, ConnectionCloseFromServerIsRespected) {
  HttpServer server(ioc_.get_executor(), [](ServerRequest) -> asio::awaitable<ServerResponse> {
    co_return answer("bye", 200, {{"Connection", "close"}});
  });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto first = send(client, get(url_of(server)));
  auto second = send(client, get(url_of(server)));

  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->body, "bye");
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ConnectionCloseFromCallerIsRespected) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"));
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto request = get(url_of(server));
  request.headers = {{"Connection", "close"}};
  ASSERT_TRUE(send(client, request));
  ASSERT_TRUE(send(client, request));

  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

// The server drops the second request sent on a kept-alive connection, as a
// server that closed the idle connection just as the request went out would:
// the client retries once on a fresh connection.
TEST_F(HttpClientTest, StaleKeepAliveConnectionIsRetriedOnAFreshOne) {
  int calls = 0;
  HttpServer server(ioc_.get_executor(), [&](ServerRequest) -> asio::awaitable<ServerResponse> {
    ++calls;
    auto response = answer("call " + std::to_string(calls));
    response.drop_connection = calls == 2;
    co_return response;
  });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto first = send(client, get(url_of(server)));
  auto second = send(client, get(url_of(server)));

  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->body, "call 3");
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(HttpClientTest, ServerRestartBetweenRequestsIsTransparent) {
  auto server = std::make_unique<HttpServer>(ioc_.get_executor(), reply_with(200, "first"));
  server->listen("127.0.0.1", 0);
  const auto port = server->port();
  HttpClient client(ioc_.get_executor());
  ASSERT_TRUE(send(client, get(url_of(*server))));
  ASSERT_EQ(client.idle_connections(), 1u);

  server->stop();
  server.reset();
  HttpServer restarted(ioc_.get_executor(), reply_with(200, "second"));
  restarted.listen("127.0.0.1", port);
  auto result = send(client, get(url_of(restarted)));

  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->body, "second");
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(HttpClientTest, DroppedConnectionIsAnErrorNotACrash) {
  HttpServer server(ioc_.get_executor(), [](ServerRequest) -> asio::awaitable<ServerResponse> {
    ServerResponse response;
    response.drop_connection = true;
    co_return response;
  });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto result = send(client, get(url_of(server)));

  ASSERT_FALSE(result);
  EXPECT_NE(result.error(), make_error_code(Errc::timeout));
  EXPECT_EQ(client.connections_opened(), 1u);  // a fresh connection is not retried
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, HangingServerFailsWithTimeoutAtTheDeadline) {
  AsyncFlag reached(ioc_.get_executor());
  HttpServer server(ioc_.get_executor(), [&](ServerRequest) -> asio::awaitable<ServerResponse> {
    reached.set();
    co_await hang();
    co_return ServerResponse{};
  });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto request = get(url_of(server));
  request.timeout = std::chrono::milliseconds(200);
  auto result = send(client, request);

  EXPECT_TRUE(reached.is_set());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), make_error_code(Errc::timeout));
  EXPECT_EQ(client.idle_connections(), 0u);
  server.stop();
}

// A peer that accepts the connection and never reads nor answers.
TEST_F(HttpClientTest, SilentPeerFailsWithTimeout) {
  tcp::acceptor silent(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  HttpClient client(ioc_.get_executor());

  auto request = get("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/");
  request.timeout = std::chrono::milliseconds(200);
  auto result = send(client, request);

  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), make_error_code(Errc::timeout));
}

TEST_F(HttpClientTest, ResponseOverTheBoundIsRefusedAndTheConnectionDiscarded) {
  HttpServer server(ioc_.get_executor(), reply_with(200, std::string(10'000, 'x')));
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto request = get(url_of(server));
  request.max_response_bytes = 4096;
  auto too_large = send(client, request);
  request.max_response_bytes = 20'000;
  auto fits = send(client, request);

  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error(), make_error_code(Errc::response_too_large));
  ASSERT_TRUE(fits) << fits.error().message();
  EXPECT_EQ(fits->body.size(), 10'000u);
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(HttpClientTest, OversizedResponseHeaderIsRefused) {
  HttpServer server(ioc_.get_executor(), [](ServerRequest) -> asio::awaitable<ServerResponse> {
    co_return answer("", 200, {{"X-Padding", std::string(8000, 'p')}});
  });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto request = get(url_of(server));
  request.max_response_bytes = 4096;
  auto result = send(client, request);

  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), make_error_code(Errc::response_too_large));
}

TEST_F(HttpClientTest, BadUrlsAreRejectedWithoutConnecting) {
  HttpClient client(ioc_.get_executor());
  for (std::string url : {"", "not a url", "ftp://example.com/", "http://", "http:///path",
                          "http://host:0/", "http://host:65536/", "http://host:8x/",
                          "http://ho st/", "http://[::1/", "http://[not-v6]/", "http://host/a b",
                          "http://host/\r\nX-Injected: 1", "//host/path", "http://host%2f/"}) {
    auto result = send(client, get(url));
    ASSERT_FALSE(result) << url;
    EXPECT_EQ(result.error(), make_error_code(Errc::bad_url)) << url;
  }
  auto request = get("http://127.0.0.1:1/");
  request.proxy = "https://proxy.example:3128";  // TLS to the proxy is not supported
  auto result = send(client, request);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), make_error_code(Errc::bad_url));
  EXPECT_EQ(client.connections_opened(), 0u);
}

TEST_F(HttpClientTest, HeaderInjectionIsRefused) {
  HttpClient client(ioc_.get_executor());
  auto request = get("http://127.0.0.1:1/");
  request.headers = {{"X-Ok", "1\r\nX-Injected: 1"}};
  auto bad_value = send(client, request);
  request.headers = {{"Bad Name", "1"}};
  auto bad_name = send(client, request);
  request.headers = {};
  request.method = "GET /other HTTP/1.1\r\n";
  auto bad_method = send(client, request);

  for (const auto* result : {&bad_value, &bad_name, &bad_method}) {
    ASSERT_FALSE(*result);
    EXPECT_EQ(result->error(), make_error_code(Errc::bad_request));
  }
  EXPECT_EQ(client.connections_opened(), 0u);
}

TEST_F(HttpClientTest, ConnectionRefusedIsAnError) {
  std::uint16_t port;
  {
    tcp::acceptor probe(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  HttpClient client(ioc_.get_executor());

  auto result = send(client, get("http://127.0.0.1:" + std::to_string(port) + "/"));

  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), asio::error::connection_refused);
  EXPECT_EQ(client.connections_opened(), 0u);
}

TEST_F(HttpClientTest, HostNamesAreResolved) {
  ASSERT_TRUE(::omswatch::testing::resolves_to_loopback("localhost"));
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"));
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  // "localhost" may resolve to ::1 first, where nothing listens: the client
  // must go on to the next address.
  auto result = send(client, get(url_of(server, "/", "http", "localhost")));

  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->body, "ok");
}

TEST_F(HttpClientTest, Ipv6LiteralUrl) {
  HttpServer server(ioc_.get_executor(),
                    [](ServerRequest request) -> asio::awaitable<ServerResponse> {
                      co_return answer(std::string(request.header("Host")));
                    });
  try {
    server.listen("::1", 0);
  } catch (const boost::system::system_error&) {
    GTEST_SKIP() << "no IPv6 loopback on this host";
  }
  HttpClient client(ioc_.get_executor());

  auto result = send(client, get("http://[::1]:" + std::to_string(server.port()) + "/"));

  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->body, "[::1]:" + std::to_string(server.port()));
}

// Cancelling the caller (here: a deadline of its own that wins the race)
// must end the exchange cleanly and leave the client usable.
TEST_F(HttpClientTest, CancellingTheCallerLeavesTheClientUsable) {
  AsyncFlag reached(ioc_.get_executor());
  bool hang_next = true;
  HttpServer server(ioc_.get_executor(), [&](ServerRequest) -> asio::awaitable<ServerResponse> {
    if (std::exchange(hang_next, false)) {
      reached.set();
      co_await hang();
    }
    co_return answer("ok");
  });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  bool cancelled = run<bool>([&]() -> asio::awaitable<bool> {
    using namespace boost::asio::experimental::awaitable_operators;
    auto request = get(url_of(server));
    request.timeout = std::chrono::seconds(60);
    auto outcome = co_await (client.send(request) || reached.wait());
    co_return outcome.index() == 1;
  });
  auto after = send(client, get(url_of(server)));

  EXPECT_TRUE(cancelled);
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->body, "ok");
  server.stop();
}

TEST_F(HttpClientTest, DestroyingTheClientWithIdleConnectionsIsClean) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"));
  server.listen("127.0.0.1", 0);
  {
    HttpClient client(ioc_.get_executor());
    ASSERT_TRUE(send(client, get(url_of(server))));
    ASSERT_EQ(client.idle_connections(), 1u);
  }
  HttpClient other(ioc_.get_executor());
  EXPECT_TRUE(send(other, get(url_of(server))));
}

TEST_F(HttpClientTest, PreparedRequestCarriesEachBodyOnOnePooledConnection) {
  std::vector<ServerRequest> seen;
  HttpServer server(ioc_.get_executor(),
                    [&](ServerRequest request) -> asio::awaitable<ServerResponse> {
                      seen.push_back(request);
                      co_return answer("reply " + request.body);
                    });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());
  HttpRequest request;
  request.url = url_of(server, "/api/v2?Action=DescribeProjectProgress");
  request.headers = {{"X-Custom", "1"}};
  request.body = "ignored";
  auto prepared = client.prepare(request);
  ASSERT_TRUE(prepared) << prepared.error().message();

  std::vector<std::string> replies;
  for (std::string body : {R"({"id":"np_1"})", R"({"id":"np_22"})", ""}) {
    auto result = run<SendResult>([&]() -> asio::awaitable<SendResult> {
      co_return co_await client.send(*prepared, body);
    });
    ASSERT_TRUE(result) << result.error().message();
    replies.push_back(result->body);
  }

  EXPECT_THAT(replies, ::testing::ElementsAre(R"(reply {"id":"np_1"})", R"(reply {"id":"np_22"})",
                                              "reply "));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].method, "POST");
  EXPECT_EQ(seen[1].target, "/api/v2?Action=DescribeProjectProgress");
  EXPECT_EQ(seen[1].body, R"({"id":"np_22"})");
  EXPECT_EQ(seen[1].header("Content-Length"), "14");
  EXPECT_EQ(seen[1].header("Content-Type"), "application/json");
  EXPECT_EQ(seen[1].header("X-Custom"), "1");
  EXPECT_EQ(seen[1].header("User-Agent"), "omswatch");
  EXPECT_EQ(seen[1].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  // A POST without a body says so, and carries no Content-Type of its own.
  EXPECT_EQ(seen[2].header("Content-Length"), "0");
  EXPECT_EQ(seen[2].header("Content-Type"), "");
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST_F(HttpClientTest, PrepareRefusesWhatSendRefuses) {
  HttpClient client(ioc_.get_executor());
  auto bad_url = client.prepare(get("http://host/a b"));
  auto request = get("http://127.0.0.1:1/");
  request.headers = {{"X-Ok", "1\r\nX-Injected: 1"}};
  auto bad_header = client.prepare(request);
  ASSERT_FALSE(bad_url);
  EXPECT_EQ(bad_url.error(), make_error_code(Errc::bad_url));
  ASSERT_FALSE(bad_header);
  EXPECT_EQ(bad_header.error(), make_error_code(Errc::bad_request));
  EXPECT_EQ(client.connections_opened(), 0u);
}

}  // namespace
}  // namespace omswatch::net::testing
