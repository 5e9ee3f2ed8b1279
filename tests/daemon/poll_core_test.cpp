// The pure code of one poll: the observation of a reply, the sample it
// stores, the route its OMS-level events follow, its events and the lines
// its failures get.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "common/time.h"
#include "config/config.h"
#include "daemon/event_record.h"
#include "daemon/observation.h"
#include "daemon/poll_log.h"
#include "daemon/route_level.h"
#include "daemon/sample.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'700'000'000));

oms::CallResult<oms::ProjectProgress> reply_with(oms::ProjectProgress progress) {
  oms::CallResult<oms::ProjectProgress> call;
  call.reply.success = true;
  call.reply.data = std::move(progress);
  return call;
}

TEST(ObservationFromReply, ATransportErrorIsAFailure) {
  oms::CallResult<oms::ProjectProgress> call;
  call.transport_error = "timed out after 10s";
  call.server_date = kNow;
  Observation obs = observation_from_reply(call, "np_1");
  EXPECT_EQ(obs.outcome, Observation::Outcome::failed);
  EXPECT_EQ(obs.error, "timed out after 10s");
  EXPECT_EQ(obs.server_time, kNow);
}

TEST(ObservationFromReply, SuccessFalseIsUnavailableWithItsCodeAndMessage) {
  oms::CallResult<oms::ProjectProgress> call;
  call.reply.success = false;
  call.reply.error = {"GHANA-PROJECT-NOT-FOUND", "no such project", ""};
  Observation obs = observation_from_reply(call, "np_1");
  EXPECT_EQ(obs.outcome, Observation::Outcome::unavailable);
  EXPECT_EQ(obs.error, "GHANA-PROJECT-NOT-FOUND: no such project");
}

TEST(ObservationFromReply, AnApiErrorIsDescribedByWhatItCarries) {
  EXPECT_EQ(describe_api_error({"CODE", "", ""}), "CODE");
  EXPECT_EQ(describe_api_error({"", "only a message", ""}), "only a message");
  EXPECT_EQ(describe_api_error({}), "success:false without a code");
}

TEST(ObservationFromReply, SuccessWithoutDataIsAFailure) {
  oms::CallResult<oms::ProjectProgress> call;
  call.reply.success = true;
  Observation obs = observation_from_reply(call, "np_1");
  EXPECT_EQ(obs.outcome, Observation::Outcome::failed);
  EXPECT_EQ(obs.error, "reply has success:true but no data");
}

TEST(ObservationFromReply, AReplyWithDataIsOkAndNamesItsProject) {
  oms::ProjectProgress progress;
  progress.status = "RUNNING";
  Observation obs = observation_from_reply(reply_with(progress), "np_1");
  EXPECT_EQ(obs.outcome, Observation::Outcome::ok);
  EXPECT_EQ(obs.progress.status, "RUNNING");
  EXPECT_EQ(obs.progress.project_id, "np_1");
  EXPECT_TRUE(obs.error.empty());
  EXPECT_FALSE(obs.failed_step);

  progress.project_id = "np_as_sent";
  EXPECT_EQ(observation_from_reply(reply_with(progress), "np_1").progress.project_id,
            "np_as_sent");
}

