// SIGHUP on the real binary: a project added to the file is polled without a
// restart; a broken file is refused and the daemon keeps polling with the old
// one; a new API token is in force at once, and a new listen address is
// refused (it needs a restart) rather than reported as reloaded.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "oms/simulator.h"
#include "storage/store.h"
#include "tests/support/daemon_api.h"
#include "tests/support/expected_value.h"
#include "tests/support/io.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch {
namespace {

using namespace std::chrono_literals;
using testing::IoThread;
using testing::Process;
using testing::TempDir;

oms::SimProject running(const std::string& id) {
  oms::SimProject p;
  p.progress.project_id = id;
  p.progress.status = "RUNNING";
  p.progress.alarm_level = "LOW";
  p.progress.current_step = "FULL_TRANSFER";
  return p;
}

class Reload : public ::testing::Test {
 protected:
  void SetUp() override {
    io_.invoke([&] { sim_.start(0); });
    sim_.on_request([this](std::string_view action, std::string_view project) {
      if (action == "DescribeProjectProgress") {
        polls_.update([&] { ++count_[std::string(project)]; });
      }
    });
    for (const auto* id : {"np_r1", "np_r2"}) sim_.put_project(running(id));
  }
  void TearDown() override {
    io_.invoke([&] { sim_.stop(); });
    io_.stop();
  }

  // `daemon_extra`: the [daemon] table's other keys; listen = "" when it has none.
  // `tables`: further tables, after [[oms]].
  void write_config(const std::string& projects,
                    const std::string& daemon_extra = "listen = \"\"\n",
                    const std::string& tables = "", const std::string& password = "pw") {
    std::ofstream cfg(dir_.file("r.toml"), std::ios::trunc);
    cfg << "[daemon]\ndatabase = \"" << dir_.file("r.db") << "\"\n"
        << daemon_extra << "[[oms]]\nname = \"sim\"\nurl = \"" << sim_.base_url()
        << "\"\nusername = \"u\"\n"
        << "password = \"" << password << "\"\ninterval = \"100ms\"\nprojects = [" << projects << "]\n"
        << tables;
    cfg.close();
    ::chmod(dir_.file("r.toml").c_str(), 0600);
  }

  int polls(const std::string& id) {
    std::lock_guard lock(polls_.mutex());
    return count_[id];
  }
  bool wait_for_polls(const std::string& id, int at_least) {
    return polls_.wait_for([&] { return count_[id] >= at_least; }, 30s);
  }

  IoThread io_;
  TempDir dir_;
  oms::Simulator sim_{io_.executor(), "u", "pw"};
  testing::Event polls_;
  std::map<std::string, int> count_;
};

TEST_F(Reload, AddedProjectIsPolledAndABrokenFileIsRefused) {
  write_config("\"np_r1\"");
  Process daemon({OMSWATCH_BINARY, "run", "-c", dir_.file("r.toml")}, "", dir_.file("log"));
  ASSERT_TRUE(wait_for_polls("np_r1", 2)) << testing::read_file(dir_.file("log"));
  EXPECT_EQ(polls("np_r2"), 0);

  write_config("\"np_r1\", \"np_r2\"");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_for_polls("np_r2", 3)) << testing::read_file(dir_.file("log"));

  // A broken file: refused, logged, and polling goes on with what runs.
  {
    std::ofstream broken(dir_.file("r.toml"), std::ios::trunc);
    broken << "[[oms]]\nname = \n";
  }
  const int r1 = polls("np_r1"), r2 = polls("np_r2");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_for_polls("np_r1", r1 + 10));
  ASSERT_TRUE(wait_for_polls("np_r2", r2 + 10));
  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait(), 0);
  const std::string log = testing::read_file(dir_.file("log"));
  EXPECT_NE(log.find("reload refused"), std::string::npos) << log;
  EXPECT_NE(log.find("r.toml:2:"), std::string::npos) << log;  // where the file is broken
}

