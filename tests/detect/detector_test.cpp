#include "daemon/detect/detector.h"
#include "daemon/detect/state_json.h"

#include <gtest/gtest.h>

#include "tests/detect/detect_feed.h"

#include <boost/json.hpp>

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;
using Outcome = Observation::Outcome;

const TimePoint kStart = TimePoint(std::chrono::seconds(1'700'000'000));

// `checkpoint_offset`: seconds after kStart, so lag stays realistic.
oms::ProjectProgress running(std::int64_t checkpoint_offset, std::string step = "INCR_SYNC") {
  const std::int64_t checkpoint = 1'700'000'000 + checkpoint_offset;
  oms::ProjectProgress p;
  p.project_id = "np_1";
  p.status = "RUNNING";
  p.alarm_level = "MEDIUM";
  p.current_step = std::move(step);
  p.enable_incr_sync = true;
  p.enable_struct_transfer = true;
  p.enable_full_transfer = true;
  p.struct_transfer_progress = 100;
  p.full_transfer_progress = 100;
  p.incr_sync_checkpoint = {std::to_string(checkpoint), checkpoint};
  return p;
}

Observation ok(oms::ProjectProgress p, std::optional<TimePoint> server_time = std::nullopt) {
  Observation o;
  o.outcome = Outcome::ok;
  o.progress = std::move(p);
  o.server_time = server_time;
  return o;
}

Observation failed() {
  Observation o;
  o.outcome = Outcome::failed;
  o.error = "timed out after 10s";
  return o;
}

Observation unavailable() {
  Observation o;
  o.outcome = Outcome::unavailable;
  o.error = "GHANA-PROJECT000404: project not found";
  return o;
}

using test::Feed;
using test::kinds;

TEST(Detector, FirstSightIsTheBaselineForNotices) {
  Feed r;
  auto p = running(1000);
  p.status = "SUSPEND";
  EXPECT_EQ(kinds(r.step(ok(p), kStart)), std::vector<std::string>{"project_suspended:firing"});
}

TEST(Detector, StatusChangeIsANoticeWithFromAndTo) {
  Feed r;
  r.step(ok(running(1000, "FULL_TRANSFER")), kStart);
  auto p = running(1000, "FULL_TRANSFER");
  p.status = "FINISHED";
  auto f = r.step(ok(p), kStart + 30s);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"status_changed:notice"});
  EXPECT_EQ(f[0].severity, Severity::info);
  EXPECT_EQ(f[0].details.at("from").as_string(), "RUNNING");
  EXPECT_EQ(f[0].details.at("to").as_string(), "FINISHED");
}

TEST(Detector, ProjectFailedFiresOnceWithTheFailingStepAndResolvesOnce) {
  Feed r;
  r.thresholds.repeat = 1h;
  r.step(ok(running(1000)), kStart);
  auto p = running(1000, "INCR_TRANSFER");
  p.status = "FAILED";
  Observation o = ok(p);
  oms::ProjectStep step;
  step.name = "INCR_TRANSFER";
  step.status = "FAILED";
  step.error = {"ORA-01555", "snapshot too old"};
  o.failed_step = step;
  auto f = r.step(o, kStart + 30s);
  ASSERT_EQ(kinds(f), (std::vector<std::string>{"status_changed:notice", "step_changed:notice",
                                                "project_failed:firing"}));
  EXPECT_EQ(f[2].severity, Severity::critical);
  EXPECT_EQ(f[2].summary, "np_1 FAILED in INCR_TRANSFER: ORA-01555 snapshot too old");
  EXPECT_EQ(f[2].details.at("error_code").as_string(), "ORA-01555");

  // Still FAILED: no new firing before `repeat`, then one repeat.
  EXPECT_TRUE(r.step(ok(p), kStart + 60s).empty());
  EXPECT_TRUE(r.step(ok(p), kStart + 30min).empty());
  auto again = r.step(ok(p), kStart + 30s + 1h);
  ASSERT_EQ(kinds(again), std::vector<std::string>{"project_failed:firing"});
  EXPECT_EQ(again[0].details.at("repeat").as_int64(), 1);

  auto back = running(2 * 3600 - 5, "INCR_TRANSFER");
  auto resolved = r.step(ok(back), kStart + 2h);
  EXPECT_EQ(kinds(resolved),
            (std::vector<std::string>{"status_changed:notice", "project_failed:resolved"}));
  EXPECT_EQ(resolved[1].details.at("duration_s").as_int64(), 2 * 3600 - 30);
}

