// The HTTP server's bounds and its shutdown, driven by the real client and by
// raw sockets where the client would refuse to misbehave.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>
#include <string>

#include "tests/net/net_test_support.h"

namespace omswatch::net::testing {
namespace {

using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

class HttpServerTest : public NetTest {
 protected:
  static HttpServerOptions bounded(std::size_t max_request_bytes) {
    HttpServerOptions options;
    options.max_request_bytes = max_request_bytes;
    return options;
  }

  // Sends raw bytes on a fresh connection and returns everything the server
  // writes until it closes the connection.
  std::string raw_exchange(const HttpServer& server, std::string bytes) {
    return run<std::string>([&]() -> asio::awaitable<std::string> {
      tcp::socket socket(ioc_);
      auto [connect_ec] = co_await socket.async_connect(
          tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()), kNoThrow);
      if (connect_ec) co_return "connect failed: " + connect_ec.message();
      co_await asio::async_write(socket, asio::buffer(bytes), kNoThrow);
      std::string received;
      // Reads until the server closes; the error (EOF) is expected.
      co_await asio::async_read(socket, asio::dynamic_buffer(received), kNoThrow);
      co_return received;
    });
  }
};

TEST_F(HttpServerTest, ListenPicksAFreePortAndRefusesABusyOne) {
  HttpServer first(ioc_.get_executor(), reply_with(200, "ok"));
  first.listen("127.0.0.1", 0);
  EXPECT_NE(first.port(), 0);

  HttpServer second(ioc_.get_executor(), reply_with(200, "ok"));
  EXPECT_THROW(second.listen("127.0.0.1", first.port()), boost::system::system_error);
  HttpServer third(ioc_.get_executor(), reply_with(200, "ok"));
  EXPECT_THROW(third.listen("no-such-host.invalid", 0), boost::system::system_error);
}

TEST_F(HttpServerTest, RequestOverTheBoundGets413AndTheConnectionCloses) {
  int calls = 0;
  HttpServer server(
      ioc_.get_executor(),
      [&](ServerRequest) -> asio::awaitable<ServerResponse> {
        ++calls;
        co_return ServerResponse{};
      },
      bounded(1024));
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  HttpRequest request;
  request.url = url_of(server);
  request.body = std::string(4096, 'b');
  auto refused = send(client, request);
  request.body = std::string(100, 'b');
  auto accepted = send(client, request);

  ASSERT_TRUE(refused) << refused.error().message();
  EXPECT_EQ(refused->status, 413u);
  EXPECT_EQ(refused->header("Connection"), "close");
  ASSERT_TRUE(accepted) << accepted.error().message();
  EXPECT_EQ(accepted->status, 200u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(HttpServerTest, OversizedHeaderGets413) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"), bounded(1024));
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto request = get(url_of(server));
  request.headers = {{"X-Padding", std::string(2000, 'p')}};
  auto result = send(client, request);

  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->status, 413u);
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"));
  server.listen("127.0.0.1", 0);

  auto reply = raw_exchange(server, "NOT HTTP AT ALL\r\n\r\n");

  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_EQ(server.requests_served(), 0u);
}

TEST_F(HttpServerTest, Http10RequestIsAnsweredAndClosed) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "hello"));
  server.listen("127.0.0.1", 0);

  auto reply = raw_exchange(server, "GET / HTTP/1.0\r\n\r\n");

  EXPECT_EQ(reply.rfind("HTTP/1.0 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("\r\n\r\nhello"), std::string::npos) << reply;
}

TEST_F(HttpServerTest, HeadRequestGetsHeadersOnly) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "twelve bytes"));
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto request = get(url_of(server));
  request.method = "HEAD";
  auto head = send(client, request);
  auto after = send(client, get(url_of(server)));  // same connection: framing intact

  ASSERT_TRUE(head) << head.error().message();
  EXPECT_EQ(head->header("Content-Length"), "12");
  EXPECT_EQ(head->body, "");
  ASSERT_TRUE(after) << after.error().message();
  EXPECT_EQ(after->body, "twelve bytes");
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST_F(HttpServerTest, HandlerFailureIs500AndHandlerHeadersCannotSplitTheResponse) {
  HttpServer server(
      ioc_.get_executor(), [](ServerRequest request) -> asio::awaitable<ServerResponse> {
        if (request.target == "/throw") throw std::runtime_error("handler bug");
        co_return answer("ok", 200, {{"X-Evil", "a\r\nX-Injected: 1"}, {"X-Fine", "1"}});
      });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto failed = send(client, get(url_of(server, "/throw")));
  auto fine = send(client, get(url_of(server, "/fine")));

  ASSERT_TRUE(failed) << failed.error().message();
  EXPECT_EQ(failed->status, 500u);
  ASSERT_TRUE(fine) << fine.error().message();
  EXPECT_EQ(fine->header("X-Injected"), "");
  EXPECT_EQ(fine->header("X-Evil"), "");
  EXPECT_EQ(fine->header("X-Fine"), "1");
}

