// The database's files and the daemon's HTTP endpoint under the real binary,
// as a careless or hostile host treats them: a named pipe where the database
// belongs, a `-shm` file the daemon's user cannot write, the database or its
// write-ahead log deleted while the daemon runs, and silent clients holding
// every connection slot of the endpoint.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "storage/store.h"
#include "tests/e2e/fault_rig.h"
#include "tests/support/daemon_api.h"

namespace omswatch {
namespace {

using namespace std::chrono_literals;
using testing::Daemon;
using testing::FaultyReceiver;
using testing::IoThread;
using testing::SimOms;
using testing::TempDir;

// `toml` with the HTTP endpoint on a free loopback port instead of off.
std::string with_listen(std::string toml) {
  const std::string off = "listen = \"\"";
  toml.replace(toml.find(off), off.size(), "listen = \"127.0.0.1:0\"");
  return toml;
}

// Asks /healthz at each poll of `oms` until `done` holds for its answer.
template <class Done>
testing::GetResult wait_for_health(std::uint16_t port, SimOms& oms, Done done,
                                   std::chrono::milliseconds timeout = 30s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  auto r = testing::http_get(port, "/healthz");
  while (!done(r) && std::chrono::steady_clock::now() < until) {
    oms.wait_polls(1, 5s);
    r = testing::http_get(port, "/healthz");
  }
  return r;
}

// ---- (a) named pipes: refused at once, by every command that opens the database

TEST(DatabaseFilesE2e, NamedPipeIsRefusedByEveryCommand) {
  TempDir dir;
  const std::string fifo = dir.file("pipe.db");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string config = dir.file("c.toml");
  std::ofstream(config) << testing::one_oms_config(fifo, "http://127.0.0.1:1", {"np_1"},
                                                   "http://127.0.0.1:1/hook");
  ::chmod(config.c_str(), 0600);
  const std::string bin = OMSWATCH_BINARY;
  const std::vector<std::vector<std::string>> commands = {
      {bin, "status", "--db", fifo},
      {bin, "status", "-c", config},
      {bin, "history", "np_1", "--db", fifo},
      {bin, "history", "np_1", "--timeline", "--db", fifo},
      {bin, "events", "--db", fifo},
      {bin, "silence", "list", "--db", fifo},
      {bin, "silence", "add", "--project", "np_1", "--for", "1h", "--comment", "c", "--db", fifo},
      {bin, "run", "-c", config},
  };
  for (const auto& argv : commands) {
    SCOPED_TRACE(argv[1] + " " + argv[2]);
    // A command that opened the pipe would wait for a writer for ever: the deadline catches it.
    auto r = testing::run_command(argv, dir.path().string(), 15s);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(fifo + " is a named pipe, not a database file"), std::string::npos)
        << r.err;
  }

  // A named pipe where SQLite's -wal file belongs, beside a real database.
  const std::string db = dir.file("real.db");
  ASSERT_TRUE(storage::Store::open(db, storage::OpenMode::read_write));
  ASSERT_EQ(::mkfifo((db + "-wal").c_str(), 0600), 0);
  auto r = testing::run_command({bin, "status", "--db", db}, dir.path().string(), 15s);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(db + "-wal is a named pipe"), std::string::npos) << r.err;
}

// ---- (b) a -shm file the daemon's user cannot write

constexpr uid_t kNobody = 65534;

bool can_run_as_nobody() { return ::geteuid() == 0 && ::access("/usr/bin/setpriv", X_OK) == 0; }