TEST(Detector, FailedAlertGoesOutWithoutTheStepWhenStepsAreUnknown) {
  Feed r;
  auto p = running(1000, "FULL_TRANSFER");
  p.status = "FAILED";
  auto f = r.step(ok(p), kStart);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"project_failed:firing"});
  EXPECT_EQ(f[0].summary, "np_1 FAILED in FULL_TRANSFER");
}

TEST(Detector, FailedPollsAreNoEvidence) {
  Feed r;
  r.thresholds.stall_after = 5min;
  r.step(ok(running(1000)), kStart);
  for (int i = 1; i <= 20; ++i) EXPECT_TRUE(r.step(failed(), kStart + i * 1min).empty());
  // The project advanced during the outage: no stall.
  EXPECT_TRUE(r.step(ok(running(2200)), kStart + 21min).empty());
}

TEST(Detector, StallFiresAfterStallAfterAndResolvesWhenTheCheckpointMoves) {
  Feed r;
  r.thresholds.stall_after = 5min;
  r.thresholds.max_lag = 1h;
  r.step(ok(running(1000), kStart), kStart);
  EXPECT_TRUE(r.step(ok(running(1000)), kStart + 4min).empty());
  auto f = r.step(ok(running(1000)), kStart + 5min);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"incr_stalled:firing"});
  auto g = r.step(ok(running(1400)), kStart + 7min);
  EXPECT_EQ(kinds(g), std::vector<std::string>{"incr_stalled:resolved"});
}

TEST(Detector, FrozenCheckpointDuringFullTransferIsNotArmed) {
  Feed r;
  r.thresholds.stall_after = 1min;
  auto p = running(1000, "FULL_TRANSFER");
  p.full_transfer_progress = 40;
  r.step(ok(p), kStart);
  EXPECT_TRUE(r.step(ok(p), kStart + 30min).empty());
}

TEST(Detector, LagUsesOmsTimeAndHasHysteresis) {
  Feed r;
  r.thresholds.max_lag = 10min;
  r.thresholds.stall_after = 24h;
  const std::int64_t base = 1'700'000'000;
  // Local clock far ahead: OMS's Date header decides the lag.
  auto at = [&](int minute, std::int64_t lag_s) {
    auto server = TimePoint(std::chrono::seconds(base + minute * 60));
    return r.step(ok(running(minute * 60 - lag_s), server), kStart + 3h + minute * 1min);
  };
  EXPECT_TRUE(at(0, 60).empty());
  EXPECT_EQ(kinds(at(1, 11 * 60)), std::vector<std::string>{"incr_lagging:firing"});
  EXPECT_TRUE(at(2, 9 * 60).empty());   // under max_lag but not under 80%: still lagging
  EXPECT_TRUE(at(3, 11 * 60).empty());  // no second firing
  EXPECT_EQ(kinds(at(4, 7 * 60)), std::vector<std::string>{"incr_lagging:resolved"});
}

TEST(Detector, StringCheckpointIsComparedForChangeOnly) {
  Feed r;
  r.thresholds.stall_after = 5min;
  auto p = running(0);
  p.incr_sync_checkpoint = {"12,4096", std::nullopt};
  r.step(ok(p), kStart);
  p.incr_sync_checkpoint = {"12,8192", std::nullopt};
  EXPECT_TRUE(r.step(ok(p), kStart + 1min).empty());
  EXPECT_EQ(kinds(r.step(ok(p), kStart + 6min)), std::vector<std::string>{"incr_stalled:firing"});
}

