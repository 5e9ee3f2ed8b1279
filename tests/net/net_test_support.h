#pragma once
// Helpers shared by the net tests: one io_context on the test thread that
// runs the server and the client, and an awaitable flag so a test coroutine
// can wait until a handler has been reached (no sleeping).

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <string>

#include "net/http_client.h"
#include "net/http_server.h"
#include "tests/support/io.h"

namespace omswatch::net::testing {

namespace asio = boost::asio;
using SendResult = boost::system::result<HttpResponse>;

// Set once; wait() returns as soon as it is (or already was) set.
class AsyncFlag {
 public:
  explicit AsyncFlag(asio::any_io_executor ex)
      : timer_(ex, asio::steady_timer::time_point::max()) {}
  void set() {
    set_ = true;
    timer_.cancel();
  }
  bool is_set() const { return set_; }
  asio::awaitable<void> wait() {
    while (!set_) co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }

 private:
  asio::steady_timer timer_;
  bool set_ = false;
};

// Never completes unless cancelled: what a hung OMS or receiver looks like.
inline asio::awaitable<void> hang() {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::hours(24));
  co_await timer.async_wait(asio::use_awaitable);
}

inline ServerResponse answer(std::string body, unsigned status = 200, Headers headers = {}) {
  ServerResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

inline Handler reply_with(unsigned status, std::string body) {
  return [status, body](ServerRequest) -> asio::awaitable<ServerResponse> {
    ServerResponse response;
    response.status = status;
    response.body = body;
    co_return response;
  };
}

class NetTest : public ::testing::Test {
 protected:
  template <class T>
  T run(std::function<asio::awaitable<T>()> make,
        std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    return omswatch::testing::run_coro<T>(ioc_, std::move(make), deadline);
  }

  SendResult send(HttpClient& client, HttpRequest request) {
    return run<SendResult>(
        [&]() -> asio::awaitable<SendResult> { co_return co_await client.send(request); });
  }

  static std::string url_of(const HttpServer& server, const std::string& path = "/",
                            const std::string& scheme = "http",
                            const std::string& host = "127.0.0.1") {
    return scheme + "://" + host + ":" + std::to_string(server.port()) + path;
  }

  static HttpRequest get(std::string url) {
    HttpRequest request;
    request.method = "GET";
    request.url = std::move(url);
    return request;
  }

  asio::io_context ioc_;
};

}  // namespace omswatch::net::testing