TEST_F(HttpServerTest, BodylessAndInvalidStatusesAreFramedCorrectly) {
  HttpServer server(ioc_.get_executor(),
                    [](ServerRequest request) -> asio::awaitable<ServerResponse> {
                      if (request.target == "/204") co_return answer("dropped", 204);
                      if (request.target == "/42") co_return answer("", 42);
                      if (request.target == "/101") co_return answer("", 101);
                      if (request.target == "/int") throw 42;  // not even a std::exception
                      co_return answer("fine");
                    });
  server.listen("127.0.0.1", 0);
  HttpClient client(ioc_.get_executor());

  auto no_content = send(client, get(url_of(server, "/204")));
  auto too_small = send(client, get(url_of(server, "/42")));
  auto interim = send(client, get(url_of(server, "/101")));
  auto odd_throw = send(client, get(url_of(server, "/int")));
  auto fine = send(client, get(url_of(server, "/")));

  ASSERT_TRUE(no_content) << no_content.error().message();
  EXPECT_EQ(no_content->status, 204u);
  EXPECT_EQ(no_content->body, "");
  ASSERT_TRUE(too_small) << too_small.error().message();
  EXPECT_EQ(too_small->status, 500u);
  ASSERT_TRUE(interim) << interim.error().message();
  EXPECT_EQ(interim->status, 500u);
  ASSERT_TRUE(odd_throw) << odd_throw.error().message();
  EXPECT_EQ(odd_throw->status, 500u);
  ASSERT_TRUE(fine) << fine.error().message();
  EXPECT_EQ(fine->body, "fine");
  EXPECT_EQ(client.connections_opened(), 1u);  // framing stayed intact throughout
}

// When every connection is busy with a request, one more is closed at once;
// it gets in once a slot is free.
TEST_F(HttpServerTest, ConnectionsOverTheLimitAreClosedWhileAllAreBusy) {
  AsyncFlag reached(ioc_.get_executor());
  AsyncFlag release(ioc_.get_executor());
  AsyncFlag answered(ioc_.get_executor());
  HttpServer server(
      ioc_.get_executor(),
      [&](ServerRequest request) -> asio::awaitable<ServerResponse> {
        if (request.target == "/busy") {
          reached.set();
          co_await release.wait();
        }
        co_return answer("ok");
      },
      [] {
        HttpServerOptions options;
        options.max_connections = 1;
        return options;
      }());
  server.listen("127.0.0.1", 0);
  HttpClient holder(ioc_.get_executor());
  HttpClient other(ioc_.get_executor());

  std::optional<SendResult> busy;
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> {
        busy = co_await holder.send(get(url_of(server, "/busy")));
        answered.set();
      },
      asio::detached);
  run<bool>([&]() -> asio::awaitable<bool> {
    co_await reached.wait();
    co_return true;
  });
  auto refused = send(other, get(url_of(server)));
  release.set();
  run<bool>([&]() -> asio::awaitable<bool> {
    co_await answered.wait();
    co_return true;
  });
  holder.close_idle();
  auto later = run<SendResult>([&]() -> asio::awaitable<SendResult> {
    // The server learns of the close asynchronously; retry until the slot is free.
    for (;;) {
      auto result = co_await other.send(get(url_of(server)));
      if (result) co_return result;
    }
  });

  EXPECT_FALSE(refused);
  ASSERT_TRUE(later) << later.error().message();
  ASSERT_TRUE(busy.has_value());
  EXPECT_TRUE(*busy);
}

