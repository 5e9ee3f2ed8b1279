#include "daemon/watch_clock.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace omswatch::daemon {
namespace {

class SteadyTimer : public WatchTimer {
 public:
  explicit SteadyTimer(boost::asio::any_io_executor executor) : timer_(executor) {}

  boost::asio::awaitable<bool> wait_until(std::chrono::steady_clock::time_point at) override {
    timer_.expires_at(at);
    auto [ec] = co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !ec;
  }
  void cancel() override { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

class SteadyClock : public WatchClock {
 public:
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::now();
  }
  std::unique_ptr<WatchTimer> make_timer(boost::asio::any_io_executor executor) override {
    return std::make_unique<SteadyTimer>(executor);
  }
};

}  // namespace

WatchClock& steady_watch_clock() {
  static SteadyClock clock;
  return clock;
}

}  // namespace omswatch::daemon