TEST(MakeSample, AnOkPollCarriesItsProgressAndLagsOnOmsTime) {
  Observation obs;
  obs.outcome = Observation::Outcome::ok;
  obs.progress.status = "RUNNING";
  obs.progress.alarm_level = "HIGH";
  obs.progress.current_step = "INCR_SYNC";
  obs.progress.struct_transfer_progress = 100;
  obs.progress.full_transfer_progress = 40;
  obs.progress.incr_sync_checkpoint = {"1699999900", 1'699'999'900};
  obs.progress.reverse_incr_transfer_checkpoint = {"12,4096", std::nullopt};
  obs.server_time = kNow + 30s;  // OMS's clock runs 30 s ahead
  storage::Sample s = make_sample("prod", "np_1", obs, kNow, 1500us);
  EXPECT_EQ(s.oms, "prod");
  EXPECT_EQ(s.project_id, "np_1");
  EXPECT_EQ(s.observed_at, 1'700'000'000'000);
  EXPECT_EQ(s.outcome, "ok");
  EXPECT_EQ(s.status, "RUNNING");
  EXPECT_EQ(s.alarm_level, "HIGH");
  EXPECT_EQ(s.current_step, "INCR_SYNC");
  EXPECT_EQ(s.struct_progress, 100);
  EXPECT_EQ(s.full_progress, 40);
  EXPECT_EQ(s.incr_checkpoint, "1699999900");
  EXPECT_EQ(s.reverse_checkpoint, "12,4096");
  EXPECT_EQ(s.incr_lag_s, 130);
  EXPECT_FALSE(s.reverse_lag_s);
  EXPECT_EQ(s.latency_us, 1500);
  EXPECT_TRUE(s.error.empty());

  obs.server_time.reset();  // no Date header: the watcher's clock
  EXPECT_EQ(make_sample("prod", "np_1", obs, kNow, 0us).incr_lag_s, 100);
}

TEST(MakeSample, AFailedOrUnavailablePollCarriesItsError) {
  Observation obs;
  obs.outcome = Observation::Outcome::failed;
  obs.error = "connection refused";
  storage::Sample s = make_sample("prod", "np_1", obs, kNow, 20us);
  EXPECT_EQ(s.outcome, "error");
  EXPECT_EQ(s.error, "connection refused");
  EXPECT_TRUE(s.status.empty());
  EXPECT_FALSE(s.incr_lag_s);

  obs.outcome = Observation::Outcome::unavailable;
  obs.error = "CODE: gone";
  s = make_sample("prod", "np_1", obs, kNow, 20us);
  EXPECT_EQ(s.outcome, "unavailable");
  EXPECT_EQ(s.error, "CODE: gone");
}

TEST(OmsRouteLevel, TheHighestLevelOfItsProjectsWithUnsetAsMedium) {
  EXPECT_EQ(level_or_medium(""), "MEDIUM");
  EXPECT_EQ(level_or_medium("LOW"), "LOW");
  EXPECT_EQ(oms_route_level({}), "MEDIUM");
  EXPECT_EQ(oms_route_level({"LOW", "HIGH", ""}), "HIGH");
  EXPECT_EQ(oms_route_level({"LOW", ""}), "MEDIUM");
  EXPECT_EQ(oms_route_level({"LOW", "IGNORE"}), "LOW");
  EXPECT_EQ(oms_route_level({"IGNORE"}), "IGNORE");
}

config::Config routed_config() {
  config::Config c;
  for (auto level : config::kAlarmLevels) c.routes[std::string(level)] = config::Route{};
  config::Receiver ops;
  ops.name = "ops";
  config::Receiver oncall;
  oncall.name = "oncall";
  c.receivers = {ops, oncall};
  config::Route high;
  high.receivers = {"oncall", "ops"};
  high.group_wait = 30s;
  high.repeat = 1h;
  high.overrides.unreachable_after = 5;
  c.routes["HIGH"] = high;
  config::Route low;
  low.receivers = {"ops"};
  low.min_severity = Severity::critical;
  low.group_wait = 0s;
  c.routes["LOW"] = low;
  return c;
}

TEST(OmsRouteLevel, ThresholdsFollowTheLevelsRoute) {
  const config::Config c = routed_config();
  DetectThresholds high = thresholds_for(c, "HIGH");
  EXPECT_EQ(high.unreachable_after, 5);
  EXPECT_EQ(high.repeat, 1h);
  DetectThresholds low = thresholds_for(c, "LOW");
  EXPECT_EQ(low.unreachable_after, c.detect.unreachable_after);
}

TEST(OmsRouteLevel, MigrationThresholdsComeFromDetect) {
  config::Config c = routed_config();
  c.detect.steps_every = 2min;
  c.detect.slow_share = 0.25;
  c.detect.slow_for = 20min;
  c.detect.slow_grace = 1min;
  c.detect.max_eta = 12h;
  c.detect.behind_horizon = 1h;
  c.detect.cutover_max_lag = 5s;
  c.detect.cutover_for = 15min;
  c.detect.creating_grace = 20min;
  c.detect.failed_grace = 3min;
  for (const char* level : {"HIGH", "LOW", ""}) {
    SCOPED_TRACE(level);
    DetectThresholds t = thresholds_for(c, level);
    EXPECT_EQ(t.steps_every, 2min);
    EXPECT_EQ(t.slow_share, 0.25);
    EXPECT_EQ(t.slow_for, 20min);
    EXPECT_EQ(t.slow_grace, 1min);
    EXPECT_EQ(t.max_eta, 12h);
    EXPECT_EQ(t.behind_horizon, 1h);
    EXPECT_EQ(t.cutover_max_lag, 5s);
    EXPECT_EQ(t.cutover_for, 15min);
    EXPECT_EQ(t.creating_grace, 20min);
    EXPECT_EQ(t.failed_grace, 3min);
  }
}

TEST(EventRecord, AnIdIsEvtAnd32HexDigits) {
  EXPECT_EQ(format_event_id(0, 0), "evt_00000000000000000000000000000000");
  EXPECT_EQ(format_event_id(0x1, 0xabc), "evt_1000000000000000cba0000000000000");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = new_event_id();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id.rfind("evt_", 0), 0u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 4), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(EventRecord, AnEventGoesToItsRoutesReceiversAfterGroupWait) {
  const config::Config c = routed_config();
  storage::ObservationWrite write;
  write.now = 1'700'000'000'000;
  Finding f{"project_failed", "firing", Severity::critical, "np_1 FAILED", {{"step", "FULL"}}};
  add_event(write, c, {"prod", "np_1", "orders", "HIGH", R"({"status":"FAILED"})"}, f, "evt_1");
  ASSERT_EQ(write.events.size(), 1u);
  const auto& e = write.events[0];
  EXPECT_EQ((std::vector<std::string>{e.id, e.oms, e.project_id, e.project_name, e.kind, e.state,
                                      e.severity, e.alarm_level, e.summary}),
            (std::vector<std::string>{"evt_1", "prod", "np_1", "orders", "project_failed",
                                      "firing", "critical", "HIGH", "np_1 FAILED"}));
  EXPECT_EQ(boost::json::parse(e.details_json), boost::json::parse(R"({"step":"FULL"})"));
  EXPECT_EQ(e.progress_json, R"({"status":"FAILED"})");
  EXPECT_EQ(e.observed_at, write.now);
  ASSERT_EQ(write.deliveries.size(), 2u);
  std::set<std::string> receivers;
  for (const auto& d : write.deliveries) {
    receivers.insert(d.receiver);
    EXPECT_EQ(d.event_id, "evt_1");
    EXPECT_EQ(d.due_at, write.now + 30'000);
  }
  EXPECT_EQ(receivers, (std::set<std::string>{"oncall", "ops"}));
}

TEST(EventRecord, AnEventBelowItsRoutesSeverityIsStoredButNotDelivered) {
  const config::Config c = routed_config();
  storage::ObservationWrite write;
  write.now = 5;
  add_event(write, c, {"prod", "", "", "LOW", "{}"},
            Finding{"oms_unreachable", "firing", Severity::warning, "prod unreachable", {}},
            "evt_2");
  ASSERT_EQ(write.events.size(), 1u);
  EXPECT_EQ(write.events[0].project_id, "");
  EXPECT_TRUE(write.deliveries.empty());
}

using Clock = PollFailureLog::Clock;
const Clock::time_point kT0 = Clock::time_point(std::chrono::hours(1));

TEST(PollFailureLog, TheFirstThreeProjectsGetALineTheRestOne) {
  PollFailureLog log;
  std::vector<PollFailureLog::Line> lines;
  for (int i = 0; i < 6; ++i) lines.push_back(log.failed(false, kT0 + i * 1ms).line);
  using L = PollFailureLog::Line;
  EXPECT_EQ(lines, (std::vector<L>{L::own_warning, L::own_warning, L::own_warning,
                                   L::more_failing, L::debug, L::debug}));
  EXPECT_EQ(log.failing(), 6u);
  auto again = log.failed(true, kT0 + 1s);
  EXPECT_TRUE(again.again);
  EXPECT_EQ(again.line, L::debug);
  EXPECT_EQ(log.failing(), 6u);
  EXPECT_EQ(log.failures(), 7u);
}

TEST(PollFailureLog, ASummaryEveryFiveMinutesWhileAnyFails) {
  PollFailureLog log;
  EXPECT_FALSE(log.failed(false, kT0).summary);
  EXPECT_FALSE(log.failed(true, kT0 + 4min).summary);
  EXPECT_TRUE(log.failed(true, kT0 + 5min).summary);
  EXPECT_FALSE(log.failed(true, kT0 + 6min).summary);
  EXPECT_TRUE(log.failed(true, kT0 + 10min).summary);
  EXPECT_EQ(log.lasted(kT0 + 10min), 10min);
}

TEST(PollFailureLog, EveryProjectRecoversInOneLineAfterALargerRun) {
  PollFailureLog log;
  for (int i = 0; i < 4; ++i) log.failed(false, kT0);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(log.recovered(kT0 + 1min).every_project);
  auto last = log.recovered(kT0 + 2min);
  EXPECT_TRUE(last.every_project);
  EXPECT_EQ(last.failures, 4u);
  EXPECT_EQ(last.lasted, 2min);
  EXPECT_EQ(log.failing(), 0u);

  // A small run names its projects only: no line for every project, and the
  // next run starts with lines of its own again.
  log.failed(false, kT0 + 1h);
  EXPECT_FALSE(log.recovered(kT0 + 1h + 1s).every_project);
  EXPECT_EQ(log.failed(false, kT0 + 2h).line, PollFailureLog::Line::own_warning);
}

// --- migration progress: the step sample, the ETA in events, the outlook's writes

Eta eta_of(std::chrono::seconds low, std::chrono::seconds high) {
  Eta eta;
  eta.basis = Eta::Basis::records;
  eta.low = low;
  eta.high = high;
  eta.rate = 40000.5;
  eta.remaining = 600000;
  eta.at = kNow;
  return eta;
}

TEST(StepSample, APollThatReadATransferStepStoresItWithTheEtaThen) {
  Observation obs;
  obs.outcome = Observation::Outcome::ok;
  EXPECT_FALSE(make_step_sample(obs, kNow)) << "no step read: no step sample";
  oms::ProjectStep step;
  step.name = "FULL_TRANSFER";
  step.status = "RUNNING";
  step.progress = 40;
  step.transfer.processed_records = 400000;
  step.transfer.capacity = 1000000;
  step.transfer.src_rps = 41000;
  step.transfer.dst_rps = 40000;
  step.transfer.dst_rps_ref = 42000;
  obs.transfer_step = step;
  auto s = make_step_sample(obs, kNow);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->observed_at, to_unix_ms(kNow));
  EXPECT_EQ(s->step, "FULL_TRANSFER");
  EXPECT_EQ(s->processed, 400000);
  EXPECT_EQ(s->capacity, 1000000);
  EXPECT_EQ(s->dst_rps_ref, 42000);
  EXPECT_FALSE(s->eta_low_s);
  EXPECT_EQ(s->eta_basis, "");

  obs.outlook.eta = eta_of(15s, 18s);
  s = make_step_sample(obs, kNow);
  ASSERT_TRUE(s && s->eta_low_s && s->eta_high_s && s->rate);
  EXPECT_EQ(*s->eta_low_s, 15);
  EXPECT_EQ(*s->eta_high_s, 18);
  EXPECT_EQ(s->eta_basis, "records");
  EXPECT_DOUBLE_EQ(*s->rate, 40000.5);
}

TEST(StepSample, EveryEventRaisedDuringATransferCarriesItsEtaAndRate) {
  std::vector<Finding> findings(2);
  findings[0].details["status"] = "RUNNING";
  add_eta(findings, eta_of(90s, 120s));
  for (const auto& f : findings) {
    EXPECT_EQ(f.details.at("eta").at("low_s").as_int64(), 90);
    EXPECT_EQ(f.details.at("eta").at("high_s").as_int64(), 120);
    EXPECT_EQ(f.details.at("eta_basis").as_string(), "records");
    EXPECT_DOUBLE_EQ(f.details.at("rate").as_double(), 40000.5);
  }
  EXPECT_EQ(findings[0].details.at("status").as_string(), "RUNNING") << "details are kept";
}

TEST(OutlookWrites, AreDueWhenTheShapeChangesAtEachReadingAndOtherwiseEvery30Seconds) {
  Outlook none;
  Outlook with_eta;
  with_eta.eta = eta_of(60s, 70s);
  Outlook with_trend;
  with_trend.trend = Trend{};
  with_trend.trend->direction = Trend::Direction::catching_up;

  EXPECT_TRUE(outlook_write_due(std::nullopt, kNow, none, kNow, false)) << "never written";
  EXPECT_FALSE(outlook_write_due(none, kNow, none, kNow + 1h, false)) << "still nothing";
  EXPECT_TRUE(outlook_write_due(none, kNow, with_eta, kNow + 1s, false)) << "an ETA appears";
  EXPECT_TRUE(outlook_write_due(with_eta, kNow, none, kNow + 1s, false)) << "the ETA is gone";
  EXPECT_TRUE(outlook_write_due(with_eta, kNow, with_eta, kNow + 1s, true)) << "a new reading";
  EXPECT_FALSE(outlook_write_due(with_eta, kNow, with_eta, kNow + 29s, false));
  EXPECT_TRUE(outlook_write_due(with_eta, kNow, with_eta, kNow + 30s, false));

  Outlook turned = with_trend;
  turned.trend->direction = Trend::Direction::falling_behind;
  EXPECT_FALSE(outlook_write_due(with_trend, kNow, with_trend, kNow + 10s, false))
      << "a lag that moves within its trend waits";
  EXPECT_TRUE(outlook_write_due(with_trend, kNow, turned, kNow + 10s, false)) << "the trend turned";
  EXPECT_TRUE(outlook_write_due(with_trend, kNow, with_trend, kNow - 1s, false))
      << "a clock that went back";
}

}  // namespace
}  // namespace omswatch::daemon
