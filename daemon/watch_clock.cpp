#include "daemon/watch_clock.h"

#include <boost/asio/steady_timer.hpp>

namespace omswatch::daemon {
namespace {

class SteadyTimer : public WatchTimer {
 public:
  explicit SteadyTimer(boost::asio::any_io_executor executor) : timer_(executor) {}

  void cancel() override { timer_.cancel(); }

 protected:
  boost::asio::steady_timer* steady_timer() override { return &timer_; }
  void start_wait(time_point at, Handler handler) override {  // not used: steady_timer() is set
    timer_.expires_at(at);
    timer_.async_wait(std::move(handler));
  }

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
