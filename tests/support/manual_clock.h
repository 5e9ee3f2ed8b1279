#pragma once
// A MonotonicClock (daemon/monotonic_clock.h) that moves only when the test
// moves it: waits end when advance() reaches their time, so timing is tested
// without real time and without sleeping. Drive the io_context with settle().

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <list>
#include <optional>

#include "daemon/monotonic_clock.h"

namespace omswatch::testing {

class ManualClock : public daemon::MonotonicClock {
 public:
  using Duration = std::chrono::steady_clock::duration;

  TimePoint now() const override { return now_; }

  boost::asio::awaitable<void> wait_until(boost::asio::steady_timer& timer, TimePoint at) override {
    if (at <= now_) co_return;
    timer.expires_at(TimePoint::max());  // ended by advance() or cancel()
    auto wait = waits_.insert(waits_.end(), Wait{&timer, at});
    struct Forget {
      std::list<Wait>& waits;
      std::list<Wait>::iterator wait;
      ~Forget() { waits.erase(wait); }
    } forget{waits_, wait};
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  // Moves time on and ends the waits that are due.
  void advance(Duration by) {
    now_ += by;
    for (auto& w : waits_) {
      if (w.at <= now_) w.timer->cancel();
    }
  }
  // The earliest time a wait ends at, if any is pending.
  std::optional<TimePoint> next_wake() const {
    std::optional<TimePoint> next;
    for (const auto& w : waits_) {
      if (!next || w.at < *next) next = w.at;
    }
    return next;
  }

 private:
  struct Wait {
    boost::asio::steady_timer* timer;
    TimePoint at;
  };
  TimePoint now_ = TimePoint(std::chrono::hours(1));
  std::list<Wait> waits_;
};

// Runs every handler that is ready, without waiting for any.
inline void settle(boost::asio::io_context& ioc) {
  do {
    ioc.restart();
  } while (ioc.poll() > 0);
}

}  // namespace omswatch::testing
