#pragma once
// The monotonic time the dispatcher pauses and sleeps by. The daemon uses the
// steady clock; a test drives a manual one (tests/support/manual_clock.h), so
// a test of the dispatcher's timing needs no real time and no sleep.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

namespace omswatch::daemon {

class MonotonicClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~MonotonicClock() = default;

  virtual TimePoint now() const = 0;
  // Returns once `at` has come, once `timer` is cancelled (cancel() wakes the
  // waiter early), or once the calling coroutine is cancelled; the caller
  // reads its cancellation state to tell.
  virtual boost::asio::awaitable<void> wait_until(boost::asio::steady_timer& timer,
                                                  TimePoint at) = 0;
};

// std::chrono::steady_clock, with the timer's own expiry.
MonotonicClock& steady_monotonic_clock();

}  // namespace omswatch::daemon