// Clients that connect and send nothing hold every slot (until the read
// timeout, far away): a new connection takes the place of the one that has
// waited longest, so a health check still gets its answer at once.
TEST_F(HttpServerTest, SilentClientsCannotLockOutARequest) {
  constexpr std::size_t kSlots = 64;
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"), [] {
    HttpServerOptions options;
    options.max_connections = kSlots;
    options.read_timeout = std::chrono::seconds(10);
    return options;
  }());
  server.listen("127.0.0.1", 0);
  std::vector<std::unique_ptr<tcp::socket>> silent;
  for (std::size_t i = 0; i < kSlots; ++i) {
    silent.push_back(std::make_unique<tcp::socket>(ioc_));
    auto& socket = *silent.back();
    auto connected = run<bool>([&]() -> asio::awaitable<bool> {
      auto [ec] = co_await socket.async_connect(
          tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()), kNoThrow);
      co_return !ec;
    });
    ASSERT_TRUE(connected);
  }

  HttpClient client(ioc_.get_executor());
  for (int i = 0; i < 3; ++i) {
    auto request = get(url_of(server, "/healthz"));
    request.timeout = std::chrono::seconds(3);  // well before the silent ones time out
    const auto started = std::chrono::steady_clock::now();
    auto result = send(client, request);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->status, 200u);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
    client.close_idle();  // the next round needs a new connection, a slot again
  }
  // The silent connection that waited longest lost its slot: the server closed it.
  auto first = run<std::string>([&]() -> asio::awaitable<std::string> {
    std::string received;
    auto [ec, n] =
        co_await asio::async_read(*silent.front(), asio::dynamic_buffer(received), kNoThrow);
    co_return ec == asio::error::eof || ec == asio::error::connection_reset ? "closed"
                                                                              : ec.message();
  }, std::chrono::seconds(5));
  EXPECT_EQ(first, "closed");
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheReadTimeout) {
  HttpServer server(ioc_.get_executor(), reply_with(200, "ok"), [] {
    HttpServerOptions options;
    options.read_timeout = std::chrono::seconds(1);
    return options;
  }());
  server.listen("127.0.0.1", 0);

  // Connect and send nothing: the server must hang up by itself (the read
  // returns EOF) long before the run deadline.
  auto reply = run<std::string>(
      [&]() -> asio::awaitable<std::string> {
        tcp::socket socket(ioc_);
        co_await socket.async_connect(
            tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()), kNoThrow);
        std::string received;
        auto [ec, n] = co_await asio::async_read(socket, asio::dynamic_buffer(received), kNoThrow);
        co_return ec == asio::error::eof ? "eof" : ec.message();
      },
      std::chrono::seconds(10));

  EXPECT_EQ(reply, "eof");
}

TEST_F(HttpServerTest, StopClosesConnectionsAndCancelsHangingHandlers) {
  AsyncFlag reached(ioc_.get_executor());
  bool handler_cancelled = false;
  auto server = std::make_unique<HttpServer>(
      ioc_.get_executor(), [&](ServerRequest request) -> asio::awaitable<ServerResponse> {
        if (request.target == "/hang") {
          reached.set();
          try {
            co_await hang();
          } catch (const boost::system::system_error& e) {
            handler_cancelled = e.code() == asio::error::operation_aborted;
            throw;
          }
        }
        co_return ServerResponse{};
      });
  server->listen("127.0.0.1", 0);
  const std::string base = url_of(*server);
  HttpClient idle_holder(ioc_.get_executor());
  ASSERT_TRUE(send(idle_holder, get(base)));
  HttpClient client(ioc_.get_executor());

  // The hanging request has a deadline of a minute; the run has ten seconds:
  // only stop() can end it in time.
  auto result = run<SendResult>(
      [&]() -> asio::awaitable<SendResult> {
        using namespace boost::asio::experimental::awaitable_operators;
        auto request = get(base + "hang");
        request.timeout = std::chrono::minutes(1);
        auto stop_when_reached = [&]() -> asio::awaitable<void> {
          co_await reached.wait();
          server->stop();
          server->stop();  // twice is fine
          server.reset();  // and so is destroying it while the io_context runs
        };
        co_return co_await (client.send(request) && stop_when_reached());
      },
      std::chrono::seconds(10));
  // Let the cancelled handler and sessions finish on the running io_context.
  auto refused = send(idle_holder, get(base));

  EXPECT_TRUE(handler_cancelled);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error(), make_error_code(Errc::timeout));
  // The kept-alive connection was closed and nothing listens any more.
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), asio::error::connection_refused);
}

}  // namespace
}  // namespace omswatch::net::testing

namespace omswatch::net::testing {
namespace {

// The pattern of tests that run the io_context on a background thread: the
// server is destroyed from the test thread while a handler hangs.
TEST(HttpServerOnIoThread, DestroyedFromTheTestThreadWhileAHandlerHangs) {
  omswatch::testing::IoThread io;
  omswatch::testing::Event event;
  bool reached = false;
  std::optional<SendResult> result;
  auto server = std::make_unique<HttpServer>(io.executor(),
                                             [&](ServerRequest) -> asio::awaitable<ServerResponse> {
                                               event.update([&] { reached = true; });
                                               co_await hang();
                                               co_return ServerResponse{};
                                             });
  server->listen("127.0.0.1", 0);
  auto client = std::make_unique<HttpClient>(io.executor());
  HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:" + std::to_string(server->port()) + "/";
  request.timeout = std::chrono::minutes(1);
  asio::co_spawn(
      io.executor(),
      [&]() -> asio::awaitable<void> {
        auto outcome = co_await client->send(request);
        event.update([&] { result = std::move(outcome); });
      },
      asio::detached);

  ASSERT_TRUE(event.wait_for([&] { return reached; }));
  server.reset();
  ASSERT_TRUE(event.wait_for([&] { return result.has_value(); }));
  io.invoke([&] { client.reset(); });

  EXPECT_FALSE(*result);
}

}  // namespace
}  // namespace omswatch::net::testing
