#pragma once
// The steady time the watcher schedules on, and its timers. An interface, so
// that tests drive time by hand and need no real time; steady_watch_clock() is
// the daemon's (std::chrono::steady_clock and Asio's steady timers).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>

namespace omswatch::daemon {

class WatchTimer {
 public:
  virtual ~WatchTimer() = default;
  // Waits until `at` (completes at once, through the executor, when `at` has
  // passed): true when `at` came; false when cancel() or the cancellation of
  // the awaiting coroutine ended the wait.
  virtual boost::asio::awaitable<bool> wait_until(std::chrono::steady_clock::time_point at) = 0;
  // Ends the wait in progress, if any (it resolves to false).
  virtual void cancel() = 0;
};

class WatchClock {
 public:
  virtual ~WatchClock() = default;
  virtual std::chrono::steady_clock::time_point now() const = 0;
  virtual std::unique_ptr<WatchTimer> make_timer(boost::asio::any_io_executor executor) = 0;
};

// std::chrono::steady_clock, with timers on boost::asio::steady_timer.
WatchClock& steady_watch_clock();

}  // namespace omswatch::daemon
