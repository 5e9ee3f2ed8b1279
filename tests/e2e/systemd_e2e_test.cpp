// End to end: the real `omswatch run` binary as systemd runs it (Type=notify,
// WatchdogSec=), talking to a stand-in notify socket, against the simulated OMS.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "oms/simulator.h"
#include "tests/support/daemon_api.h"
#include "tests/support/io.h"
#include "tests/support/notify_socket.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch {
namespace {

using namespace std::chrono_literals;
using testing::FakeNotifySocket;
using testing::IoThread;
using testing::Process;
using testing::ScopedEnv;
using testing::TempDir;

constexpr const char* kPassword = "n0tify-pass";

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

class SystemdEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<oms::Simulator>(io_.executor(), "watcher", kPassword);
    io_.invoke([&] { sim_->start(0); });
    oms::SimProject p;
    p.name = "orders";
    p.progress.project_id = "np_sd";
    p.progress.status = "RUNNING";
    p.progress.alarm_level = "MEDIUM";
    p.progress.current_step = "INCR_SYNC";
    sim_->put_project(p);
  }

  void TearDown() override {
    io_.invoke([&] { sim_->stop(); });
    io_.stop();
  }

  std::string write_config(const std::string& database, const std::string& listen = "") {
    const std::string path = dir_.file("omswatch.toml");
    std::ofstream cfg(path);
    cfg << "[daemon]\n"
        << "database = \"" << database << "\"\n"
        << "listen = \"" << listen << "\"\n"
        << "[[oms]]\n"
        << "name = \"sim\"\n"
        << "url = \"" << sim_->base_url() << "\"\n"
        << "username = \"watcher\"\n"
        << "password = \"${SD_E2E_PASSWORD}\"\n"
        << "interval = \"200ms\"\n"
        << "projects = [\"np_sd\"]\n";
    cfg.close();
    ::chmod(path.c_str(), 0600);
    return path;
  }

  std::unique_ptr<Process> start_daemon(const std::string& config,
                                        const std::string& watchdog_usec = "400000") {
    return std::make_unique<Process>(
        std::vector<std::string>{OMSWATCH_BINARY, "run", "-c", config}, dir_.file("stdout.log"),
        dir_.file("stderr.log"),
        std::vector<std::string>{"NOTIFY_SOCKET=" + socket_.path(),
                                 "WATCHDOG_USEC=" + watchdog_usec,
                                 std::string("SD_E2E_PASSWORD=") + kPassword});
  }

  std::string log() { return testing::read_file(dir_.file("stderr.log")); }

  IoThread io_;
  TempDir dir_;
  FakeNotifySocket socket_{dir_.file("notify")};
  // sd_watchdog_enabled() ignores WATCHDOG_USEC meant for another process;
  // this test process may itself run under systemd.
  ScopedEnv no_watchdog_pid_{"WATCHDOG_PID", std::nullopt};
  std::unique_ptr<oms::Simulator> sim_;
};

TEST_F(SystemdEndToEnd, ReadyWatchdogReloadAndStopping) {
  auto daemon = start_daemon(write_config(dir_.file("omswatch.db")));

  std::string seen;
  auto ready = socket_.receive_until("READY=1", 30s, &seen);
  ASSERT_TRUE(ready) << seen << log();
  EXPECT_TRUE(
      has_line(*ready, "STATUS=watching 1 projects on 1 OMS; 0 conditions firing; outbox 0"))
      << *ready;
  EXPECT_EQ(seen.find("WATCHDOG=1"), std::string::npos) << "pinged before READY=1: " << seen;

  // WatchdogSec=400ms: pings every 200ms, from the running loop.
  int pings = 0;
  while (pings < 4) {
    auto got = socket_.receive(30s);
    ASSERT_TRUE(got) << "only " << pings << " WATCHDOG=1 after READY=1\n" << log();
    if (has_line(*got, "WATCHDOG=1")) ++pings;
    EXPECT_FALSE(has_line(*got, "STOPPING=1"));
  }

  // systemctl reload: RELOADING=1 while the configuration is re-read, READY=1 after.
  daemon->signal(SIGHUP);
  auto reloading = socket_.receive_until("RELOADING=1", 30s, &seen);
  ASSERT_TRUE(reloading) << seen << log();
  auto ready_again = socket_.receive_until("READY=1", 30s, &seen);
  ASSERT_TRUE(ready_again) << seen << log();
  EXPECT_TRUE(
      has_line(*ready_again, "STATUS=watching 1 projects on 1 OMS; 0 conditions firing; outbox 0"))
      << *ready_again;

  daemon->signal(SIGTERM);
  auto stopping = socket_.receive_until("STOPPING=1", 30s, &seen);
  ASSERT_TRUE(stopping) << seen << log();
  EXPECT_EQ(daemon->wait(30s), 0) << log();
  EXPECT_GT(sim_->stats().progress_requests, 0u);
}

TEST_F(SystemdEndToEnd, NoReadyWhenTheDatabaseCannotBeOpened) {
  // A directory where the database file should be: SQLite cannot open it.
  std::filesystem::create_directory(dir_.file("omswatch.db"));
  auto daemon = start_daemon(write_config(dir_.file("omswatch.db")));
  auto code = daemon->wait(30s);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 0);
  EXPECT_NE(log().find("cannot start"), std::string::npos) << log();
  // Everything the process sent is queued on the socket by now.
  std::string seen;
  while (auto got = socket_.receive(0ms)) seen += *got + "\n";
  EXPECT_EQ(seen.find("READY=1"), std::string::npos) << seen;
  EXPECT_EQ(log().find(kPassword), std::string::npos);
}

// A notify socket whose reader stopped reading: its queue fills within a few
// pings (WatchdogSec=20ms: one every 10 ms), and every further notification
// would wait for room. The daemon drops them instead: it keeps polling,
// answers /healthz, and stops promptly on SIGTERM.
TEST_F(SystemdEndToEnd, ANotifySocketThatIsNeverReadBlocksNothing) {
  auto daemon = start_daemon(write_config(dir_.file("omswatch.db"), "127.0.0.1:0"), "20000");
  auto port = testing::endpoint_port(dir_.file("stderr.log"));
  ASSERT_TRUE(port) << log();
  // 30 polls at 200 ms: 6 s, some 600 pings, far past what the queue holds.
  testing::Event polled;
  std::uint64_t polls = 0;
  io_.invoke([&] {
    sim_->on_request([&](std::string_view action, std::string_view) {
      if (action == "DescribeProjectProgress") polled.update([&] { ++polls; });
    });
  });
  ASSERT_TRUE(polled.wait_for([&] { return polls >= 30; }, 60s))
      << "polling stopped after " << polls << " polls\n"
      << log();
  auto health = testing::http_get(*port, "/healthz", "", 5s);
  EXPECT_EQ(health.status, 200) << health.body << log();

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(5s), 0) << log();
  io_.invoke([&] { sim_->on_request(nullptr); });
  EXPECT_EQ(log().find("Interrupted system call"), std::string::npos) << log();
}

}  // namespace
}  // namespace omswatch