TEST_F(Reload, RemovedProjectIsNoLongerPolled) {
  write_config("\"np_r1\", \"np_r2\"");
  Process daemon({OMSWATCH_BINARY, "run", "-c", dir_.file("r.toml")}, "", dir_.file("log"));
  ASSERT_TRUE(wait_for_polls("np_r2", 2)) << testing::read_file(dir_.file("log"));
  write_config("\"np_r1\"");
  daemon.signal(SIGHUP);
  // Once np_r1 has been polled 5 more times after the reload took effect,
  // np_r2 has had at most the poll that was in flight.
  const int r1 = polls("np_r1");
  ASSERT_TRUE(wait_for_polls("np_r1", r1 + 5));
  const int r2_after = polls("np_r2");
  ASSERT_TRUE(wait_for_polls("np_r1", r1 + 15));
  EXPECT_LE(polls("np_r2"), r2_after + 1);
  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait(), 0);
}

// The OMS client serializes its requests once; a reload with other
// credentials must make the next polls carry them.
TEST_F(Reload, ANewOmsPasswordIsSentFromTheNextPolls) {
  write_config("\"np_r1\"", "listen = \"\"\n", "", "old-pw");
  Process daemon({OMSWATCH_BINARY, "run", "-c", dir_.file("r.toml")}, "", dir_.file("log"));
  ASSERT_TRUE(testing::wait_for_file(dir_.file("log"), [](const std::string& log) {
    return log.find("HTTP 401") != std::string::npos;
  })) << testing::read_file(dir_.file("log"));
  EXPECT_EQ(polls("np_r1"), 0);  // refused: not counted by the simulator

  write_config("\"np_r1\"");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_for_polls("np_r1", 3)) << testing::read_file(dir_.file("log"));
  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait(), 0);
}

// Reloads with SIGHUP and waits for the outcome's log line ("reloaded" or
// "reload refused"); the line, "" when none came.
std::string reload(Process& daemon, const std::string& log_path) {
  const std::size_t from = testing::read_file(log_path).size();
  const auto outcome_at = [from](const std::string& log) {
    const auto a = log.find(" info reloaded ", from), b = log.find("reload refused", from);
    return std::min(a, b);
  };
  daemon.signal(SIGHUP);
  if (!testing::wait_for_file(log_path, [&](const std::string& log) {
        const auto at = outcome_at(log);
        return at != std::string::npos && log.find('\n', at) != std::string::npos;
      })) {
    return "";
  }
  const std::string log = testing::read_file(log_path);
  const auto at = outcome_at(log);
  return log.substr(at, log.find('\n', at) - at);
}

TEST_F(Reload, ANewApiTokenIsInForceAtOnce) {
  write_config("\"np_r1\"", "listen = \"127.0.0.1:0\"\napi_token = \"old-token\"\n");
  Process daemon({OMSWATCH_BINARY, "run", "-c", dir_.file("r.toml")}, "", dir_.file("log"));
  auto port = testing::endpoint_port(dir_.file("log"));
  ASSERT_TRUE(port) << testing::read_file(dir_.file("log"));
  EXPECT_EQ(testing::http_get(*port, "/api/v1/projects", "old-token").status, 200);

  write_config("\"np_r1\"", "listen = \"127.0.0.1:0\"\napi_token = \"new-token\"\n");
  const std::string outcome = reload(daemon, dir_.file("log"));
  EXPECT_NE(outcome.find("reloaded"), std::string::npos) << outcome;
  EXPECT_EQ(testing::http_get(*port, "/api/v1/projects", "new-token").status, 200);
  EXPECT_EQ(testing::http_get(*port, "/api/v1/projects", "old-token").status, 401);
  EXPECT_EQ(testing::http_get(*port, "/api/v1/projects").status, 401);
  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait(), 0);
  EXPECT_EQ(testing::read_file(dir_.file("log")).find("new-token"), std::string::npos);
}

