// Delivery end to end: a crash with deliveries pending loses nothing, and a
// storm becomes a handful of messages that carry every event.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <set>

#include "config/config.h"
#include "daemon/service.h"
#include "oms/simulator.h"
#include "tests/support/io.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/webhook_receiver.h"

namespace omswatch {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::IoThread;
using testing::Process;
using testing::TempDir;
using testing::WebhookReceiver;

oms::SimProject project(const std::string& id, const std::string& status) {
  oms::SimProject p;
  p.progress.project_id = id;
  p.progress.status = status;
  p.progress.alarm_level = "MEDIUM";
  p.progress.current_step = "INCR_TRANSFER";
  p.progress.enable_incr_sync = false;
  return p;
}

TEST(DeliveryCrash, EveryEventArrivesAfterAKillWithDeliveriesPending) {
  IoThread io;
  TempDir dir;
  oms::Simulator sim(io.executor(), "watcher", "pw");
  io.invoke([&] { sim.start(0); });
  auto receiver = std::make_unique<WebhookReceiver>(io);
  receiver->answer(503);  // the receiver is down
  const std::vector<std::string> ids = {"np_c1", "np_c2", "np_c3"};
  for (const auto& id : ids) sim.put_project(project(id, "SUSPEND"));

  const std::string db = dir.file("crash.db");
  {
    std::ofstream cfg(dir.file("c.toml"));
    cfg << "[daemon]\ndatabase = \"" << db << "\"\nlisten = \"\"\nlog_level = \"debug\"\n"
        << "[[oms]]\nname = \"sim\"\nurl = \"" << sim.base_url() << "\"\nusername = \"watcher\"\n"
        << "password = \"${CRASH_PW}\"\ninterval = \"100ms\"\n"
        << "projects = [\"np_c1\", \"np_c2\", \"np_c3\"]\n"
        << "[delivery]\nfirst_retry = \"100ms\"\nmax_retry = \"300ms\"\n"
        << "[routes.MEDIUM]\ngroup_wait = \"0s\"\n"
        << "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" << receiver->url()
        << "\"\n";
  }
  ::chmod(dir.file("c.toml").c_str(), 0600);
  const std::vector<std::string> run = {OMSWATCH_BINARY, "run", "-c", dir.file("c.toml")};
  const std::vector<std::string> env = {"CRASH_PW=pw"};

  {
    Process daemon(run, "", dir.file("run1.log"), env);
    ASSERT_TRUE(receiver->wait_for_attempts(3)) << testing::read_file(dir.file("run1.log"));
    for (const auto& id : ids) {
      sim.update_project(id, [](oms::SimProject& p) { p.progress.status = "FAILED"; });
    }
    ASSERT_TRUE(receiver->wait_for_attempts(8));
    daemon.signal(SIGKILL);
    ASSERT_EQ(daemon.wait(), 128 + SIGKILL);
  }
  EXPECT_EQ(receiver->events().size(), 0u);  // nothing got through before the kill

  receiver->answer(200);  // the receiver is back
  {
    Process daemon(run, "", dir.file("run2.log"), env);
    for (const auto& id : ids) {
      ASSERT_TRUE(receiver->wait_for("project_suspended", "firing", id))
          << testing::read_file(dir.file("run2.log"));
      ASSERT_TRUE(receiver->wait_for("status_changed", "notice", id));
      ASSERT_TRUE(receiver->wait_for("project_suspended", "resolved", id));
      ASSERT_TRUE(receiver->wait_for("project_failed", "firing", id));
    }
    daemon.signal(SIGTERM);
    ASSERT_EQ(daemon.wait(), 0);
  }

  // Every event the database holds reached the receiver exactly once.
  auto listed = testing::run_command({OMSWATCH_BINARY, "events", "--db", db, "--format", "json"},
                                     dir.path().string());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::set<std::string> stored;
  const json::value parsed = json::parse(listed.out);
  for (const auto& e : parsed.as_array()) {
    stored.insert(std::string(e.at("id").as_string()));
  }
  ASSERT_EQ(stored.size(), 12u);
  std::map<std::string, int> arrived;
  for (const auto& e : receiver->events()) ++arrived[std::string(e.at("id").as_string())];
  for (const auto& id : stored) EXPECT_EQ(arrived[id], 1) << id;
  EXPECT_EQ(arrived.size(), stored.size());

  receiver.reset();
  io.invoke([&] { sim.stop(); });
}

TEST(DeliveryStorm, TwoHundredFailuresBecomeAHandfulOfMessages) {
  IoThread io;
  TempDir dir;
  oms::Simulator sim(io.executor(), "watcher", "pw");
  io.invoke([&] { sim.start(0); });
  auto receiver = std::make_unique<WebhookReceiver>(io);
  testing::Event polled;
  int progress_polls = 0;
  sim.on_request([&](std::string_view action, std::string_view) {
    if (action == "DescribeProjectProgress") polled.update([&] { ++progress_polls; });
  });

  std::string ids;
  for (int i = 0; i < 200; ++i) {
    std::string id = "np_storm_" + std::to_string(i);
    sim.put_project(project(id, "RUNNING"));
    ids += (i ? ", \"" : "\"") + id + "\"";
  }
  std::string toml = "[daemon]\ndatabase = \"" + dir.file("storm.db") +
                     "\"\nlisten = \"\"\n"
                     "[[oms]]\nname = \"sim\"\nurl = \"" +
                     sim.base_url() +
                     "\"\n"
                     "username = \"watcher\"\npassword = \"pw\"\ninterval = \"500ms\"\n"
                     "max_in_flight = 16\nprojects = [" +
                     ids +
                     "]\n"
                     "[routes.MEDIUM]\ngroup_wait = \"1s\"\n"
                     "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                     receiver->url() + "\"\n";
  auto loaded = config::load_string(toml, "storm.toml");
  ASSERT_TRUE(loaded.config) << loaded.errors.at(0).to_string();
  auto service = daemon::Service::create(io.context(), std::move(*loaded.config));
  ASSERT_TRUE(service) << service.error();
  io.invoke([&] { (*service)->start(); });
  ASSERT_TRUE(polled.wait_for([&] { return progress_polls >= 400; }));  // baselines

  for (int i = 0; i < 200; ++i) {
    sim.update_project("np_storm_" + std::to_string(i),
                       [](oms::SimProject& p) { p.progress.status = "FAILED"; });
  }
  bool all = false;
  for (int round = 0; round < 200 && !all; ++round) {
    receiver->wait_for_attempts(receiver->requests().size() + 1, 5s);
    all = receiver->count("project_failed", "firing") == 200 &&
          receiver->count("status_changed", "notice") == 200;
  }
  ASSERT_TRUE(all) << receiver->count("project_failed", "firing") << " failures arrived";

  auto requests = receiver->requests();
  EXPECT_LE(requests.size(), 12u) << "a storm must not become a flood";
  std::map<std::string, int> arrived;
  for (const auto& e : receiver->events()) ++arrived[std::string(e.at("id").as_string())];
  EXPECT_EQ(arrived.size(), 400u);
  for (const auto& [id, n] : arrived) EXPECT_EQ(n, 1) << id;

  io.invoke([&] { (*service)->stop(); });
  receiver.reset();
  io.invoke([&] { sim.stop(); });
  io.stop();
}

}  // namespace
}  // namespace omswatch