TEST(Detector, SuspendIsNoStall) {
  Feed r;
  r.thresholds.stall_after = 1min;
  r.step(ok(running(1000)), kStart);
  auto p = running(1000);
  p.status = "SUSPEND";
  auto f = r.step(ok(p), kStart + 10min);
  EXPECT_EQ(kinds(f),
            (std::vector<std::string>{"status_changed:notice", "project_suspended:firing"}));
}

TEST(Detector, UnavailableAfterNConsecutiveFailures) {
  Feed r;
  r.thresholds.unavailable_after = 3;
  r.step(ok(running(1000)), kStart);
  EXPECT_TRUE(r.step(unavailable(), kStart + 1min).empty());
  EXPECT_TRUE(r.step(unavailable(), kStart + 2min).empty());
  EXPECT_EQ(kinds(r.step(unavailable(), kStart + 3min)),
            std::vector<std::string>{"project_unavailable:firing"});
  EXPECT_EQ(kinds(r.step(ok(running(1100)), kStart + 4min)),
            std::vector<std::string>{"project_unavailable:resolved"});
}

TEST(Detector, TransferDoneNoticesWhenProgressReaches100) {
  Feed r;
  auto p = running(0, "FULL_TRANSFER");
  p.struct_transfer_progress = 90;
  p.full_transfer_progress = 50;
  r.step(ok(p), kStart);
  p.struct_transfer_progress = 100;
  EXPECT_EQ(kinds(r.step(ok(p), kStart + 10s)),
            std::vector<std::string>{"struct_transfer_done:notice"});
  p.full_transfer_progress = 100;
  EXPECT_EQ(kinds(r.step(ok(p), kStart + 20s)),
            std::vector<std::string>{"full_transfer_done:notice"});
  EXPECT_TRUE(r.step(ok(p), kStart + 30s).empty());
}

TEST(Detector, StateRoundTripsThroughJson) {
  Feed r;
  auto p = running(1000);
  p.status = "FAILED";
  r.step(ok(p), kStart);
  auto text = to_json(r.state);
  auto back = project_state_from_json(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(to_json(*back), text);
  // A restart with the saved state does not fire again.
  auto d = detect(*back, "np_1", ok(p), kStart + 1min, r.thresholds);
  EXPECT_TRUE(d.findings.empty());
  EXPECT_FALSE(project_state_from_json("[1,2]"));
  EXPECT_FALSE(project_state_from_json("{"));
}

TEST(Detector, OmsUnreachableIsOneAlertPerOutage) {
  DetectThresholds t;
  t.unreachable_after = 3;
  OmsState s;
  std::vector<Finding> all;
  // Two projects: six failed polls in a row make the OMS unreachable.
  for (int i = 0; i < 12; ++i) {
    auto d = detect_oms(s, "prod", false, "connection refused", 2, kStart + i * 15s, t);
    s = d.state;
    if (i < 5) {
      EXPECT_TRUE(d.findings.empty()) << i;
    }
    all.insert(all.end(), d.findings.begin(), d.findings.end());
  }
  auto d = detect_oms(s, "prod", true, "", 2, kStart + 5min, t);
  all.insert(all.end(), d.findings.begin(), d.findings.end());
  EXPECT_EQ(kinds(all), (std::vector<std::string>{"oms_unreachable:firing",
                                                  "oms_unreachable:resolved"}));
  auto back = oms_state_from_json(to_json(s));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->unreachable.has_value());
}

}  // namespace
}  // namespace omswatch::daemon

namespace omswatch::daemon {
namespace {

TEST(DetectorSummary, ErrorCodeIsNotRepeatedWhenTheMessageStartsWithIt) {
  Feed r;
  auto p = running(0, "INCR_SYNC");
  p.status = "FAILED";
  Observation o = ok(p);
  oms::ProjectStep step;
  step.name = "INCR_SYNC";
  step.error = {"ORA-01555", "ORA-01555: snapshot too old"};
  o.failed_step = step;
  auto f = r.step(o, kStart);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].summary, "np_1 FAILED in INCR_SYNC: ORA-01555: snapshot too old");
}

