// High availability end to end: two `omswatch run` (own databases, the same
// configuration) watch one simulated OMS project and both send to a two-peer
// Alertmanager cluster gossiping on loopback, with a webhook behind it. The
// project fails, one omswatch is killed, the other carries on, the project
// recovers: the webhook gets one notification for the failure and one for
// the resolution, not two of each.
//
// When a count is final is read from the Alertmanagers' debug logs (inotify,
// no sleeping): each flush of the aggregation group logs a line when it
// starts, and the flushes of a group run one after the other, so a flush has
// finished, with whatever it sent, once a later one starts.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>
#include <initializer_list>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include "common/time.h"
#include "tests/e2e/fault_rig.h"
#include "tests/support/daemon_api.h"
#include "tests/support/real_alertmanager.h"
#include "tests/support/webhook_receiver.h"

namespace omswatch {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::Daemon;
using testing::IoThread;
using testing::RealAlertmanager;
using testing::Received;
using testing::SimOms;
using testing::TempDir;
using testing::WebhookReceiver;

constexpr const char* kProject = "np_ha1";

// Both peers have the same configuration: one group per OMS, a first
// notification 1 s after the group's first alert, then a flush every 3 s,
// far above the peer timeout (1 s), so that a peer's flush, with its wait,
// is over before the next flush of the other. Repeats would come after an
// hour: any second notification is a duplicate.
std::string alertmanager_yml(const std::string& webhook_url) {
  return "route:\n"
         "  receiver: hook\n"
         "  group_by: [oms]\n"
         "  group_wait: 1s\n"
         "  group_interval: 3s\n"
         "  repeat_interval: 1h\n"
         "receivers:\n"
         "  - name: hook\n"
         "    webhook_configs:\n"
         "      - url: " +
         webhook_url +
         "\n"
         "        send_resolved: true\n";
}

// The configuration of both instances but for the database: the recipe of
// docs/receivers.md, one alertmanager receiver per Alertmanager, polling at
// the fastest interval allowed.
std::string omswatch_toml(const std::string& db, const std::string& oms_url, const std::string& am1,
                          const std::string& am2) {
  return "[daemon]\ndatabase = \"" + db +
         "\"\nlisten = \"\"\nlog_level = \"info\"\n"
         "[[oms]]\nname = \"sim\"\nurl = \"" +
         oms_url +
         "\"\nusername = \"watcher\"\npassword = \"pw\"\ninterval = \"100ms\"\n"
         "projects = [\"" +
         kProject +
         "\"]\n"
         "[routes.MEDIUM]\nreceivers = [\"am1\", \"am2\"]\ngroup_wait = \"0s\"\n"
         "[[receivers]]\nname = \"am1\"\ntype = \"alertmanager\"\nurl = \"" +
         am1 +
         "\"\n"
         "[[receivers]]\nname = \"am2\"\ntype = \"alertmanager\"\nurl = \"" +
         am2 + "\"\n";
}

bool is_project_failure(const json::value& alert) {
  const auto& labels = alert.at("labels").as_object();
  const auto* name = labels.if_contains("alertname");
  const auto* project = labels.if_contains("project_id");
  return name && project && name->is_string() && name->as_string() == "project_failed" &&
         project->is_string() && project->as_string() == kProject;
}

// Webhook messages of Alertmanager with that status about the project's failure.
std::size_t notifications(const std::vector<Received>& got, std::string_view status) {
  std::size_t n = 0;
  for (const auto& r : got) {
    const auto* s = r.payload.if_contains("status");
    const auto* alerts = r.payload.if_contains("alerts");
    if (!s || !s->is_string() || s->as_string() != status || !alerts || !alerts->is_array()) {
      continue;
    }
    for (const auto& a : alerts->as_array()) {
      if (is_project_failure(a)) {
        ++n;
        break;
      }
    }
  }
  return n;
}

// Lines of `log` that contain each of `parts`.
std::size_t lines_with(const std::string& log, std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    bool all = true;
    for (auto p : parts) all = all && line.find(p) != std::string::npos;
    n += all;
  }
  return n;
}

