// The daemon's watch clock (daemon/watch_clock.h): a wait on its timer is the
// Asio timer's own wait, and ends as the watcher's loops expect: at its time,
// on cancel(), or when the awaiting coroutine is cancelled.

#include "daemon/watch_clock.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>

namespace omswatch::daemon {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Spawns a wait until `at` on `timer`; the returned slot holds its error
// once it has ended.
std::shared_ptr<std::optional<boost::system::error_code>> spawn_wait(
    asio::io_context& io, WatchTimer& timer, std::chrono::steady_clock::time_point at,
    asio::cancellation_slot slot = {}) {
  auto result = std::make_shared<std::optional<boost::system::error_code>>();
  asio::co_spawn(
      io,
      [&timer, at, result]() -> asio::awaitable<void> {
        auto [ec] = co_await timer.wait_until(at, asio::as_tuple(asio::use_awaitable));
        *result = ec;
      },
      asio::bind_cancellation_slot(slot, asio::detached));
  return result;
}

TEST(SteadyWatchClock, AWaitForATimePassedEndsAtOnceWithoutError) {
  asio::io_context io;
  WatchClock& clock = steady_watch_clock();
  auto timer = clock.make_timer(io.get_executor());
  auto result = spawn_wait(io, *timer, clock.now() - 1s);
  io.run_for(10s);
  ASSERT_TRUE(result->has_value());
  EXPECT_FALSE(result->value());
}

TEST(SteadyWatchClock, CancelEndsTheWaitAsAborted) {
  asio::io_context io;
  WatchClock& clock = steady_watch_clock();
  auto timer = clock.make_timer(io.get_executor());
  auto result = spawn_wait(io, *timer, clock.now() + 1h);
  asio::post(io, [&] { timer->cancel(); });
  io.run_for(10s);
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ(result->value(), asio::error::operation_aborted);
}

TEST(SteadyWatchClock, CancellingTheAwaitingCoroutineEndsTheWait) {
  asio::io_context io;
  WatchClock& clock = steady_watch_clock();
  auto timer = clock.make_timer(io.get_executor());
  asio::cancellation_signal signal;
  auto result = spawn_wait(io, *timer, clock.now() + 1h, signal.slot());
  asio::post(io, [&] { signal.emit(asio::cancellation_type::terminal); });
  io.run_for(10s);
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ(result->value(), asio::error::operation_aborted);
}

TEST(SteadyWatchClock, ATimerWaitsAgainAfterAWaitEnded) {
  asio::io_context io;
  WatchClock& clock = steady_watch_clock();
  auto timer = clock.make_timer(io.get_executor());
  auto first = spawn_wait(io, *timer, clock.now() - 1ms);
  io.run_for(10s);
  io.restart();
  auto second = spawn_wait(io, *timer, clock.now() + 1ms);
  io.run_for(10s);
  ASSERT_TRUE(first->has_value() && second->has_value());
  EXPECT_FALSE(first->value());
  EXPECT_FALSE(second->value());
}

}  // namespace
}  // namespace omswatch::daemon
