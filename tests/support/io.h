#pragma once
// Helpers to drive Asio from GoogleTest without sleeping: run a coroutine to
// completion with a deadline, or keep an io_context running on a background
// thread while the test thread waits on an event.

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <future>
#include <type_traits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace omswatch::testing {

// Runs `make()`'s coroutine on `ioc` until it completes or `deadline` passes
// (then throws). Other work on `ioc` (servers) keeps running meanwhile.
template <class T>
T run_coro(boost::asio::io_context& ioc, std::function<boost::asio::awaitable<T>()> make,
           std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(ioc, make(), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    done = true;
  });
  ioc.restart();
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!done && std::chrono::steady_clock::now() < until) {
    ioc.run_one_until(until);
  }
  if (!done) throw std::runtime_error("coroutine did not finish before the deadline");
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

// An io_context running on its own thread until destroyed.
class IoThread {
 public:
  IoThread() : guard_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  ~IoThread() { stop(); }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& context() { return ioc_; }
  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }

  // Runs `fn` on the io thread and waits for it (inline once the thread has stopped).
  template <class Fn>
  auto invoke(Fn fn) -> decltype(fn()) {
    if (!thread_.joinable()) return fn();
    std::promise<decltype(fn())> p;
    auto f = p.get_future();
    boost::asio::post(ioc_, [&] {
      try {
        if constexpr (std::is_void_v<decltype(fn())>) {
          fn();
          p.set_value();
        } else {
          p.set_value(fn());
        }
      } catch (...) {
        p.set_exception(std::current_exception());
      }
    });
    return f.get();
  }

  void stop() {
    if (thread_.joinable()) {
      guard_.reset();
      ioc_.stop();
      thread_.join();
    }
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// A predicate-guarded event for tests: one thread calls notify() after
// changing state under lock(); the test waits for the predicate with a deadline.
class Event {
 public:
  template <class Fn>
  void update(Fn fn) {
    {
      std::lock_guard lock(mu_);
      fn();
    }
    cv_.notify_all();
  }
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, pred);
  }
  std::mutex& mutex() { return mu_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace omswatch::testing