namespace omswatch {
namespace {

TEST(Silences, SuppressMatchingDeliveriesAndRecordThem) {
  IoThread io;
  TempDir dir;
  oms::Simulator sim(io.executor(), "watcher", "pw");
  io.invoke([&] { sim.start(0); });
  auto receiver = std::make_unique<WebhookReceiver>(io);
  for (const auto* id : {"np_s1", "np_s2"}) sim.put_project(project(id, "RUNNING"));
  const std::string db = dir.file("s.db");
  std::string toml = "[daemon]\ndatabase = \"" + db +
                     "\"\nlisten = \"\"\n"
                     "[[oms]]\nname = \"sim\"\nurl = \"" +
                     sim.base_url() +
                     "\"\n"
                     "username = \"watcher\"\npassword = \"pw\"\ninterval = \"100ms\"\n"
                     "projects = [\"np_s1\", \"np_s2\"]\n"
                     "[routes.MEDIUM]\ngroup_wait = \"1s\"\n"
                     "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
                     receiver->url() + "\"\n";
  auto loaded = config::load_string(toml, "s.toml");
  ASSERT_TRUE(loaded.config);
  auto service = daemon::Service::create(io.context(), std::move(*loaded.config));
  ASSERT_TRUE(service) << service.error();
  io.invoke([&] { (*service)->start(); });

  // The CLI adds a silence to the live database.
  auto added = testing::run_command({OMSWATCH_BINARY, "silence", "add", "--project", "np_s1",
                                     "--for", "2h", "--comment", "planned maintenance", "--db", db},
                                    dir.path().string());
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find("silence 1 added"), std::string::npos) << added.out;
  auto listed = testing::run_command(
      {OMSWATCH_BINARY, "silence", "list", "--db", db, "--format", "csv"}, dir.path().string());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("planned maintenance"), std::string::npos) << listed.out;

  for (const auto* id : {"np_s1", "np_s2"}) {
    sim.update_project(id, [](oms::SimProject& p) { p.progress.status = "FAILED"; });
  }
  ASSERT_TRUE(receiver->wait_for("project_failed", "firing", "np_s2"));
  EXPECT_EQ(receiver->count("project_failed", "firing", "np_s1"), 0u);

  auto events = testing::run_command(
      {OMSWATCH_BINARY, "events", "--db", db, "--project", "np_s1", "--format", "json"},
      dir.path().string());
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find(R"("receiver":"hook","status":"silenced")"), std::string::npos)
      << events.out;

  auto expired = testing::run_command({OMSWATCH_BINARY, "silence", "expire", "1", "--db", db},
                                      dir.path().string());
  EXPECT_EQ(expired.exit_code, 0) << expired.err;
  auto again = testing::run_command({OMSWATCH_BINARY, "silence", "expire", "1", "--db", db},
                                    dir.path().string());
  EXPECT_EQ(again.exit_code, 1);
  auto nothing = testing::run_command(
      {OMSWATCH_BINARY, "silence", "add", "--for", "1h", "--comment", "x", "--db", db},
      dir.path().string());
  EXPECT_EQ(nothing.exit_code, 64);

  io.invoke([&] { (*service)->stop(); });
  receiver.reset();
  io.invoke([&] { sim.stop(); });
  io.stop();
}

}  // namespace
}  // namespace omswatch
