#pragma once
// The steady time the watcher schedules on, and its timers. An interface, so
// that tests drive time by hand and need no real time; steady_watch_clock() is
// the daemon's (std::chrono::steady_clock and Asio's steady timers).

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <memory>

namespace omswatch::daemon {

class WatchTimer {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using Handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

  virtual ~WatchTimer() = default;
  // Waits until `at` (completes at once, through the executor, when `at` has
  // passed): no error when `at` came; operation_aborted when cancel() or the
  // cancellation of the waiting operation (its cancellation slot) ended the
  // wait. An asynchronous operation, not a coroutine of its own: a poll's wait
  // is the timer's own wait, e.g. `co_await timer.wait_until(at,
  // asio::as_tuple(asio::use_awaitable))`.
  template <class CompletionToken>
  auto wait_until(time_point at, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        [this](auto handler, time_point t) {
          if (boost::asio::steady_timer* timer = steady_timer()) {
            // The daemon's clock: the wait is the timer's own, its handler
            // kept as it is (nothing allocated beyond the timer's wait).
            timer->expires_at(t);
            timer->async_wait(std::move(handler));
          } else {
            start_wait(t, Handler(std::move(handler)));
          }
        },
        token, at);
  }
  // Ends the wait in progress, if any (it completes with operation_aborted).
  virtual void cancel() = 0;

 protected:
  // The Asio timer that wait_until() waits on, when the clock is
  // std::chrono::steady_clock's; nullptr for any other clock, whose waits go
  // through start_wait().
  virtual boost::asio::steady_timer* steady_timer() { return nullptr; }
  // Starts the wait of wait_until() on a clock without a steady_timer();
  // `handler` keeps its executor, allocator and cancellation slot.
  virtual void start_wait(time_point at, Handler handler) = 0;
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
