// Someone reading the live database from another process (`sqlite3`,
// `omswatch history`, a script) never makes the daemon's writes wait or fail,
// however long the reader holds its snapshot. Each test holds a reader open
// in a real second process while the Store records, prunes and vacuums.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace omswatch::storage {
namespace {

using namespace std::chrono_literals;
using testing::count_rows;
using testing::kHour;
using testing::kMinute;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::poll_write;

constexpr auto kDeadline = 30s;

// Reads exactly `size` bytes, waiting at most until the deadline.
bool read_exact(int fd, void* data, std::size_t size) {
  auto* out = static_cast<char*>(data);
  const auto until = std::chrono::steady_clock::now() + kDeadline;
  while (size > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t n = ::read(fd, out, size);
    if (n <= 0) return false;
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// One line of a child's output, without the newline.
std::optional<std::string> read_line(int fd) {
  std::string line;
  char c = 0;
  while (read_exact(fd, &c, 1)) {
    if (c == '\n') return line;
    line += c;
  }
  return std::nullopt;
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The exit code, waiting on the process's pidfd with a deadline.
std::optional<int> wait_exit(pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return std::nullopt;
  pollfd p{fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kDeadline).count()));
  ::close(fd);
  int status = 0;
  if (ready <= 0 || ::waitpid(pid, &status, 0) != pid) return std::nullopt;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class ReaderProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A few thousand samples and events to read.
    auto store = open_writer();
    for (int p = 0; p < 40; ++p) {
      for (int i = 0; i < 100; ++i) {
        const std::string id = "np_" + std::to_string(p);
        std::vector<EventRecord> events;
        if (i % 25 == 0) {
          events.push_back(make_event("evt_" + id + "_" + std::to_string(i), id, "status_changed",
                                      "notice", "info", kT0 + i * kMinute));
        }
        OMSWATCH_RECORD(*store, poll_write(ok_sample(id, kT0 + i * kMinute, i), events, {"ops"}));
      }
    }
  }

  std::unique_ptr<Store> open_writer() {
    StoreOptions options;
    options.sample_every = 0ms;
    options.keep_samples = std::chrono::days(1);
    options.keep_events = std::chrono::days(1);
    auto store = Store::open(path_, OpenMode::read_write, options);
    if (!store) throw std::runtime_error(store.error());
    return std::move(*store);
  }

  // Everything the daemon does to the file, while the reader holds on:
  // polls with events and deliveries, dispatching, pruning and vacuuming.
  // Every write must succeed.
  void write_while_read(Store& store) {
    // Enough commits to pass the WAL's auto-checkpoint (1000 pages) several times.
    for (int i = 0; i < 1500; ++i) {
      const TimeMs at = kT0 + 2 * kHour + i * kMinute;
      const std::string id = "np_" + std::to_string(i % 40);
      auto e = make_event("evt_w" + std::to_string(i), id, "incr_lagging", "firing", "warning", at);
      auto w = poll_write(ok_sample(id, at, i), {e}, {"oncall"});
      auto recorded = store.record(w);
      ASSERT_TRUE(recorded.has_value()) << "write " << i << ": " << recorded.error();
      if (i % 100 == 99) {
        std::vector<std::int64_t> ids;
        for (const auto& d : testing::value_of(store.due_deliveries(at, 1000))) ids.push_back(d.id);
        auto marked = store.mark_delivered(ids, at);
        ASSERT_TRUE(marked.has_value()) << marked.error();
      }
    }
    // Everything before yesterday goes, and the file gives the space back.
    for (int i = 0; i < 1000; ++i) {
      auto pruned = store.prune(kT0 + 3 * 24 * kHour, 500);
      ASSERT_TRUE(pruned.has_value()) << pruned.error();
      if (!pruned->more) break;
    }
    auto vacuumed = store.vacuum_step(1000);
    ASSERT_TRUE(vacuumed.has_value()) << vacuumed.error();
    EXPECT_GT(vacuumed->released, 0);
  }

  std::int64_t samples_now() {
    auto db = open_raw(path_, sqlite::kOpenReadOnly);
    return count_rows(db, "samples");
  }

  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
};

// The child: opens its own connection, begins a read, steps part-way into a
// query over the whole history and stays there until told to go on.
int hold_a_snapshot(const std::string& path, int ready_fd, int go_fd) {
  try {
    auto db = sqlite::Database::open(path, sqlite::kOpenReadOnly);
    if (!db) return 10;
    db->set_busy_timeout(5s);
    auto tx = sqlite::Transaction::begin(*db, sqlite::Transaction::Mode::deferred);
    if (!tx) return 11;
    std::int64_t before = 0;
    {
      sqlite::Statement count(*db, "SELECT count(*) FROM samples");
      if (!count.step()) return 12;
      before = count.column_int64(0);
    }
    sqlite::Statement big(*db,
                          "SELECT s.oms, s.project_id, s.observed_at, s.status, s.incr_checkpoint, "
                          "e.kind FROM samples AS s LEFT JOIN events AS e "
                          "ON e.project_id = s.project_id AND e.observed_at = s.observed_at");
    std::int64_t stepped = 0;
    while (stepped < 10 && big.step()) ++stepped;
    if (!write_all(ready_fd, std::to_string(before) + "\n")) return 13;
    char go = 0;
    if (::read(go_fd, &go, 1) != 1) return 14;
    while (big.step()) ++stepped;
    big.reset();
    std::int64_t in_transaction = 0;
    {
      sqlite::Statement count(*db, "SELECT count(*) FROM samples");
      if (!count.step()) return 15;
      in_transaction = count.column_int64(0);
    }
    if (!tx->commit()) return 16;
    std::int64_t after = 0;
    {
      sqlite::Statement count(*db, "SELECT count(*) FROM samples");
      if (!count.step()) return 17;
      after = count.column_int64(0);
    }
    const std::string report = std::to_string(stepped) + " " + std::to_string(in_transaction) +
                               " " + std::to_string(after) + "\n";
    return write_all(ready_fd, report) ? 0 : 18;
  } catch (const std::exception&) {
    return 19;
  }
}

TEST_F(ReaderProcessTest, ALongReadInAnotherProcessNeverFailsAWrite) {
  int ready[2];
  int go[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(go), 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    ::close(go[1]);
    ::_exit(hold_a_snapshot(path_, ready[1], go[0]));
  }
  ::close(ready[1]);
  ::close(go[0]);
  struct Cleanup {
    pid_t pid;
    int fds[2];
    ~Cleanup() {
      for (int fd : fds) ::close(fd);
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, WNOHANG);
    }
  } cleanup{pid, {ready[0], go[1]}};

