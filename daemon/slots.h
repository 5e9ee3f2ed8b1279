#pragma once
// A counting semaphore for coroutines on one executor: at most N holders at
// once, waiters served in arrival order. Used for `max_in_flight` per OMS.

#include <deque>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace omswatch::daemon {

class Slots {
 public:
  Slots(boost::asio::any_io_executor executor, int count) : executor_(executor), free_(count) {}

  // Resolves to true once a slot is held, or false when the wait was
  // cancelled (then no slot is held).
  boost::asio::awaitable<bool> acquire() {
    if (free_ > 0 && waiters_.empty()) {
      --free_;
      co_return true;
    }
    auto waiter = std::make_shared<Waiter>(executor_);
    waiters_.push_back(waiter);
    co_await waiter->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (waiter->granted) co_return true;
    waiter->abandoned = true;  // release() skips it
    co_return false;
  }

  void release() {
    while (!waiters_.empty()) {
      auto w = waiters_.front();
      waiters_.pop_front();
      if (w->abandoned) continue;
      w->granted = true;
      w->timer.cancel();
      return;
    }
    ++free_;
  }

 private:
  struct Waiter {
    explicit Waiter(boost::asio::any_io_executor ex)
        : timer(ex, boost::asio::steady_timer::time_point::max()) {}
    boost::asio::steady_timer timer;
    bool granted = false;
    bool abandoned = false;
  };

  boost::asio::any_io_executor executor_;
  int free_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace omswatch::daemon
