#include "daemon/monotonic_clock.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace omswatch::daemon {
namespace {

class SteadyClock : public MonotonicClock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  boost::asio::awaitable<void> wait_until(boost::asio::steady_timer& timer, TimePoint at) override {
    timer.expires_at(at);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
};

}  // namespace

MonotonicClock& steady_monotonic_clock() {
  static SteadyClock clock;
  return clock;
}

}  // namespace omswatch::daemon