  auto before = read_line(ready[0]);
  ASSERT_TRUE(before.has_value()) << "the reader did not start";
  ASSERT_EQ(std::stoll(*before), 4000);

  auto store = open_writer();
  ASSERT_NO_FATAL_FAILURE(write_while_read(*store));
  const std::int64_t now = samples_now();
  ASSERT_NE(now, 4000);

  ASSERT_TRUE(write_all(go[1], "g"));
  auto report = read_line(ready[0]);
  ASSERT_TRUE(report.has_value()) << "the reader did not finish";
  std::int64_t stepped = 0;
  std::int64_t in_transaction = 0;
  std::int64_t after = 0;
  ASSERT_EQ(std::sscanf(report->c_str(), "%ld %ld %ld", &stepped, &in_transaction, &after), 3);
  // The reader saw its snapshot from start to end, then the new state.
  EXPECT_EQ(stepped, 4000);
  EXPECT_EQ(in_transaction, 4000);
  EXPECT_EQ(after, now);
  EXPECT_EQ(wait_exit(pid), 0);
}

// The operator's way: the sqlite3 shell with a transaction left open.
TEST_F(ReaderProcessTest, AnOpenSqlite3ShellNeverFailsAWrite) {
  int in[2];
  int out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  for (int fd : {in[0], in[1], out[0], out[1]}) posix_spawn_file_actions_addclose(&actions, fd);
  // stdbuf: a line of output as soon as a query answers, not when the pipe buffer fills.
  std::vector<std::string> args = {"stdbuf", "-oL", "sqlite3", "-readonly", path_};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "stdbuf", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ASSERT_EQ(rc, 0) << "cannot start sqlite3: " << std::strerror(rc);
  struct Cleanup {
    pid_t pid;
    int fds[2];
    ~Cleanup() {
      for (int fd : fds) ::close(fd);
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, WNOHANG);
    }
  } cleanup{pid, {in[1], out[0]}};

  ASSERT_TRUE(write_all(in[1], "BEGIN;\nSELECT count(*) FROM samples;\n"));
  auto before = read_line(out[0]);
  ASSERT_TRUE(before.has_value()) << "sqlite3 did not answer (is the sqlite3 package installed?)";
  ASSERT_EQ(*before, "4000");

  auto store = open_writer();
  ASSERT_NO_FATAL_FAILURE(write_while_read(*store));
  const std::int64_t now = samples_now();

  ASSERT_TRUE(write_all(in[1],
                        "SELECT count(*) FROM samples;\nCOMMIT;\nSELECT count(*) FROM samples;\n"
                        ".quit\n"));
  EXPECT_EQ(read_line(out[0]), "4000");
  EXPECT_EQ(read_line(out[0]), std::to_string(now));
  EXPECT_EQ(wait_exit(pid), 0);
}

}  // namespace
}  // namespace omswatch::storage
