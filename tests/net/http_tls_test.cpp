// HTTPS: certificate chain and host-name verification, SNI and the TLS
// handshake deadline, against certificates made at test time.

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <string>

#include "tests/net/net_test_support.h"
#include "tests/net/test_pki.h"
#include "tests/support/host_name.h"

namespace omswatch::net::testing {
namespace {

namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class HttpsTest : public NetTest {
 protected:
  static void SetUpTestSuite() {
    pki_ = new TestPki();
    localhost_ = new CertFiles(pki_->issue("localhost", "DNS:localhost,IP:127.0.0.1"));
    wrong_host_ = new CertFiles(pki_->issue("wrong.example", "DNS:wrong.example"));
    self_signed_ = new CertFiles(pki_->self_signed("self", "DNS:localhost,IP:127.0.0.1"));
  }
  static void TearDownTestSuite() {
    delete localhost_;
    delete wrong_host_;
    delete self_signed_;
    delete pki_;
  }

  std::unique_ptr<HttpServer> tls_server(const CertFiles& files, Handler handler) {
    auto server =
        std::make_unique<HttpServer>(ioc_.get_executor(), std::move(handler), tls_options(files));
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

  static bool is_tls_failure(const boost::system::error_code& ec) {
    return ec.category() == asio::error::get_ssl_category() ||
           ec.category() == asio::ssl::error::get_stream_category();
  }

  static inline TestPki* pki_ = nullptr;
  static inline CertFiles* localhost_ = nullptr;
  static inline CertFiles* wrong_host_ = nullptr;
  static inline CertFiles* self_signed_ = nullptr;
};

TEST_F(HttpsTest, CertificateSignedByTheTrustedCaWorksAndIsReused) {
  ASSERT_TRUE(::omswatch::testing::resolves_to_loopback("localhost"));
  auto server = tls_server(*localhost_, reply_with(200, "secure"));
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto by_name = send(client, get(url_of(*server, "/a", "https", "localhost")));
  auto again = send(client, get(url_of(*server, "/b", "https", "localhost")));
  auto by_address = send(client, get(url_of(*server, "/c", "https", "127.0.0.1")));

  ASSERT_TRUE(by_name) << by_name.error().message();
  EXPECT_EQ(by_name->body, "secure");
  ASSERT_TRUE(again) << again.error().message();
  ASSERT_TRUE(by_address) << by_address.error().message();
  // One connection per host:port as written in the URL.
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(server->requests_served(), 3u);
}

TEST_F(HttpsTest, CertificateForAnotherHostIsRefused) {
  ASSERT_TRUE(::omswatch::testing::resolves_to_loopback("localhost"));
  auto server = tls_server(*wrong_host_, reply_with(200, "should not be read"));
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto by_name = send(client, get(url_of(*server, "/", "https", "localhost")));
  auto by_address = send(client, get(url_of(*server, "/", "https", "127.0.0.1")));

  ASSERT_FALSE(by_name);
  EXPECT_TRUE(is_tls_failure(by_name.error())) << by_name.error().message();
  ASSERT_FALSE(by_address);
  EXPECT_TRUE(is_tls_failure(by_address.error())) << by_address.error().message();
  EXPECT_EQ(server->requests_served(), 0u);
  EXPECT_EQ(client.connections_opened(), 0u);
}

TEST_F(HttpsTest, SelfSignedCertificateIsRefused) {
  auto server = tls_server(*self_signed_, reply_with(200, "should not be read"));
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto result = send(client, get(url_of(*server, "/", "https", "127.0.0.1")));

  ASSERT_FALSE(result);
  EXPECT_TRUE(is_tls_failure(result.error())) << result.error().message();
  EXPECT_EQ(server->requests_served(), 0u);
}

TEST_F(HttpsTest, TestCaIsNotTrustedWithoutExtraCaFile) {
  auto server = tls_server(*localhost_, reply_with(200, "should not be read"));
  HttpClient client(ioc_.get_executor());

  auto result = send(client, get(url_of(*server, "/", "https", "127.0.0.1")));

  ASSERT_FALSE(result);
  EXPECT_TRUE(is_tls_failure(result.error())) << result.error().message();
}

TEST_F(HttpsTest, MissingCaFileFailsAtConstruction) {
  HttpClientOptions options;
  options.extra_ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(HttpClient(ioc_.get_executor(), options), boost::system::system_error);
}

TEST_F(HttpsTest, ServerWithMissingCertificateFailsToListen) {
  auto options = tls_options(*localhost_);
  options.tls_cert_file = "/nonexistent/cert.pem";
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"), options);
  EXPECT_THROW(server.listen("127.0.0.1", 0), boost::system::system_error);
}

TEST_F(HttpsTest, HandshakeWithASilentPeerTimesOut) {
  tcp::acceptor silent(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto request = get("https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/");
  request.timeout = std::chrono::milliseconds(200);
  auto result = send(client, request);

  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), make_error_code(Errc::timeout));
}

TEST_F(HttpsTest, HttpsToAPlainHttpServerIsAnError) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "plain"));
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto result = send(client, get(url_of(server, "/", "https")));

  ASSERT_FALSE(result);
  EXPECT_NE(result.error(), make_error_code(Errc::timeout));
}

// A one-shot TLS server that records the server name the client asked for.
TEST_F(HttpsTest, ServerNameIndicationCarriesTheHostNameOnly) {
  ASSERT_TRUE(::omswatch::testing::resolves_to_loopback("localhost"));
  ssl::context context(ssl::context::tls_server);
  context.use_certificate_chain_file(localhost_->cert);
  context.use_private_key_file(localhost_->key, ssl::context::pem);
  std::vector<std::string> names;
  SSL_CTX_set_tlsext_servername_callback(
      context.native_handle(), +[](SSL* ssl, int*, void* arg) -> int {
        const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        static_cast<std::vector<std::string>*>(arg)->push_back(name ? name : "(none)");
        return SSL_TLSEXT_ERR_OK;
      });
  SSL_CTX_set_tlsext_servername_arg(context.native_handle(), &names);
  tcp::acceptor acceptor(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
          ssl::stream<tcp::socket> stream(std::move(socket), context);
          auto [handshake_ec] = co_await stream.async_handshake(
              ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
          if (handshake_ec) continue;
          boost::beast::flat_buffer buffer;
          http::request<http::string_body> request;
          co_await http::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
          http::response<http::string_body> response{http::status::ok, 11};
          response.body() = "named";
          response.keep_alive(false);
          response.prepare_payload();
          co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
        }
      },
      asio::detached);
  HttpClient client(ioc_.get_executor(), trusting_test_ca());

  auto by_name = send(client, get("https://localhost:" + std::to_string(port) + "/"));
  auto by_address = send(client, get("https://127.0.0.1:" + std::to_string(port) + "/"));
  acceptor.close();

  ASSERT_TRUE(by_name) << by_name.error().message();
  EXPECT_EQ(by_name->body, "named");
  ASSERT_TRUE(by_address) << by_address.error().message();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "localhost");
  EXPECT_EQ(names[1], "(none)");  // no SNI for an IP address
}

}  // namespace
}  // namespace omswatch::net::testing