std::vector<std::string> as_nobody(std::vector<std::string> argv) {
  argv.insert(argv.begin(),
              {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"});
  return argv;
}

// A database of the user nobody in `dir`/data, with a 0444 -shm file owned by `shm_owner`,
// as a failed start under another user or umask leaves it.
std::string database_with_read_only_shm(const TempDir& dir, uid_t shm_owner) {
  const std::string data = dir.file("data");
  std::filesystem::create_directories(data);
  const std::string db = data + "/o.db";
  EXPECT_TRUE(storage::Store::open(db, storage::OpenMode::read_write));
  std::ofstream(db + "-shm") << "";
  for (const auto& f : {data, db}) EXPECT_EQ(::chown(f.c_str(), kNobody, kNobody), 0);
  EXPECT_EQ(::chown((db + "-shm").c_str(), shm_owner, shm_owner), 0);
  EXPECT_EQ(::chmod((db + "-shm").c_str(), 0444), 0);
  return db;
}

TEST(DatabaseFilesE2e, ReadOnlyShmFileOfAnotherUserIsNamedWithItsFix) {
  if (!can_run_as_nobody()) GTEST_SKIP() << "needs root and setpriv to run the daemon as nobody";
  TempDir dir;
  const std::string db = database_with_read_only_shm(dir, 0);
  const std::string config = dir.file("c.toml");
  std::ofstream(config) << testing::one_oms_config(db, "http://127.0.0.1:1", {"np_1"},
                                                   "http://127.0.0.1:1/hook");
  ASSERT_EQ(::chown(config.c_str(), kNobody, kNobody), 0);
  ::chmod(config.c_str(), 0600);

  auto r = testing::run_command(as_nobody({OMSWATCH_BINARY, "run", "-c", config}),
                                dir.path().string(), 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot write " + db +
                       "-shm (the database's shared-memory index, mode "
                       "0444, owner uid 0): remove it while no omswatch process runs"),
            std::string::npos)
      << r.err;
}

TEST(DatabaseFilesE2e, ReadOnlyShmFileOfItsOwnUserIsMadeWritable) {
  if (!can_run_as_nobody()) GTEST_SKIP() << "needs root and setpriv to run omswatch as nobody";
  TempDir dir;
  const std::string db = database_with_read_only_shm(dir, kNobody);
  auto r = testing::run_command(as_nobody({OMSWATCH_BINARY, "silence", "add", "--project", "np_1",
                                           "--for", "1h", "--comment", "c", "--db", db}),
                                dir.path().string(), 30s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The last connection to close removes the -shm file; if it is still there, it is writable.
  struct stat st {};
  if (::stat((db + "-shm").c_str(), &st) == 0) EXPECT_NE(st.st_mode & S_IWUSR, 0u);
  auto listed =
      testing::run_command({OMSWATCH_BINARY, "silence", "list", "--db", db}, dir.path().string());
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("np_1"), std::string::npos) << listed.out;
}

// ---- (c) the database or its write-ahead log deleted while the daemon runs

TEST(DatabaseFilesE2e, DeletedWhileRunningFailsHealthzAndIsLoggedOnce) {
  for (const std::string victim : {"", "-wal"}) {
    SCOPED_TRACE("deleted: database" + victim);
    IoThread io;
    TempDir dir;
    const auto ids = testing::project_ids("np_x", 2);
    SimOms oms(io, ids);
    FaultyReceiver receiver(io);
    const std::string db = dir.file("gone.db");
    Daemon daemon(dir, with_listen(testing::one_oms_config(db, oms.url(), ids, receiver.url())));
    const auto port = testing::endpoint_port(dir.file("daemon.log"));
    ASSERT_TRUE(port) << daemon.log();
    ASSERT_TRUE(oms.wait_polls(3)) << daemon.log();
    auto healthy = wait_for_health(*port, oms, [](const auto& r) { return r.status == 200; });
    ASSERT_EQ(healthy.status, 200) << healthy.body << daemon.log();

    ASSERT_TRUE(std::filesystem::remove(db + victim));
    const std::string reason = db + victim + " was deleted while omswatch runs";
    auto failing = wait_for_health(*port, oms, [](const auto& r) { return r.status == 503; });
    EXPECT_EQ(failing.status, 503) << failing.body;
    EXPECT_NE(failing.body.find(reason), std::string::npos) << failing.body;
    ASSERT_TRUE(testing::wait_for_text(dir.file("daemon.log"), reason)) << daemon.log();
    // It stays failing, and the log says it once.
    ASSERT_TRUE(oms.wait_polls(3));
    EXPECT_EQ(testing::http_get(*port, "/healthz").status, 503);
    EXPECT_EQ(testing::count_containing(testing::log_lines_besides_events(daemon.log()), reason),
              1u)
        << daemon.log();
    EXPECT_EQ(daemon.stop(), 0) << daemon.log();
  }
}

// ---- (d) silent clients hold every slot of the HTTP endpoint

TEST(DatabaseFilesE2e, HealthzAnswersWhileSilentClientsHoldEverySlot) {
  IoThread io;
  TempDir dir;
  const auto ids = testing::project_ids("np_s", 1);
  SimOms oms(io, ids);
  FaultyReceiver receiver(io);
  Daemon daemon(
      dir, with_listen(testing::one_oms_config(dir.file("s.db"), oms.url(), ids, receiver.url())));
  const auto found = testing::endpoint_port(dir.file("daemon.log"));
  ASSERT_TRUE(found) << daemon.log();
  const std::uint16_t port = *found;
  ASSERT_TRUE(oms.wait_polls(2)) << daemon.log();
  ASSERT_EQ(wait_for_health(port, oms, [](const auto& r) { return r.status == 200; }).status, 200)
      << daemon.log();

  // The endpoint has 64 slots and a read timeout of 10 s: 70 clients that connect and say
  // nothing would hold them all for 10 s.
  boost::asio::io_context ioc;
  std::vector<boost::asio::ip::tcp::socket> silent;
  for (int i = 0; i < 70; ++i) {
    silent.emplace_back(ioc);
    silent.back().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  // The daemon accepts them at its own pace; whatever it has accepted, /healthz gets in.
  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    auto r = testing::http_get(port, "/healthz", "", 3s);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  }
  EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

}  // namespace
}  // namespace omswatch
