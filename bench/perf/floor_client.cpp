// perf_floor: the floor omswatch's polling is measured against (make
// bench-perf, docs/performance.md). It does only the HTTP exchanges of
// omswatch's DescribeProjectProgress poll: the same request (method, target,
// headers, body), keep-alive connections, the same concurrency, the whole
// reply read into memory, and nothing else: no parsing, no storage.
//
// Every second it prints "tick MONOTONIC_NS POLLS" so that the harness can
// count the polls of a window it times itself; it stops after --seconds.

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

struct Options {
  std::uint16_t port = 0;
  std::string user = "omswatch";
  std::string password = "omswatch";
  std::size_t projects = 100;
  int concurrency = 8;
  double seconds = 10;
  double interval_s = 0;  // 0: as fast as the simulator answers
};

struct Shared {
  Options options;
  Clock::time_point start;
  Clock::time_point stop;
  std::uint64_t next = 0;  // the k-th poll: project k % N, due at start + k * interval / N
  std::uint64_t polls = 0;
  std::uint64_t failures = 0;
  std::string authorization;
};

std::string basic_authorization(const std::string& user, const std::string& password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = user + ":" + password;
  std::string out = "Basic ";
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::string project_id(std::size_t index) {
  char id[32];
  std::snprintf(id, sizeof id, "np_sim_%06zu", index + 1);
  return id;
}

asio::awaitable<void> worker(Shared& s) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer pace(ex);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), s.options.port);
  const std::string host = "127.0.0.1:" + std::to_string(s.options.port);
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  while (Clock::now() < s.stop) {
    const std::uint64_t k = s.next++;
    if (s.options.interval_s > 0) {
      const auto due =
          s.start + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(s.options.interval_s) *
                        static_cast<double>(k) / static_cast<double>(s.options.projects));
      if (due >= s.stop) co_return;
      pace.expires_at(due);
      co_await pace.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!stream) {
      stream = std::make_unique<beast::tcp_stream>(ex);
      stream->expires_after(std::chrono::seconds(10));
      auto [ec] = co_await stream->async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        ++s.failures;
        stream.reset();
        continue;
      }
      buffer.clear();
    }
    // The request omswatch's client sends (oms/client.cpp, net/http_client.cpp).
    http::request<http::string_body> request{http::verb::post,
                                             "/api/v2?Action=DescribeProjectProgress", 11};
    request.set(http::field::authorization, s.authorization);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "application/json");
    request.set(http::field::host, host);
    request.set(http::field::user_agent, "omswatch");
    request.body() = "{\"id\":\"" + project_id(k % s.options.projects) + "\"}";
    request.prepare_payload();
    stream->expires_after(std::chrono::seconds(10));
    auto [wec, wn] =
        co_await http::async_write(*stream, request, asio::as_tuple(asio::use_awaitable));
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    boost::system::error_code rec;
    if (!wec) {
      std::tie(rec, std::ignore) =
          co_await http::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    }
    if (wec || rec || parser.get().result_int() != 200) {
      ++s.failures;
      stream.reset();
      continue;
    }
    ++s.polls;
    if (!parser.get().keep_alive()) stream.reset();
  }
}

asio::awaitable<void> ticker(Shared& s) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto at = s.start;
  while (at < s.stop) {
    at += std::chrono::seconds(1);
    timer.expires_at(at);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::printf("tick %lld %llu\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           Clock::now().time_since_epoch())
                                           .count()),
                static_cast<unsigned long long>(s.polls));
    std::fflush(stdout);
  }
}

template <class T>
T number(std::string_view flag, std::string_view text) {
  T n{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    std::cerr << "perf_floor: " << flag << ": '" << text << "' is not a number\n";
    std::exit(64);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  Shared s;
  Options& o = s.options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i], value = argv[i + 1];
    if (flag == "--port")
      o.port = number<std::uint16_t>(flag, value);
    else if (flag == "--user")
      o.user = value;
    else if (flag == "--password")
      o.password = value;
    else if (flag == "--projects")
      o.projects = number<std::size_t>(flag, value);
    else if (flag == "--concurrency")
      o.concurrency = number<int>(flag, value);
    else if (flag == "--seconds")
      o.seconds = number<double>(flag, value);
    else if (flag == "--interval")
      o.interval_s = number<double>(flag, value);
    else {
      std::cerr << "usage: perf_floor --port P [--user U --password W] [--projects N]\n"
                   "                  [--concurrency C] [--seconds S] [--interval SECONDS]\n";
      return 64;
    }
  }
  if (o.port == 0 || o.projects == 0 || o.concurrency < 1) {
    std::cerr << "perf_floor: --port, --projects >= 1 and --concurrency >= 1 are needed\n";
    return 64;
  }
  s.authorization = basic_authorization(o.user, o.password);
  asio::io_context ioc(1);
  s.start = Clock::now();
  s.stop = s.start +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  for (int i = 0; i < o.concurrency; ++i) asio::co_spawn(ioc, worker(s), asio::detached);
  asio::co_spawn(ioc, ticker(s), asio::detached);
  ioc.run();
  std::printf("done %llu polls %llu failures\n", static_cast<unsigned long long>(s.polls),
              static_cast<unsigned long long>(s.failures));
  return 0;
}
