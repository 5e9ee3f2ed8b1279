// Requests through an HTTP proxy: absolute-form for plain HTTP, a CONNECT
// tunnel for HTTPS, with a small proxy built here from Asio primitives.

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/net/net_test_support.h"
#include "tests/net/test_pki.h"

namespace omswatch::net::testing {
namespace {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Answers CONNECT with `status`; on 200 it connects to the target and relays
// bytes both ways until either side closes.
class ConnectProxy {
 public:
  ConnectProxy(asio::io_context& ioc, unsigned status)
      : ioc_(ioc),
        acceptor_(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        state_(std::make_shared<State>()) {
    state_->status = status;
    asio::co_spawn(ioc, accept_loop(acceptor_, state_), asio::detached);
  }
  ~ConnectProxy() {
    acceptor_.close();
    for (auto& weak : state_->sockets) {
      if (auto socket = weak.lock()) socket->close();
    }
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  const std::vector<std::string>& targets() const { return state_->targets; }
  const std::vector<std::string>& authorizations() const { return state_->authorizations; }

 private:
  struct State {
    unsigned status = 200;
    std::vector<std::string> targets;
    std::vector<std::string> authorizations;
    std::vector<std::weak_ptr<tcp::socket>> sockets;
  };

  static asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::shared_ptr<State> state) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (ec) co_return;
      auto client = std::make_shared<tcp::socket>(std::move(socket));
      state->sockets.push_back(client);
      asio::co_spawn(acceptor.get_executor(), tunnel(client, state), asio::detached);
    }
  }

  static asio::awaitable<void> tunnel(std::shared_ptr<tcp::socket> client,
                                      std::shared_ptr<State> state) {
    boost::beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    auto [read_ec, n] = co_await http::async_read_header(*client, buffer, parser, kNoThrow);
    if (read_ec) co_return;
    const auto& request = parser.get();
    state->targets.emplace_back(request.target());
    state->authorizations.emplace_back(request[http::field::proxy_authorization]);
    if (request.method() != http::verb::connect || state->status != 200) {
      http::response<http::string_body> refusal{static_cast<http::status>(state->status), 11};
      refusal.body() = "no tunnel for you";
      refusal.prepare_payload();
      co_await http::async_write(*client, refusal, kNoThrow);
      co_return;
    }

    std::string target(request.target());
    auto colon = target.rfind(':');
    auto upstream = std::make_shared<tcp::socket>(client->get_executor());
    state->sockets.push_back(upstream);
    tcp::resolver resolver(client->get_executor());
    auto [resolve_ec, endpoints] = co_await resolver.async_resolve(
        target.substr(0, colon), target.substr(colon + 1), kNoThrow);
    if (resolve_ec) co_return;
    auto [connect_ec, endpoint] = co_await asio::async_connect(*upstream, endpoints, kNoThrow);
    if (connect_ec) co_return;
    static constexpr std::string_view kEstablished = "HTTP/1.1 200 Connection established\r\n\r\n";
    co_await asio::async_write(*client, asio::buffer(kEstablished), kNoThrow);

    using namespace boost::asio::experimental::awaitable_operators;
    co_await (relay(*client, *upstream) || relay(*upstream, *client));
  }

  static asio::awaitable<void> relay(tcp::socket& from, tcp::socket& to) {
    std::array<char, 16 * 1024> data;
    for (;;) {
      auto [read_ec, n] = co_await from.async_read_some(asio::buffer(data), kNoThrow);
      if (read_ec) co_return;
      auto [write_ec, written] = co_await asio::async_write(to, asio::buffer(data, n), kNoThrow);
      if (write_ec) co_return;
    }
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<State> state_;
};

class HttpProxyTest : public NetTest {
 protected:
  static void SetUpTestSuite() {
    pki_ = new TestPki();
    localhost_ = new CertFiles(pki_->issue("localhost", "DNS:localhost,IP:127.0.0.1"));
    wrong_host_ = new CertFiles(pki_->issue("wrong.example", "DNS:wrong.example"));
  }
  static void TearDownTestSuite() {
    delete localhost_;
    delete wrong_host_;
    delete pki_;
  }

  std::unique_ptr<HttpServer> tls_origin(const CertFiles& files) {
    auto server = std::make_unique<HttpServer>(
        ioc_.get_executor(),
        [](ServerRequest request) -> asio::awaitable<ServerResponse> {
          co_return answer("origin saw " + request.target);
        },
        tls_options(files));
    server->listen("127.0.0.1", 0);
    return server;
  }

  static HttpServerOptions tls_options(const CertFiles& files) {
    HttpServerOptions options;
    options.tls_cert_file = files.cert;
    options.tls_key_file = files.key;
    return options;
  }
  static HttpClientOptions trusting_test_ca() {
    HttpClientOptions options;
    options.extra_ca_file = pki_->ca_file();
    return options;
  }

