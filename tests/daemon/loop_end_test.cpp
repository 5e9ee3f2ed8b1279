// The end of the daemon's loops: an unexpected exception is logged with what
// the loop was doing and stops the daemon with a non-zero exit code; a loop
// that returns or is cancelled ends quietly.

#include "daemon/loop_end.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sstream>
#include <stdexcept>

namespace omswatch::daemon {
namespace {

namespace asio = boost::asio;

// Captures what is logged, and which loops the failure handler was told of,
// for the length of a test.
class LoopEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_logger_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>(
        "loop-end-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
    previous_handler_ =
        set_loop_failure_handler([this](const std::string& what) { failed_.push_back(what); });
  }
  void TearDown() override {
    set_loop_failure_handler(std::move(previous_handler_));
    spdlog::set_default_logger(previous_logger_);
  }

  std::ostringstream log_;
  std::vector<std::string> failed_;
  std::shared_ptr<spdlog::logger> previous_logger_;
  LoopFailureHandler previous_handler_;
};

asio::awaitable<void> throws_after_a_turn(std::string message) {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(0));
  co_await timer.async_wait(asio::use_awaitable);
  throw std::runtime_error(message);
}

asio::awaitable<void> returns() { co_return; }

asio::awaitable<void> waits_forever() {
  asio::steady_timer timer(co_await asio::this_coro::executor,
                           asio::steady_timer::time_point::max());
  co_await timer.async_wait(asio::use_awaitable);  // throws operation_aborted when cancelled
}

TEST_F(LoopEndTest, AThrowIsLoggedWithWhatTheLoopDidAndStopsTheDaemon) {
  asio::io_context ioc;
  asio::co_spawn(ioc, throws_after_a_turn("no slot for you"),
                 log_loop_end("poll loop of project np_x on prod"));
  ioc.run();
  ASSERT_EQ(failed_, std::vector<std::string>{"poll loop of project np_x on prod"});
  const std::string log = log_.str();
  EXPECT_NE(log.find("critical"), std::string::npos) << log;
  EXPECT_NE(log.find("the poll loop of project np_x on prod ended unexpectedly: no slot for you"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("exit code 70"), std::string::npos) << log;
}

TEST_F(LoopEndTest, AReturnOrACancellationEndsQuietly) {
  asio::io_context ioc;
  asio::cancellation_signal cancel;
  asio::co_spawn(ioc, returns(), log_loop_end("discovery loop of prod"));
  asio::co_spawn(ioc, waits_forever(),
                 asio::bind_cancellation_slot(cancel.slot(), log_loop_end("sweep loop")));
  ioc.poll();
  cancel.emit(asio::cancellation_type::terminal);
  ioc.run();
  EXPECT_TRUE(failed_.empty());
  const std::string log = log_.str();
  EXPECT_NE(log.find("the discovery loop of prod ended"), std::string::npos) << log;
  EXPECT_NE(log.find("the sweep loop ended: cancelled"), std::string::npos) << log;
  EXPECT_EQ(log.find("critical"), std::string::npos) << log;
}

TEST(LoopEndDeathTest, WithoutAHandlerTheProcessExitsWithItsCode) {
  EXPECT_EXIT(
      {
        set_loop_failure_handler(nullptr);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>(
            "stderr", std::make_shared<spdlog::sinks::stderr_sink_st>()));
        asio::io_context ioc;
        asio::co_spawn(ioc, throws_after_a_turn("broken invariant"),
                       log_loop_end("delivery loop of hook"));
        ioc.run();
      },
      ::testing::ExitedWithCode(kLoopFailedExitCode),
      "the delivery loop of hook ended unexpectedly: broken invariant");
}

}  // namespace
}  // namespace omswatch::daemon
