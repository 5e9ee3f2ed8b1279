// Faults of an OMS on the real daemon: it keeps polling the healthy OMS and
// delivering what it detects there, logs a bounded number of lines about the
// fault, recovers by itself when the fault goes, and every event the database
// holds reaches the receiver exactly once.

#include <gtest/gtest.h>
#include <signal.h>

#include "tests/e2e/fault_rig.h"
#include "tests/support/daemon_api.h"

namespace omswatch {
namespace {

using namespace std::chrono_literals;
using oms::Fault;
using testing::Daemon;
using testing::FaultyReceiver;
using testing::IoThread;
using testing::SimOms;
using testing::TempDir;

std::string fault_config(const std::string& db, const std::string& bad_url,
                         const std::vector<std::string>& bad_ids, const std::string& bad_interval,
                         const std::string& good_url, const std::string& receiver_url) {
  return "[daemon]\ndatabase = \"" + db +
         "\"\nlisten = \"\"\nlog_level = \"info\"\n"
         "[detect]\nunreachable_after = 2\nunavailable_after = 2\n"
         "[[oms]]\nname = \"bad\"\nurl = \"" +
         bad_url +
         "\"\nusername = \"watcher\"\n"
         "password = \"pw\"\ninterval = \"" +
         bad_interval +
         "\"\ntimeout = \"500ms\"\n"
         "max_in_flight = 16\nprojects = " +
         testing::toml_list(bad_ids) +
         "\n"
         "[[oms]]\nname = \"good\"\nurl = \"" +
         good_url +
         "\"\nusername = \"watcher\"\n"
         "password = \"pw\"\ninterval = \"200ms\"\nprojects = [\"np_good\"]\n"
         "[delivery]\nfirst_retry = \"200ms\"\nmax_retry = \"1s\"\n"
         "[routes.MEDIUM]\ngroup_wait = \"0s\"\n"
         "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
         receiver_url + "\"\ntimeout = \"2s\"\n";
}

// Lines about the faulty OMS, and all lines besides events, stay few.
void expect_few_lines(const std::string& log, std::size_t about_bad) {
  auto lines = testing::log_lines_besides_events(log);
  EXPECT_LE(testing::count_containing(lines, " on bad"), about_bad) << log;
  EXPECT_LE(lines.size(), about_bad + 12) << log;
}

void run_oms_fault(Fault fault, const std::string& bad_interval = "300ms") {
  IoThread io;
  TempDir dir;
  SimOms bad(io, testing::project_ids("np_bad_", 3));
  SimOms good(io, {"np_good"});
  FaultyReceiver receiver(io);
  const std::string db = dir.file("fault.db");
  Daemon daemon(dir, fault_config(db, bad.url(), testing::project_ids("np_bad_", 3), bad_interval,
                                  good.url(), receiver.url()));
  ASSERT_TRUE(good.wait_polls(3)) << daemon.log();
  ASSERT_TRUE(bad.wait_polls(6)) << daemon.log();

  bad.sim.set_fault(fault);
  bad.set_status("np_bad_1", "SUSPEND");  // seen once the fault is gone
  good.set_status("np_good", "SUSPEND");
  // The healthy OMS is polled and its transition delivered during the fault.
  ASSERT_TRUE(receiver.wait_for("project_suspended", "firing", "np_good")) << daemon.log();
  if (fault == Fault::api_failure) {
    ASSERT_TRUE(receiver.wait_for_count("project_unavailable", "firing", 3)) << daemon.log();
  } else {
    ASSERT_TRUE(receiver.wait_for("oms_unreachable", "firing", "")) << daemon.log();
  }
  ASSERT_TRUE(good.wait_polls(30)) << daemon.log();
  ASSERT_TRUE(bad.wait_polls(10)) << daemon.log();  // the faulty OMS is still polled

  bad.sim.set_fault(Fault::none);
  ASSERT_TRUE(receiver.wait_for("project_suspended", "firing", "np_bad_1")) << daemon.log();
  if (fault == Fault::api_failure) {
    ASSERT_TRUE(receiver.wait_for_count("project_unavailable", "resolved", 3)) << daemon.log();
  } else {
    ASSERT_TRUE(receiver.wait_for("oms_unreachable", "resolved", "")) << daemon.log();
  }
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();

  // A warning for each of the 3 projects, and a line when each recovers.
  expect_few_lines(daemon.log(), 8);
  testing::expect_every_event_delivered_once(db, dir.path().string(), receiver.events(), 6);
}

TEST(FaultOms, HangPastTheTimeout) { run_oms_fault(Fault::hang); }
TEST(FaultOms, ConnectionsReset) { run_oms_fault(Fault::reset); }
TEST(FaultOms, TwentyMebibyteReplies) { run_oms_fault(Fault::huge, "1s"); }
TEST(FaultOms, GarbageReplies) { run_oms_fault(Fault::garbage); }
TEST(FaultOms, Http500) { run_oms_fault(Fault::http_500); }
TEST(FaultOms, SuccessFalseForSomeProjects) { run_oms_fault(Fault::api_failure); }

// Every request of a 200-project OMS answered success:false: a handful of
// lines, not one per project or per poll.
TEST(FaultOms, SuccessFalseFloodOfTwoHundredProjects) {
  IoThread io;
  TempDir dir;
  const auto ids = testing::project_ids("np_many_", 200);
  SimOms bad(io, ids);
  SimOms good(io, {"np_good"});
  FaultyReceiver receiver(io);
  const std::string db = dir.file("flood.db");
  Daemon daemon(dir, fault_config(db, bad.url(), ids, "1s", good.url(), receiver.url()));
  ASSERT_TRUE(bad.wait_polls(400)) << daemon.log();  // two rounds of baselines

  bad.sim.set_fault(Fault::api_failure);
  ASSERT_TRUE(receiver.wait_for_count("project_unavailable", "firing", 200)) << daemon.log();
  ASSERT_TRUE(bad.wait_polls(400)) << daemon.log();
  good.set_status("np_good", "SUSPEND");
  ASSERT_TRUE(receiver.wait_for("project_suspended", "firing", "np_good")) << daemon.log();

  bad.sim.set_fault(Fault::none);
  ASSERT_TRUE(receiver.wait_for_count("project_unavailable", "resolved", 200)) << daemon.log();
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();

  // 3 projects by name, one line that more fail, 3 recoveries, one line
  // that every project recovered.
  auto lines = testing::log_lines_besides_events(daemon.log());
  EXPECT_LE(testing::count_containing(lines, " on bad"), 8u) << daemon.log();
  EXPECT_EQ(testing::count_containing(lines, "polls of more projects on bad fail"), 1u)
      << daemon.log();
  EXPECT_EQ(testing::count_containing(lines, "polls of every project on bad succeed again"), 1u)
      << daemon.log();
  testing::expect_every_event_delivered_once(db, dir.path().string(), receiver.events(), 400);
}

// An OMS whose host does not resolve: the other OMS goes on; a reload that
// corrects the URL recovers it.
TEST(FaultOms, UnresolvableHost) {
  IoThread io;
  TempDir dir;
  const auto ids = testing::project_ids("np_bad_", 3);
  SimOms bad(io, ids);
  SimOms good(io, {"np_good"});
  FaultyReceiver receiver(io);
  const std::string db = dir.file("dns.db");
  Daemon daemon(dir,
                fault_config(db, "http://oms.invalid:1", ids, "300ms", good.url(), receiver.url()));
  ASSERT_TRUE(receiver.wait_for("oms_unreachable", "firing", "")) << daemon.log();
  good.set_status("np_good", "SUSPEND");
  ASSERT_TRUE(receiver.wait_for("project_suspended", "firing", "np_good")) << daemon.log();
  ASSERT_TRUE(good.wait_polls(30)) << daemon.log();

  bad.set_status("np_bad_2", "SUSPEND");
  daemon.write_config(fault_config(db, bad.url(), ids, "300ms", good.url(), receiver.url()));
  daemon.process().signal(SIGHUP);
  ASSERT_TRUE(receiver.wait_for("oms_unreachable", "resolved", "")) << daemon.log();
  ASSERT_TRUE(receiver.wait_for("project_suspended", "firing", "np_bad_2")) << daemon.log();
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();

  expect_few_lines(daemon.log(), 8);
  testing::expect_every_event_delivered_once(db, dir.path().string(), receiver.events(), 4);
}

// A project configured without its name, on an OMS that never answers
// DescribeProject: the name lookup must not hold back the progress polls,
// the first one included (the client's timeout is the default 10 s).
TEST(FaultOms, AHangingNameLookupDoesNotDelayTheFirstPoll) {
  IoThread io;
  TempDir dir;
  SimOms oms(io, {"np_n"});
  oms.sim.set_action_fault("DescribeProject", Fault::hang);
  FaultyReceiver receiver(io);
  const auto started = std::chrono::steady_clock::now();
  Daemon daemon(dir,
                testing::one_oms_config(dir.file("n.db"), oms.url(), {"np_n"}, receiver.url()));
  // Two polls: the first has been stored once the second is asked for.
  ASSERT_TRUE(oms.polled.wait_for([&] { return oms.polls >= 2; }, 60s)) << daemon.log();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 5s) << "the first polls waited for the name lookup\n" << daemon.log();
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();
}

// One OMS watched only through discovery: no project listed in the file.
std::string discovery_config(const std::string& db, const std::string& oms_url,
                             const std::string& interval, const std::string& receiver_url) {
  return "[daemon]\ndatabase = \"" + db +
         "\"\nlisten = \"127.0.0.1:0\"\nlog_level = \"info\"\n"
         "[detect]\nunreachable_after = 2\n"
         "[[oms]]\nname = \"disc\"\nurl = \"" +
         oms_url + "\"\nusername = \"watcher\"\npassword = \"pw\"\ninterval = \"" + interval +
         "\"\ntimeout = \"500ms\"\ndiscover = true\ndiscover_every = \"1h\"\n"
         "[delivery]\nfirst_retry = \"200ms\"\nmax_retry = \"1s\"\n"
         "[routes.MEDIUM]\ngroup_wait = \"0s\"\n"
         "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" +
         receiver_url + "\"\ntimeout = \"2s\"\n";
}

// An OMS watched through discovery alone that refuses connections from the
// start: each failed listing is a failed poll of it, retried at the poll
// interval (not discover_every), so it is reported unreachable and /healthz
// says so.
TEST(FaultOms, DiscoveryOnlyOmsDownAtStartIsReportedUnreachable) {
  IoThread io;
  TempDir dir;
  std::string url;
  {
    SimOms gone(io, {});
    url = gone.url();
  }  // stopped: its port refuses connections
  FaultyReceiver receiver(io);
  Daemon daemon(dir, discovery_config(dir.file("disc.db"), url, "200ms", receiver.url()));
  ASSERT_TRUE(receiver.wait_for("oms_unreachable", "firing", "")) << daemon.log();
  auto port = testing::endpoint_port(dir.file("daemon.log"));
  ASSERT_TRUE(port) << daemon.log();
  auto health = testing::http_get(*port, "/healthz");
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_NE(health.body.find("OMS disc unreachable"), std::string::npos) << health.body;
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();
  expect_few_lines(daemon.log(), 4);
}

// A listing that fails is tried again on SIGHUP, without waiting for
// discover_every or the poll interval; once it works, the OMS is watched.
TEST(FaultOms, DiscoveryIsRetriedOnReload) {
  IoThread io;
  TempDir dir;
  testing::Event listed;  // outlives the simulator, whose observer uses it
  std::uint64_t lists = 0;
  SimOms oms(io, {"np_disc"});
  io.invoke([&] {
    oms.sim.on_request([&](std::string_view action, std::string_view) {
      if (action == "ListProjects") listed.update([&] { ++lists; });
    });
  });
  oms.sim.set_action_fault("ListProjects", Fault::http_500);
  FaultyReceiver receiver(io);
  Daemon daemon(dir, discovery_config(dir.file("disc.db"), oms.url(), "1h", receiver.url()));
  ASSERT_TRUE(listed.wait_for([&] { return lists >= 1; }, 60s)) << daemon.log();
  ASSERT_TRUE(
      testing::wait_for_text(dir.file("daemon.log"), "cannot list the projects of OMS disc"))
      << daemon.log();
  oms.sim.set_action_fault("ListProjects", Fault::none);
  daemon.process().signal(SIGHUP);
  ASSERT_TRUE(testing::wait_for_text(dir.file("daemon.log"), "discovered project np_disc"))
      << daemon.log();
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();
  io.invoke([&] { oms.sim.on_request(nullptr); });
}

}  // namespace
}  // namespace omswatch
