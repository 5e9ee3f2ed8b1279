// SystemdNotifier against a stand-in notify socket: what systemd would receive,
// from a notifier running on a real io_context.

#include "daemon/systemd_notify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <future>
#include <random>

#include "tests/support/io.h"
#include "tests/support/notify_socket.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;
using testing::FakeNotifySocket;
using testing::IoThread;
using testing::ScopedEnv;
using testing::TempDir;

// True when one of the lines of `datagram` is exactly `line`.
bool has_line(const std::string& datagram, const std::string& line) {
  std::size_t start = 0;
  while (start <= datagram.size()) {
    std::size_t end = datagram.find('\n', start);
    if (end == std::string::npos) end = datagram.size();
    if (datagram.compare(start, end - start, line) == 0) return true;
    start = end + 1;
  }
  return false;
}

class SystemdNotifierTest : public ::testing::Test {
 protected:
  TempDir dir_;
  FakeNotifySocket socket_{dir_.file("notify")};
  ScopedEnv notify_socket_{"NOTIFY_SOCKET", socket_.path()};
  ScopedEnv watchdog_pid_{"WATCHDOG_PID", std::nullopt};
};

TEST_F(SystemdNotifierTest, SendsReadyThenWatchdogPingsFromTheLoop) {
  ScopedEnv watchdog{"WATCHDOG_USEC", "100000"};
  IoThread io;  // outlives the notifier, whose timers it runs
  SystemdNotifier notifier;
  ASSERT_TRUE(notifier.enabled());
  ASSERT_EQ(notifier.watchdog_timeout(), std::chrono::microseconds(100000));

  io.invoke([&] {
    notifier.start(io.executor(), [] { return std::string("watching 2 projects on 1 OMS"); });
    notifier.ready();
  });
  std::string seen;
  auto ready = socket_.receive_until("READY=1", 20s, &seen);
  ASSERT_TRUE(ready) << seen;
  EXPECT_TRUE(has_line(*ready, "STATUS=watching 2 projects on 1 OMS")) << *ready;
  int pings = 0;
  while (pings < 3) {
    auto ping = socket_.receive(20s);
    ASSERT_TRUE(ping) << "only " << pings << " WATCHDOG=1 after READY=1";
    if (has_line(*ping, "WATCHDOG=1")) ++pings;
  }

  io.invoke([&] { notifier.stopping(); });
  auto stopping = socket_.receive_until("STOPPING=1", 20s, &seen);
  ASSERT_TRUE(stopping) << seen;
  io.invoke([&] { notifier.stop(); });
}

// A loop that does not run sends no ping: the pings prove the loop is alive.
TEST_F(SystemdNotifierTest, NoPingWhileTheLoopDoesNotRun) {
  ScopedEnv watchdog{"WATCHDOG_USEC", "100000"};
  boost::asio::io_context ioc;  // outlives the notifier, whose timers it runs
  SystemdNotifier notifier;
  notifier.start(ioc.get_executor(), {});
  notifier.ready();
  auto first = socket_.receive(20s);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "READY=1");
  // Nothing else is queued on the socket: the first ping waits for run().
  EXPECT_FALSE(socket_.receive(0ms));
  ioc.run_one();
  auto ping = socket_.receive(20s);
  ASSERT_TRUE(ping);
  EXPECT_EQ(*ping, "WATCHDOG=1");
  notifier.stop();
  ioc.run_for(20s);
  EXPECT_TRUE(ioc.stopped());
}

// stopping() cancels the timers, so run() returns: the daemon's exit path.
TEST_F(SystemdNotifierTest, StoppingLetsRunReturn) {
  ScopedEnv watchdog{"WATCHDOG_USEC", "60000"};
  boost::asio::io_context ioc;
  SystemdNotifier notifier;
  // Read the pings on the same loop; stop after the third.
  using boost::asio::local::datagram_protocol;
  datagram_protocol::socket reader(ioc, datagram_protocol(), ::dup(socket_.fd()));
  int pings = 0;
  char buf[512];
  std::function<void(boost::system::error_code, std::size_t)> on_datagram =
      [&](boost::system::error_code ec, std::size_t n) {
        if (ec) return;
        if (has_line(std::string(buf, n), "WATCHDOG=1") && ++pings == 3) {
          notifier.stopping();
          reader.close();
          return;
        }
        reader.async_receive(boost::asio::buffer(buf), on_datagram);
      };
  reader.async_receive(boost::asio::buffer(buf), on_datagram);
  notifier.start(ioc.get_executor(), [] { return std::string("ok"); });
  notifier.ready();
  ioc.run_for(20s);
  EXPECT_TRUE(ioc.stopped()) << "run() still had work after stopping()";
  EXPECT_EQ(pings, 3);
  std::string rest;
  auto stopping = socket_.receive_until("STOPPING=1", 20s, &rest);
  ASSERT_TRUE(stopping) << rest;
  EXPECT_TRUE(has_line(*stopping, "STATUS=stopping"));
}