  static inline TestPki* pki_ = nullptr;
  static inline CertFiles* localhost_ = nullptr;
  static inline CertFiles* wrong_host_ = nullptr;
};

TEST_F(HttpProxyTest, PlainHttpGoesToTheProxyInAbsoluteForm) {
  std::vector<ServerRequest> at_origin;
  HttpServer origin(ioc_.get_executor(),
                    [&](ServerRequest request) -> asio::awaitable<ServerResponse> {
                      at_origin.push_back(request);
                      co_return answer("from origin");
                    });
  origin.listen("127.0.0.1", 0);
  // The proxy forwards what it receives with a client of its own.
  std::vector<ServerRequest> at_proxy;
  HttpClient forwarder(ioc_.get_executor());
  HttpServer proxy(ioc_.get_executor(),
                   [&](ServerRequest request) -> asio::awaitable<ServerResponse> {
                     at_proxy.push_back(request);
                     HttpRequest forwarded;
                     forwarded.method = request.method;
                     forwarded.url = request.target;
                     forwarded.body = request.body;
                     auto reply = co_await forwarder.send(forwarded);
                     if (!reply) co_return answer("", 502);
                     co_return answer(reply->body, reply->status);
                   });
  proxy.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  const std::string origin_url = url_of(origin, "/api/v2?Action=DescribeProjectProgress");
  HttpRequest request;
  request.url = origin_url;
  request.body = R"({"id":"np_1"})";
  request.proxy = "http://omswatch:pr%3Axy@127.0.0.1:" + std::to_string(proxy.port());
  auto first = send(client, request);
  auto second = send(client, request);

  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->body, "from origin");
  ASSERT_TRUE(second) << second.error().message();
  ASSERT_EQ(at_proxy.size(), 2u);
  EXPECT_EQ(at_proxy[0].target, origin_url);
  EXPECT_EQ(at_proxy[0].header("Host"), "127.0.0.1:" + std::to_string(origin.port()));
  EXPECT_EQ(at_proxy[0].header("Proxy-Authorization"), "Basic b21zd2F0Y2g6cHI6eHk=");
  ASSERT_EQ(at_origin.size(), 2u);
  EXPECT_EQ(at_origin[0].target, "/api/v2?Action=DescribeProjectProgress");
  EXPECT_EQ(at_origin[0].body, R"({"id":"np_1"})");
  EXPECT_EQ(client.connections_opened(), 1u);  // the connection to the proxy is kept
}

TEST_F(HttpProxyTest, HttpsGoesThroughAConnectTunnel) {
  auto origin = tls_origin(*localhost_);
  ConnectProxy proxy(ioc_, 200);
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto request = get(url_of(*origin, "/first", "https", "127.0.0.1"));
  request.proxy = proxy.url();
  auto first = send(client, request);
  request.url = url_of(*origin, "/second", "https", "127.0.0.1");
  auto second = send(client, request);

  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->body, "origin saw /first");
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->body, "origin saw /second");
  // One tunnel, reused: the proxy saw one CONNECT, to the origin's host:port.
  ASSERT_EQ(proxy.targets().size(), 1u);
  EXPECT_EQ(proxy.targets()[0], "127.0.0.1:" + std::to_string(origin->port()));
  EXPECT_EQ(proxy.authorizations()[0], "");
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST_F(HttpProxyTest, TunnelDoesNotWeakenCertificateChecks) {
  auto origin = tls_origin(*wrong_host_);
  ConnectProxy proxy(ioc_, 200);
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto request = get(url_of(*origin, "/", "https", "127.0.0.1"));
  request.proxy = proxy.url();
  auto result = send(client, request);

  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().category(), asio::error::get_ssl_category()) << result.error().message();
  EXPECT_EQ(proxy.targets().size(), 1u);
}

TEST_F(HttpProxyTest, RefusedConnectIsProxyRefused) {
  auto origin = tls_origin(*localhost_);
  ConnectProxy proxy(ioc_, 407);
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto request = get(url_of(*origin, "/", "https", "127.0.0.1"));
  request.proxy = proxy.url();
  auto result = send(client, request);

  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), make_error_code(Errc::proxy_refused));
  EXPECT_EQ(origin->requests_served(), 0u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpProxyTest, ProxyCredentialsGoWithConnect) {
  auto origin = tls_origin(*localhost_);
  ConnectProxy proxy(ioc_, 200);
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto request = get(url_of(*origin, "/", "https", "127.0.0.1"));
  request.proxy = "http://user:secret@" + proxy.url().substr(std::string("http://").size());
  auto result = send(client, request);

  ASSERT_TRUE(result) << result.error().message();
  ASSERT_EQ(proxy.authorizations().size(), 1u);
  EXPECT_EQ(proxy.authorizations()[0], "Basic dXNlcjpzZWNyZXQ=");
}

TEST_F(HttpProxyTest, UnreachableProxyIsAnError) {
  std::uint16_t port;
  {
    tcp::acceptor probe(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  HttpClient client(ioc_.get_executor());

  auto request = get("https://127.0.0.1:1/");
  request.proxy = "http://127.0.0.1:" + std::to_string(port);
  auto result = send(client, request);

  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), asio::error::connection_refused);
}

}  // namespace
}  // namespace omswatch::net::testing