// Waits until the Alertmanager's log has `n` lines that contain each of `parts`.
bool wait_for_lines(const RealAlertmanager& am, std::initializer_list<std::string_view> parts,
                    std::size_t n) {
  return testing::wait_for_file(
      am.log_path(), [&](const std::string& log) { return lines_with(log, parts) >= n; }, 30s);
}

constexpr std::string_view kFlush = "msg=flushing";

// Waits for one more flush of the group than now.
bool wait_for_next_flush(const RealAlertmanager& am) {
  return wait_for_lines(am, {kFlush}, lines_with(am.log(), {kFlush}) + 1);
}

// The fingerprints (of the label set) of the project's failure that the
// Alertmanager received, from its `alert=project_failed[FINGERPRINT][state]`.
std::set<std::string> received_fingerprints(const std::string& log) {
  static const std::regex kReceived("msg=\"Received alert\" alert=project_failed\\[([0-9a-f]+)\\]");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kReceived);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

TEST(HighAvailability, TwoInstancesAndAnAlertmanagerClusterNotifyOncePerChange) {
  if (!std::filesystem::exists(testing::kAlertmanager)) {
    GTEST_SKIP() << testing::kAlertmanager << " is not installed";
  }
  IoThread io;
  WebhookReceiver hook(io);
  SimOms oms(io, {kProject});
  testing::AlertmanagerOptions options;
  options.config = alertmanager_yml(hook.url());
  options.peer_timeout = 1s;
  options.debug_log = true;
  auto cluster = testing::alertmanager_cluster(2, options);
  boost::asio::io_context ioc;
  net::HttpClient http(ioc.get_executor());
  for (auto& am : cluster) {
    ASSERT_TRUE(testing::run_coro<bool>(
        ioc, [&] { return am->wait_ready(http); }, 30s))
        << am->log();
    ASSERT_TRUE(testing::run_coro<bool>(
        ioc, [&] { return am->wait_clustered(http, 2); }, 30s))
        << am->log();
  }
  // The first peer notifies at once; the second waits the peer timeout and
  // then sees in the notification log what the first sent.
  std::vector<RealAlertmanager*> by_position(2, nullptr);
  for (auto& am : cluster) {
    auto position = testing::run_coro<std::optional<double>>(
        ioc, [&] { return am->metric(http, "alertmanager_peer_position"); });
    ASSERT_TRUE(position && (*position == 0 || *position == 1)) << am->log();
    by_position[static_cast<std::size_t>(*position)] = am.get();
  }
  ASSERT_TRUE(by_position[0] && by_position[1]) << "both peers claim the same position";
  RealAlertmanager& first = *by_position[0];
  RealAlertmanager& second = *by_position[1];

  TempDir dir_a, dir_b;
  const auto toml = [&](const TempDir& dir) {
    return omswatch_toml(dir.file("omswatch.db"), oms.url(), cluster[0]->base_url(),
                         cluster[1]->base_url());
  };
  Daemon a(dir_a, toml(dir_a));
  Daemon b(dir_b, toml(dir_b));
  for (const TempDir* dir : {&dir_a, &dir_b}) {
    ASSERT_TRUE(testing::wait_for_text(dir->file("daemon.log"), "watching 1 project(s) on OMS sim"))
        << testing::read_file(dir->file("daemon.log"));
  }
  ASSERT_TRUE(oms.wait_polls(4));

  // The failure: both instances send it to both Alertmanagers.
  oms.set_status(kProject, "FAILED");
  for (auto& am : cluster) {
    ASSERT_TRUE(
        wait_for_lines(*am, {"msg=\"Received alert\"", "alert=project_failed[", "][active]"}, 2))
        << am->log() << a.log() << b.log();
  }
  ASSERT_TRUE(hook.wait_until([](const auto& got) { return notifications(got, "firing") >= 1; }))
      << first.log() << second.log();
  // Every flush under way has finished, and one more after it.
  for (auto& am : cluster) {
    const std::size_t flushes = lines_with(am->log(), {kFlush});
    ASSERT_TRUE(wait_for_lines(*am, {kFlush}, flushes + 2)) << am->log();
  }
  const std::size_t firing_before_kill = notifications(hook.requests(), "firing");

  // One instance dies; the other carries on.
  a.process().signal(SIGKILL);
  ASSERT_EQ(a.process().wait(), 128 + SIGKILL);
  ASSERT_TRUE(oms.wait_polls(5)) << b.log();

  // The recovery is made right after a flush of the second peer and the
  // next of the first, so that it reaches both in the same round of flushes:
  // had it come between the second peer's flush and the first's, the second
  // would compare the state it took before the recovery with the first's
  // resolution, and notify the failure again (Alertmanager's own race, which
  // a group_interval above the peer timeout makes rare, not impossible).
  ASSERT_TRUE(wait_for_next_flush(second)) << second.log();
  ASSERT_TRUE(wait_for_next_flush(first)) << first.log();
  oms.set_status(kProject, "RUNNING");
  for (auto& am : cluster) {
    ASSERT_TRUE(
        wait_for_lines(*am, {"msg=\"Received alert\"", "alert=project_failed[", "][resolved]"}, 1))
        << am->log() << b.log();
  }
  ASSERT_TRUE(hook.wait_until([](const auto& got) { return notifications(got, "resolved") >= 1; }))
      << first.log() << second.log();
  // Both peers have started the flush that carries the resolution. An alert
  // of the same group sent now goes into the flush after it, whose start
  // tells that the one with the resolution is over.
  for (auto& am : cluster) {
    ASSERT_TRUE(wait_for_lines(*am, {kFlush, "project_failed[", "][resolved]"}, 1)) << am->log();
  }
  const auto now = std::chrono::system_clock::now();
  json::array marker{json::object{
      {"labels", {{"alertname", "flush_marker"}, {"oms", "sim"}}},
      {"startsAt", format_rfc3339(now)},
      {"endsAt", format_rfc3339(now + 5min)},
  }};
  for (auto& am : cluster) {
    ASSERT_TRUE(testing::run_coro<bool>(ioc, [&] { return am->post_alerts(http, marker); }));
  }
  for (auto& am : cluster) {
    ASSERT_TRUE(wait_for_lines(*am, {kFlush, "flush_marker["}, 1)) << am->log();
  }

  const auto got = hook.requests();
  const std::size_t firing = notifications(got, "firing");
  const std::size_t resolved = notifications(got, "resolved");
  std::set<std::string> fingerprints = received_fingerprints(cluster[0]->log());
  fingerprints.merge(received_fingerprints(cluster[1]->log()));
  std::cout << "[ HA       ] notifications behind the Alertmanager cluster for the failure of "
            << kProject << ": firing " << firing << ", resolved " << resolved
            << "; alerts received by the peers: "
            << lines_with(cluster[0]->log(), {"msg=\"Received alert\"", "project_failed["})
            << " and "
            << lines_with(cluster[1]->log(), {"msg=\"Received alert\"", "project_failed["})
            << ", label sets " << fingerprints.size() << std::endl;
  RecordProperty("firing_notifications", static_cast<int>(firing));
  RecordProperty("resolved_notifications", static_cast<int>(resolved));

  // Both instances sent the same label set: one alert for Alertmanager.
  EXPECT_EQ(fingerprints.size(), 1u) << first.log() << second.log();
  EXPECT_EQ(firing_before_kill, 1u);
  EXPECT_EQ(firing, 1u) << first.log() << second.log();
  EXPECT_EQ(resolved, 1u) << first.log() << second.log();
  for (const auto& r : got) {
    for (const auto& alert : r.payload.at("alerts").as_array()) {
      if (!is_project_failure(alert)) continue;
      EXPECT_EQ(alert.at("status"), r.payload.at("status")) << json::serialize(r.payload);
    }
  }
  EXPECT_EQ(b.stop(), 0) << b.log();
}

}  // namespace
}  // namespace omswatch