TEST(DetectorSummary, EmptyStepsReadAsNone) {
  Feed r;
  auto p = running(0, "");
  r.step(ok(p), kStart);
  p.current_step = "STRUCT_TRANSFER";
  auto f = r.step(ok(p), kStart + 1s);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].summary, "np_1 step (none) -> STRUCT_TRANSFER");
}

}  // namespace
}  // namespace omswatch::daemon

namespace omswatch::daemon {
namespace {

TEST(DetectorCatalogue, AlarmLevelChangeIsANotice) {
  Feed r;
  r.step(ok(running(0)), kStart);
  auto p = running(10);
  p.alarm_level = "HIGH";
  auto f = r.step(ok(p), kStart + 10s);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"alarm_level_changed:notice"});
  EXPECT_EQ(f[0].details.at("from").as_string(), "MEDIUM");
  EXPECT_EQ(f[0].details.at("to").as_string(), "HIGH");
  EXPECT_EQ(r.state.alarm_level, "HIGH");
}

TEST(DetectorCatalogue, ReverseStallNeedsReverseSyncEnabled) {
  Feed r;
  r.thresholds.stall_after = 2min;
  auto p = running(0, "REVERSE_INCR_TRANSFER");
  p.enable_reverse_incr_transfer = true;
  p.reverse_incr_transfer_checkpoint = {"1700000000", 1'700'000'000};
  r.step(ok(p), kStart);
  p.incr_sync_checkpoint = {"1700000100", 1'700'000'100};
  r.step(ok(p), kStart + 1min);
  p.incr_sync_checkpoint = {"1700000170", 1'700'000'170};
  auto f = r.step(ok(p), kStart + 2min);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"reverse_incr_stalled:firing"});
  EXPECT_EQ(f[0].severity, Severity::warning);

  Feed off;
  off.thresholds.stall_after = 2min;
  p.enable_reverse_incr_transfer = false;
  off.step(ok(p), kStart);
  off.step(ok(p), kStart + 10min);
  for (const auto& k : kinds(off.all)) EXPECT_NE(k, "reverse_incr_stalled:firing");
}

TEST(DetectorCatalogue, StallRepeatsEveryRepeatWhileItHolds) {
  Feed r;
  r.thresholds.stall_after = 1min;
  r.thresholds.max_lag = 24h;
  r.thresholds.repeat = 15min;
  r.step(ok(running(0)), kStart);
  EXPECT_EQ(kinds(r.step(ok(running(0)), kStart + 1min)),
            std::vector<std::string>{"incr_stalled:firing"});
  EXPECT_TRUE(r.step(ok(running(0)), kStart + 15min).empty());
  auto again = r.step(ok(running(0)), kStart + 16min);
  ASSERT_EQ(kinds(again), std::vector<std::string>{"incr_stalled:firing"});
  EXPECT_EQ(again[0].details.at("repeat").as_int64(), 1);
  EXPECT_EQ(again[0].details.at("firing_for_s").as_int64(), 15 * 60);
}

TEST(DetectorCatalogue, HealthyProjectThroughAFiveIntervalOutage) {
  Feed r;
  r.thresholds.stall_after = 2min;  // shorter than the outage
  const auto interval = 30s;
  r.step(ok(running(0)), kStart);
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(r.step(failed(), kStart + i * interval).empty());
  EXPECT_TRUE(r.step(ok(running(180)), kStart + 6 * interval).empty());
  EXPECT_TRUE(r.all.empty());
}

TEST(DetectorCatalogue, ConditionThatClearedWhileDownResolvesAtTheFirstPoll) {
  Feed r;
  auto p = running(0);
  p.status = "SUSPEND";
  r.step(ok(p), kStart);
  auto saved = to_json(r.state);
  // ... the daemon is down while the project is resumed ...
  auto loaded = project_state_from_json(saved);
  ASSERT_TRUE(loaded);
  auto d = detect(*loaded, "np_1", ok(running(3600)), kStart + 1h, r.thresholds);
  EXPECT_EQ(kinds(d.findings),
            (std::vector<std::string>{"status_changed:notice", "project_suspended:resolved"}));
}

}  // namespace
}  // namespace omswatch::daemon