TEST_F(Reload, AnAddedApiTokenClosesAnOpenEndpoint) {
  write_config("\"np_r1\"", "listen = \"127.0.0.1:0\"\n");
  Process daemon({OMSWATCH_BINARY, "run", "-c", dir_.file("r.toml")}, "", dir_.file("log"));
  auto port = testing::endpoint_port(dir_.file("log"));
  ASSERT_TRUE(port) << testing::read_file(dir_.file("log"));
  EXPECT_EQ(testing::http_get(*port, "/api/v1/projects").status, 200);

  write_config("\"np_r1\"", "listen = \"127.0.0.1:0\"\napi_token = \"added-token\"\n");
  const std::string outcome = reload(daemon, dir_.file("log"));
  EXPECT_NE(outcome.find("reloaded"), std::string::npos) << outcome;
  EXPECT_EQ(testing::http_get(*port, "/api/v1/projects").status, 401);
  EXPECT_EQ(testing::http_get(*port, "/api/v1/projects", "added-token").status, 200);
  EXPECT_EQ(testing::http_get(*port, "/healthz").status, 200);
  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait(), 0);
}

TEST_F(Reload, ANewListenAddressIsRefusedAsNeedingARestart) {
  write_config("\"np_r1\"", "listen = \"127.0.0.1:0\"\n");
  Process daemon({OMSWATCH_BINARY, "run", "-c", dir_.file("r.toml")}, "", dir_.file("log"));
  auto port = testing::endpoint_port(dir_.file("log"));
  ASSERT_TRUE(port) << testing::read_file(dir_.file("log"));

  // A new address, and a token with it: nothing of the file is applied.
  write_config("\"np_r1\", \"np_r2\"", "listen = \"127.0.0.2:0\"\napi_token = \"some-token\"\n");
  const std::string outcome = reload(daemon, dir_.file("log"));
  EXPECT_NE(outcome.find("reload refused"), std::string::npos) << outcome;
  EXPECT_NE(outcome.find("daemon.listen"), std::string::npos) << outcome;
  EXPECT_NE(outcome.find("restart"), std::string::npos) << outcome;
  EXPECT_EQ(testing::http_get(*port, "/api/v1/projects").status, 200);
  const int r1 = polls("np_r1");
  ASSERT_TRUE(wait_for_polls("np_r1", r1 + 5));
  EXPECT_EQ(polls("np_r2"), 0);
  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait(), 0);
}

// The samples of a project the daemon has stored, read as a query command would.
std::size_t stored_samples(const std::string& db, const std::string& project_id) {
  auto store = storage::Store::open(db, storage::OpenMode::read_only);
  if (!store) return 0;
  return omswatch::testing::value_of((*store)->history(project_id, std::nullopt, std::nullopt, 0))
      .size();
}

TEST_F(Reload, ANewSampleEveryIsAppliedNotPostponed) {
  // Every poll of np_r1 answers the same: with sample_every = 1h only the
  // first is stored; once the reload sets 0s, every poll is.
  write_config("\"np_r1\"", "listen = \"\"\n", "[storage]\nsample_every = \"1h\"\n");
  Process daemon({OMSWATCH_BINARY, "run", "-c", dir_.file("r.toml")}, "", dir_.file("log"));
  ASSERT_TRUE(wait_for_polls("np_r1", 5)) << testing::read_file(dir_.file("log"));
  EXPECT_LE(stored_samples(dir_.file("r.db"), "np_r1"), 1u);

  write_config("\"np_r1\"", "listen = \"\"\n", "[storage]\nsample_every = \"0s\"\n");
  const std::string outcome = reload(daemon, dir_.file("log"));
  EXPECT_NE(outcome.find("reloaded"), std::string::npos) << outcome;
  const int r1 = polls("np_r1");
  ASSERT_TRUE(wait_for_polls("np_r1", r1 + 10));
  daemon.signal(SIGTERM);
  ASSERT_EQ(daemon.wait(), 0);
  // Stopping commits what the group held back: at least the ten polls after the reload.
  EXPECT_GE(stored_samples(dir_.file("r.db"), "np_r1"), 10u)
      << testing::read_file(dir_.file("log"));
  EXPECT_EQ(testing::read_file(dir_.file("log")).find("next restart"), std::string::npos);
}

}  // namespace
}  // namespace omswatch