TEST_F(SystemdNotifierTest, StatusIsOneBoundedLine) {
  ScopedEnv watchdog{"WATCHDOG_USEC", std::nullopt};
  boost::asio::io_context ioc;  // outlives the notifier, whose timers it runs
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.watchdog_timeout());
  notifier.start(ioc.get_executor(), [] {
    return std::string("first line\nREADY=0\r") + std::string(1000, 'x') + "\xC3\xA9";
  });
  notifier.ready();
  auto got = socket_.receive(20s);
  ASSERT_TRUE(got);
  EXPECT_FALSE(has_line(*got, "READY=0")) << "a newline in the status text became an assignment";
  auto status = got->substr(got->find("STATUS="));
  EXPECT_EQ(status.find('\n'), std::string::npos);
  EXPECT_EQ(status.substr(0, 30), "STATUS=first line READY=0 xxxx");
  EXPECT_EQ(status.size(), std::string("STATUS=").size() + 512);
  notifier.stop();
}

TEST_F(SystemdNotifierTest, WatchdogMeantForAnotherProcessIsIgnored) {
  ScopedEnv watchdog{"WATCHDOG_USEC", "100000"};
  {
    ScopedEnv pid{"WATCHDOG_PID", std::to_string(::getpid() + 1)};
    SystemdNotifier notifier;
    EXPECT_FALSE(notifier.watchdog_timeout());
  }
  {
    ScopedEnv pid{"WATCHDOG_PID", std::to_string(::getpid())};
    SystemdNotifier notifier;
    EXPECT_EQ(notifier.watchdog_timeout(), std::chrono::microseconds(100000));
  }
  ScopedEnv garbage{"WATCHDOG_USEC", "soon"};
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.watchdog_timeout());
}

TEST_F(SystemdNotifierTest, ASocketThatIsGoneIsNotFatal) {
  ScopedEnv watchdog{"WATCHDOG_USEC", std::nullopt};
  ScopedEnv gone{"NOTIFY_SOCKET", dir_.file("no-such-socket")};
  SystemdNotifier notifier;
  EXPECT_TRUE(notifier.enabled());
  EXPECT_FALSE(notifier.notify("READY=1"));
  notifier.ready();
  notifier.stopping();
}

// Empties the socket's queue; the number of datagrams read.
int drain(FakeNotifySocket& socket) {
  int n = 0;
  while (socket.receive(0ms)) ++n;
  return n;
}

TEST_F(SystemdNotifierTest, ASocketThatIsNeverReadDropsInsteadOfBlocking) {
  ScopedEnv watchdog{"WATCHDOG_USEC", std::nullopt};
  SystemdNotifier notifier;
  // Far more than the socket's queue holds; each call must return at once.
  auto sending = std::async(std::launch::async, [&] {
    int sent = 0;
    for (int i = 0; i < 2000; ++i) sent += notifier.notify("STATUS=line " + std::to_string(i));
    return sent;
  });
  const bool returned = sending.wait_for(20s) == std::future_status::ready;
  // Unblock a sender stuck on the full queue, so the test can end.
  while (sending.wait_for(0ms) != std::future_status::ready) drain(socket_);
  ASSERT_TRUE(returned) << "notify() waited for room on the socket";
  const int sent = sending.get();
  EXPECT_GT(sent, 0);
  EXPECT_LT(sent, 2000);
}

TEST_F(SystemdNotifierTest, AReadyThatFoundNoRoomIsSentWithTheNextPing) {
  ScopedEnv watchdog{"WATCHDOG_USEC", "100000"};
  IoThread io;
  SystemdNotifier notifier;
  int filled = 0;
  while (notifier.notify("STATUS=filling") && filled < 100'000) ++filled;
  io.invoke([&] {
    notifier.ready();  // no room: kept
    notifier.start(io.executor(), nullptr);
  });
  drain(socket_);
  std::string seen;
  ASSERT_TRUE(socket_.receive_until("READY=1", 20s, &seen)) << seen;
  io.invoke([&] { notifier.stop(); });
}

TEST_F(SystemdNotifierTest, AnAbstractSocketNameIsReached) {
  std::random_device rd;
  const std::string name = "omswatch-test-" + std::to_string(rd());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  auto address = notify_address("@" + name);
  ASSERT_TRUE(address);
  EXPECT_EQ(address->addr.sun_path[0], '\0');
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address->addr), address->length), 0);
  {
    ScopedEnv abstract{"NOTIFY_SOCKET", "@" + name};
    SystemdNotifier notifier;
    EXPECT_TRUE(notifier.notify("READY=1"));
  }
  char buf[64] = {};
  const ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  ::close(fd);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "READY=1");
}

TEST(NotifyAddress, PathsAndAbstractNamesOnly) {
  auto path = notify_address("/run/systemd/notify");
  ASSERT_TRUE(path);
  EXPECT_STREQ(path->addr.sun_path, "/run/systemd/notify");
  EXPECT_FALSE(notify_address(""));
  EXPECT_FALSE(notify_address("@"));
  EXPECT_FALSE(notify_address("relative/path"));
  EXPECT_FALSE(notify_address("vsock:2:1234"));
  EXPECT_FALSE(notify_address("/" + std::string(200, 'x')));
}

TEST(SystemdNotifierWithoutSystemd, DoesNothingAndSchedulesNothing) {
  ScopedEnv socket{"NOTIFY_SOCKET", std::nullopt};
  ScopedEnv watchdog{"WATCHDOG_USEC", "100000"};
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.watchdog_timeout());
  boost::asio::io_context ioc;
  notifier.start(ioc.get_executor(), [] { return std::string("x"); });
  notifier.ready();
  EXPECT_FALSE(notifier.notify("READY=1"));
  // No timer keeps the loop alive.
  EXPECT_EQ(ioc.run_for(20s), 0u);
  EXPECT_TRUE(ioc.stopped());
}

}  // namespace
}  // namespace omswatch::daemon
