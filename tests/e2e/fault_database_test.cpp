// The database refusing writes under the real daemon: locked by another
// process's long write, or on a full disk. Polling, deliveries and the
// watchdog go on (a write fails fast while writes are paused instead of
// waiting the busy timeout each time), the log says it once and says when it
// is over, and what was detected meanwhile is detected again and delivered
// exactly once.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tests/e2e/fault_rig.h"
#include "tests/support/notify_socket.h"

namespace omswatch {
namespace {

using namespace std::chrono_literals;
using testing::Daemon;
using testing::FaultyReceiver;
using testing::IoThread;
using testing::SimOms;
using testing::TempDir;

// The sqlite3 shell holding the write lock (BEGIN IMMEDIATE) of a database
// until release().
class ShellWriteLock {
 public:
  explicit ShellWriteLock(const std::string& db) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> argv = {"sqlite3", db};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int rc = posix_spawnp(&pid_, "sqlite3", &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    in_ = in[1];
    out_ = out[0];
    if (rc != 0) throw std::runtime_error("cannot start sqlite3");
    send(".bail on\n.timeout 20000\nBEGIN IMMEDIATE;\n.print locked\n");
    std::string got;
    while (got.find("locked") == std::string::npos) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 30'000) <= 0) throw std::runtime_error("sqlite3 did not take the lock");
      char buf[256];
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) throw std::runtime_error("sqlite3 ended before taking the lock");
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  ~ShellWriteLock() { release(); }

  void release() {
    if (pid_ < 0) return;
    send("COMMIT;\n.quit\n");
    ::close(in_);
    ::close(out_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  void send(const std::string& text) {
    if (::write(in_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      throw std::runtime_error("cannot write to sqlite3");
    }
  }
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
};

bool have_sqlite3_shell() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    if (::access((std::string(dir) + "/sqlite3").c_str(), X_OK) == 0) return true;
  }
  return false;
}

void expect_one_line_each(const std::string& log) {
  auto lines = testing::log_lines_besides_events(log);
  EXPECT_EQ(testing::count_containing(lines, "could not store the poll"), 1u) << log;
  EXPECT_EQ(testing::count_containing(lines, "the database accepts writes again"), 1u) << log;
  EXPECT_LE(lines.size(), 10u) << log;
}

TEST(FaultDatabase, LockedByAnotherProcessesLongWrite) {
  if (!have_sqlite3_shell()) GTEST_SKIP() << "the sqlite3 shell is not installed";
  IoThread io;
  TempDir dir;
  const auto ids = testing::project_ids("np_d", 3);
  SimOms oms(io, ids);
  FaultyReceiver receiver(io);
  testing::FakeNotifySocket notify(dir.file("notify"));
  testing::ScopedEnv no_watchdog_pid("WATCHDOG_PID", std::nullopt);
  const std::string db = dir.file("locked.db");
  // WatchdogSec=12s: systemd would kill a daemon that does not ping within it.
  Daemon daemon(dir, testing::one_oms_config(db, oms.url(), ids, receiver.url()),
                {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=12000000"});
  ASSERT_TRUE(notify.receive_until("READY=1", 30s)) << daemon.log();
  ASSERT_TRUE(oms.wait_polls(6)) << daemon.log();

  {
    ShellWriteLock lock(db);
    oms.set_status("np_d1", "FAILED");
    ASSERT_TRUE(testing::wait_for_log(daemon, oms, "could not store the poll")) << daemon.log();
    // Polls go on at their pace: each would wait 5 s for the lock if every
    // write tried it.
    ASSERT_TRUE(oms.wait_polls(60, 60s)) << daemon.log();
    // The loop keeps pinging the watchdog within WatchdogSec.
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(notify.receive_until("WATCHDOG=1", 12s)) << daemon.log();
    }
    EXPECT_EQ(receiver.count("project_failed", "firing", "np_d1"), 0u);
  }
  ASSERT_TRUE(receiver.wait_for("project_failed", "firing", "np_d1")) << daemon.log();
  ASSERT_TRUE(testing::wait_for_log(daemon, oms, "the database accepts writes again"))
      << daemon.log();
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();

  expect_one_line_each(daemon.log());
  testing::expect_every_event_delivered_once(db, dir.path().string(), receiver.events(), 1);
}

// A tmpfs of its own for the database directory, unmounted at the end.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(std::string path) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=8m") == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  // Writes a file until the file system is full.
  void fill() {
    int fd = ::open((path_ + "/filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    std::string block(64 * 1024, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    std::string small(512, 'x');
    while (::write(fd, small.data(), small.size()) > 0) {
    }
    ::close(fd);
  }
  bool grow() { return ::mount(nullptr, path_.c_str(), nullptr, MS_REMOUNT, "size=64m") == 0; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

TEST(FaultDatabase, DiskFull) {
  TempDir dir;
  SmallFileSystem fs(dir.file("data"));
  if (!fs.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs for the database (" << fs.error()
                 << "); run as root to test a full disk";
  }
  IoThread io;
  const auto ids = testing::project_ids("np_f", 3);
  SimOms oms(io, ids);
  FaultyReceiver receiver(io);
  const std::string db = dir.file("data") + "/full.db";
  {
    Daemon daemon(dir, testing::one_oms_config(db, oms.url(), ids, receiver.url()));
    ASSERT_TRUE(oms.wait_polls(6)) << daemon.log();

    fs.fill();
    oms.set_status("np_f1", "FAILED");
    oms.set_status("np_f2", "SUSPEND");
    ASSERT_TRUE(testing::wait_for_log(daemon, oms, "could not store the poll")) << daemon.log();
    ASSERT_TRUE(oms.wait_polls(60)) << daemon.log();  // polling goes on
    EXPECT_EQ(receiver.count("project_failed", "firing", "np_f1"), 0u);

    ASSERT_TRUE(fs.grow());
    ASSERT_TRUE(receiver.wait_for("project_failed", "firing", "np_f1")) << daemon.log();
    ASSERT_TRUE(receiver.wait_for("project_suspended", "firing", "np_f2")) << daemon.log();
    ASSERT_TRUE(testing::wait_for_log(daemon, oms, "the database accepts writes again"))
        << daemon.log();
    ASSERT_EQ(daemon.stop(), 0) << daemon.log();
    expect_one_line_each(daemon.log());
  }
  testing::expect_every_event_delivered_once(db, dir.path().string(), receiver.events(), 2);
}

}  // namespace
}  // namespace omswatch
