// The detector's rules about a migration's progress: a slow full transfer, a
// verification with differences, incremental sync heading past max_lag,
// readiness for cutover, and what OMS's creation and retry codes mean.

#include <gtest/gtest.h>

#include "tests/detect/detect_feed.h"

#include <boost/json.hpp>

#include "daemon/detect/detector.h"
#include "daemon/detect/state_json.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;
using Outcome = Observation::Outcome;

constexpr std::int64_t kBase = 1'700'000'000;
const TimePoint kStart = TimePoint(std::chrono::seconds(kBase));

// Incremental sync running at `minute` with `lag` behind OMS's clock (the
// reply's Date is the test's clock).
Observation incr(TimePoint now, std::chrono::seconds lag, std::string step = "INCR_TRANSFER") {
  const std::int64_t checkpoint =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() -
      lag.count();
  Observation o;
  o.outcome = Outcome::ok;
  auto& p = o.progress;
  p.project_id = "np_1";
  p.status = "RUNNING";
  p.alarm_level = "MEDIUM";
  p.current_step = std::move(step);
  p.enable_incr_sync = true;
  p.enable_full_transfer = true;
  p.full_transfer_progress = 100;
  p.incr_sync_checkpoint = {std::to_string(checkpoint), checkpoint};
  o.server_time = now;
  return o;
}

// A full transfer in progress: no incremental checkpoint yet.
Observation transferring() {
  Observation o;
  o.outcome = Outcome::ok;
  auto& p = o.progress;
  p.project_id = "np_1";
  p.status = "RUNNING";
  p.alarm_level = "MEDIUM";
  p.current_step = "FULL_TRANSFER";
  p.enable_incr_sync = true;
  p.enable_full_transfer = true;
  p.full_transfer_progress = 40;
  return o;
}

oms::ProjectStep transfer_step(std::optional<std::int64_t> dst_rps,
                               std::optional<std::int64_t> dst_rps_ref,
                               std::optional<std::int64_t> start_time = std::nullopt) {
  oms::ProjectStep step;
  step.name = "FULL_TRANSFER";
  step.status = "RUNNING";
  step.start_time = start_time;
  step.transfer.dst_rps = dst_rps;
  step.transfer.dst_rps_ref = dst_rps_ref;
  step.transfer.processed_records = 4'000'000;
  step.transfer.capacity = 10'000'000;
  return step;
}

Observation with_step(Observation o, oms::ProjectStep step) {
  o.transfer_step = std::move(step);
  return o;
}

Eta eta_of(Duration low, Duration high, TimePoint at) {
  Eta e;
  e.basis = Eta::Basis::records;
  e.low = low;
  e.high = high;
  e.rate = 1000;
  e.remaining = 6'000'000;
  e.at = at;
  return e;
}

oms::VerifyTable table(std::string name, std::int64_t source_only, std::int64_t dest_only,
                       std::int64_t mismatched) {
  oms::VerifyTable t;
  t.source_schema = "shop";
  t.source_table = std::move(name);
  t.dest_schema = "shop";
  t.dest_table = t.source_table;
  t.source_only = source_only;
  t.dest_only = dest_only;
  t.mismatched = mismatched;
  return t;
}

oms::VerifyResult verified(std::vector<oms::VerifyTable> tables) {
  oms::VerifyResult r;
  std::int64_t sum = 0;
  for (const auto& t : tables) sum += t.source_only + t.dest_only + t.mismatched;
  r.different_number = sum;
  r.total_tables = static_cast<std::int64_t>(tables.size());
  r.tables = std::move(tables);
  return r;
}

// Verification as OMS reports it: the FULL_VERIFIER step with its progress;
// at 100 % it has ended.
Observation verifying(TimePoint now, std::chrono::seconds lag, oms::VerifyResult result,
                      int progress) {
  Observation o = incr(now, lag, "FULL_VERIFIER");
  oms::ProjectStep step;
  step.name = "FULL_VERIFIER";
  step.status = "RUNNING";
  step.progress = progress;
  o.transfer_step = step;
  o.verify = std::move(result);
  o.verify_finished = progress >= 100;
  return o;
}

Trend behind(Duration lag, Duration to_max_lag) {
  Trend t;
  t.direction = Trend::Direction::falling_behind;
  t.rate = 0.5;
  t.lag = lag;
  t.to_max_lag = to_max_lag;
  return t;
}

using test::Feed;
using test::kinds;

bool has(const std::vector<Finding>& f, const std::string& kind_state) {
  for (const auto& k : kinds(f)) {
    if (k == kind_state) return true;
  }
  return false;
}

// ----- full_transfer_slow

TEST(FullTransferSlow, FiresAfterSlowForBelowTheShareOfTheBaselineAndResolves) {
  Feed r;
  r.thresholds.slow_share = 0.5;
  r.thresholds.slow_for = 10min;
  r.thresholds.slow_grace = 5min;
  const std::int64_t started = kBase - 3600;  // an hour ago: past the grace
  auto at = [&](Duration since, std::int64_t rps) {
    Observation o = with_step(transferring(), transfer_step(rps, 5000, started));
    o.server_time = kStart + since;
    return r.step(o, kStart + since);
  };
  EXPECT_TRUE(at(0min, 4000).empty());
  EXPECT_TRUE(at(1min, 2000).empty());  // slow from here
  EXPECT_TRUE(at(10min, 2000).empty());
  auto f = at(11min, 2000);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"full_transfer_slow:firing"});
  EXPECT_EQ(f[0].severity, Severity::warning);
  EXPECT_EQ(f[0].summary,
            "np_1 full transfer is slow: 2000 rows/s written, under 50% of OMS's baseline 5000 "
            "rows/s");
  EXPECT_EQ(f[0].details.at("dst_rps").as_int64(), 2000);
  EXPECT_EQ(f[0].details.at("dst_rps_ref").as_int64(), 5000);
  EXPECT_EQ(f[0].details.at("processed").as_int64(), 4'000'000);
  EXPECT_EQ(f[0].details.at("capacity").as_int64(), 10'000'000);
  EXPECT_EQ(f[0].details.at("slow_for_s").as_int64(), 600);
  EXPECT_EQ(r.state.slow_since, kStart + 1min);

  // A poll without a reading judges nothing.
  Observation between = transferring();
  EXPECT_TRUE(r.step(between, kStart + 12min).empty());
  auto back = at(13min, 4500);
  ASSERT_EQ(kinds(back), std::vector<std::string>{"full_transfer_slow:resolved"});
  EXPECT_EQ(back[0].summary, "np_1 full transfer is no longer slow (4500 rows/s) after 2m");
  EXPECT_FALSE(r.state.slow_since);
}

TEST(FullTransferSlow, AShortDipDoesNotFire) {
  Feed r;
  r.thresholds.slow_for = 10min;
  const std::int64_t started = kBase - 3600;
  for (int minute = 0; minute < 60; ++minute) {
    const std::int64_t rps = minute % 8 == 7 ? 5000 : 1000;  // back up every 8 minutes
    Observation o = with_step(transferring(), transfer_step(rps, 5000, started));
    o.server_time = kStart + minute * 1min;
    EXPECT_TRUE(r.step(o, kStart + minute * 1min).empty()) << minute;
  }
}

TEST(FullTransferSlow, NeverInTheFirstMinutesOfAStep) {
  Feed r;
  r.thresholds.slow_for = 1min;
  r.thresholds.slow_grace = 5min;
  // The step started now by OMS's clock, and is slow from its start.
  for (int minute = 0; minute <= 5; ++minute) {
    Observation o = with_step(transferring(), transfer_step(100, 5000, kBase));
    o.server_time = kStart + minute * 1min;
    EXPECT_TRUE(r.step(o, kStart + minute * 1min).empty()) << minute;
  }
  // Slow since the end of the grace, for slow_for.
  Observation o = with_step(transferring(), transfer_step(100, 5000, kBase));
  o.server_time = kStart + 6min;
  EXPECT_EQ(kinds(r.step(o, kStart + 6min)), std::vector<std::string>{"full_transfer_slow:firing"});
}

TEST(FullTransferSlow, WithoutAStartTimeTheGraceCountsFromTheFirstSight) {
  Feed r;
  r.thresholds.slow_for = 1min;
  r.thresholds.slow_grace = 5min;
  for (int minute = 0; minute <= 5; ++minute) {
    EXPECT_TRUE(
        r.step(with_step(transferring(), transfer_step(100, 5000)), kStart + minute * 1min).empty())
        << minute;
  }
  EXPECT_EQ(kinds(r.step(with_step(transferring(), transfer_step(100, 5000)), kStart + 6min)),
            std::vector<std::string>{"full_transfer_slow:firing"});
}

TEST(FullTransferSlow, UnknownOrZeroBaselineIsNoEvidence) {
  Feed r;
  r.thresholds.slow_for = 1min;
  r.thresholds.slow_grace = 0s;
  for (int minute = 0; minute < 10; ++minute) {
    auto step = transfer_step(10, minute % 2 ? std::optional<std::int64_t>(0) : std::nullopt);
    EXPECT_TRUE(r.step(with_step(transferring(), step), kStart + minute * 1min).empty());
  }
}

TEST(FullTransferSlow, AnEtaPastMaxEtaFiresWithItsRangeAndBasis) {
  Feed r;
  r.thresholds.slow_for = 5min;
  r.thresholds.slow_grace = 0s;
  r.thresholds.max_eta = 2h;
  auto at = [&](Duration since, Duration high) {
    Observation o = transferring();
    o.outlook.eta = eta_of(high - 30min, high, kStart + since);
    return r.step(o, kStart + since);
  };
  EXPECT_TRUE(at(0min, 3h).empty());
  auto f = at(5min, 3h);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"full_transfer_slow:firing"});
  EXPECT_EQ(f[0].summary, "np_1 full transfer is slow: ETA 2h 30m to 3h, over max_eta 2h");
  EXPECT_EQ(f[0].details.at("eta_low_s").as_int64(), 9000);
  EXPECT_EQ(f[0].details.at("eta_high_s").as_int64(), 10800);
  EXPECT_EQ(f[0].details.at("eta_basis").as_string(), "records");
  EXPECT_EQ(f[0].details.at("max_eta_s").as_int64(), 7200);
  EXPECT_EQ(kinds(at(6min, 1h)), std::vector<std::string>{"full_transfer_slow:resolved"});

  // max_eta 0 sets no bound.
  Feed unbounded;
  unbounded.thresholds.slow_grace = 0s;
  unbounded.thresholds.slow_for = 1min;
  for (int minute = 0; minute < 10; ++minute) {
    Observation o = transferring();
    o.outlook.eta = eta_of(90 * 24h, 100 * 24h, kStart);
    EXPECT_TRUE(unbounded.step(o, kStart + minute * 1min).empty());
  }
}

TEST(FullTransferSlow, ResolvesWhenTheStepEnds) {
  Feed r;
  r.thresholds.slow_for = 1min;
  r.thresholds.slow_grace = 0s;
  r.step(with_step(transferring(), transfer_step(100, 5000)), kStart);
  ASSERT_EQ(kinds(r.step(with_step(transferring(), transfer_step(100, 5000)), kStart + 1min)),
            std::vector<std::string>{"full_transfer_slow:firing"});
  Observation next = incr(kStart + 2min, 5s);
  auto f = r.step(next, kStart + 2min);
  EXPECT_TRUE(has(f, "full_transfer_slow:resolved")) << ::testing::PrintToString(kinds(f));
  EXPECT_TRUE(r.state.transfer_step.empty());
}

// ----- verify_mismatch

TEST(VerifyMismatch, FiresOnceWithTheWorstTablesAndResolvesWhenALaterOneFindsNone) {
  Feed r;
  r.thresholds.repeat = 1h;
  r.step(incr(kStart, 5s), kStart);
  auto result = verified({table("a", 0, 0, 1), table("orders", 700, 0, 300), table("ok", 0, 0, 0),
                          table("items", 0, 200, 0), table("c", 3, 0, 0), table("d", 0, 2, 0),
                          table("e", 0, 0, 9)});
  auto f = r.step(verifying(kStart + 1min, 5s, result, 100), kStart + 1min);
  ASSERT_TRUE(has(f, "verify_mismatch:firing")) << ::testing::PrintToString(kinds(f));
  const Finding& fired = f.back();
  EXPECT_EQ(fired.kind, "verify_mismatch");
  EXPECT_EQ(fired.severity, Severity::warning);
  EXPECT_EQ(fired.summary,
            "np_1 verification found 1215 rows that differ in 6 tables: shop.orders (1000), "
            "shop.items (200), shop.e (9), ...");
  EXPECT_EQ(fired.details.at("differences").as_int64(), 1215);
  EXPECT_EQ(fired.details.at("tables_differing").as_int64(), 6);
  const auto& tables = fired.details.at("tables").as_array();
  ASSERT_EQ(tables.size(), 5u);
  EXPECT_EQ(tables[0].as_object().at("table").as_string(), "shop.orders");
  EXPECT_EQ(tables[0].as_object().at("source_only").as_int64(), 700);
  EXPECT_EQ(tables[0].as_object().at("dest_only").as_int64(), 0);
  EXPECT_EQ(tables[0].as_object().at("mismatched").as_int64(), 300);
  EXPECT_EQ(tables[4].as_object().at("table").as_string(), "shop.d");

  // Still there: no second firing until `repeat`, then a reminder.
  EXPECT_FALSE(has(r.step(incr(kStart + 30min, 5s), kStart + 30min), "verify_mismatch:firing"));
  auto again = r.step(incr(kStart + 1min + 1h, 5s), kStart + 1min + 1h);
  ASSERT_TRUE(has(again, "verify_mismatch:firing"));
  EXPECT_EQ(again.back().details.at("repeat").as_int64(), 1);

  // A new run that has found nothing yet clears nothing; its finish does.
  EXPECT_FALSE(has(r.step(verifying(kStart + 2h, 5s, verified({}), 30), kStart + 2h),
                   "verify_mismatch:resolved"));
  auto done =
      r.step(verifying(kStart + 3h, 5s, verified({table("orders", 0, 0, 0)}), 100), kStart + 3h);
  EXPECT_TRUE(has(done, "verify_mismatch:resolved")) << ::testing::PrintToString(kinds(done));
}

TEST(VerifyMismatch, DifferentNumberAloneIsEnoughAndNoDifferencesNeverFire) {
  Feed r;
  r.step(incr(kStart, 5s, "FULL_VERIFIER"), kStart);
  oms::VerifyResult none = verified({table("orders", 0, 0, 0)});
  EXPECT_TRUE(r.step(verifying(kStart + 1min, 5s, none, 100), kStart + 1min).empty());
  oms::VerifyResult counted;
  counted.different_number = 12;
  auto f = r.step(verifying(kStart + 2min, 5s, counted, 100), kStart + 2min);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"verify_mismatch:firing"});
  EXPECT_EQ(f[0].summary, "np_1 verification found 12 rows that differ");
}

TEST(VerifyMismatch, OldStateWithoutVerificationLoads) {
  // A state saved before verification was watched: no field of it.
  auto loaded = project_state_from_json(
      R"({"v":1,"seen":true,"status":"RUNNING","step":"INCR_SYNC","alarm_level":"MEDIUM",)"
      R"("status_since":1700000000000,"incr_checkpoint":"1700000000","incr_seen_at":1700000000000,)"
      R"("incr_advanced":true,"reverse_checkpoint":"","reverse_seen_at":0,)"
      R"("reverse_advanced":false,"unavailable_streak":0,"firing":{}})");
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_FALSE(loaded->verify_seen);
  EXPECT_FALSE(loaded->verify_finished);
  EXPECT_EQ(loaded->verify_differences, 0);
  EXPECT_TRUE(loaded->verify_worst.empty());
  EXPECT_TRUE(loaded->transfer_step.empty());
  EXPECT_FALSE(loaded->slow_since);
  EXPECT_FALSE(loaded->ready_since);
  EXPECT_FALSE(loaded->ready_announced);
  EXPECT_FALSE(loaded->creating_since);
  EXPECT_FALSE(loaded->failed_since);
  EXPECT_EQ(loaded->incr_checkpoint, "1700000000");
}

TEST(MigrationState, EveryFieldRoundTripsThroughJson) {
  ProjectState s;
  s.seen = true;
  s.transfer_step = "FULL_MIGRATION";
  s.transfer_seen_at = kStart;
  s.transfer_start = kStart - 1h;
  s.transfer_dst_rps = 1200;
  s.transfer_dst_rps_ref = 5000;
  s.transfer_processed = 7;
  s.transfer_capacity = 9;
  s.slow_since = kStart + 1min;
  s.verify_seen = true;
  s.verify_finished = true;
  s.verify_differences = 1215;
  s.verify_tables_differing = 6;
  s.verify_worst = {{"shop.orders", 700, 0, 300}, {"shop.\"odd\"", 0, 1, 2}};
  s.ready_since = kStart + 2min;
  s.ready_announced = true;
  s.creating_since = kStart + 3min;
  s.failed_since = kStart + 4min;
  s.failed_from = "RUNNING";
  s.failed_step = "FULL_TRANSFER";
  s.failed_error_code = "E1";
  s.failed_error_msg = "boom";
  const std::string text = to_json(s);
  EXPECT_EQ(boost::json::serialize(boost::json::parse(text)), text);
  auto back = project_state_from_json(text);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(to_json(*back), text);
  EXPECT_EQ(back->verify_worst, s.verify_worst);
  EXPECT_EQ(back->transfer_start, s.transfer_start);
  EXPECT_EQ(back->failed_error_msg, "boom");
  // A project without any of it writes none of it.
  EXPECT_EQ(to_json(ProjectState{}).find("verify"), std::string::npos);
}

// ----- incr_falling_behind

TEST(IncrFallingBehind, FiresOnThePredictionAndResolvesWhenItNoLongerHolds) {
  Feed r;
  r.thresholds.max_lag = 10min;
  r.thresholds.behind_horizon = 30min;
  r.step(incr(kStart, 60s), kStart);
  Observation o = incr(kStart + 1min, 120s);
  o.outlook.trend = behind(2min, 16min);
  auto f = r.step(o, kStart + 1min);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"incr_falling_behind:firing"});
  EXPECT_EQ(f[0].severity, Severity::warning);
  EXPECT_EQ(f[0].summary,
            "np_1 incremental sync is falling behind: lag 2m grows 30s a minute and would cross "
            "max_lag 10m in 16m");
  EXPECT_EQ(f[0].details.at("lag_s").as_int64(), 120);
  EXPECT_EQ(f[0].details.at("to_max_lag_s").as_int64(), 960);
  EXPECT_EQ(f[0].details.at("behind_horizon_s").as_int64(), 1800);

  Observation calm = incr(kStart + 2min, 100s);
  Trend steady;
  steady.lag = 100s;
  calm.outlook.trend = steady;
  EXPECT_EQ(kinds(r.step(calm, kStart + 2min)),
            std::vector<std::string>{"incr_falling_behind:resolved"});
}

TEST(IncrFallingBehind, NotBeyondTheHorizonNorWithoutATrend) {
  Feed r;
  r.thresholds.behind_horizon = 30min;
  r.step(incr(kStart, 60s), kStart);
  Observation far = incr(kStart + 1min, 60s);
  far.outlook.trend = behind(1min, 45min);
  EXPECT_TRUE(r.step(far, kStart + 1min).empty());
  EXPECT_TRUE(r.step(incr(kStart + 2min, 60s), kStart + 2min).empty());
}

TEST(IncrFallingBehind, IncrLaggingTakesOver) {
  Feed r;
  r.thresholds.max_lag = 10min;
  r.step(incr(kStart, 8min), kStart);
  Observation o = incr(kStart + 1min, 9min);
  o.outlook.trend = behind(9min, 2min);
  ASSERT_EQ(kinds(r.step(o, kStart + 1min)),
            std::vector<std::string>{"incr_falling_behind:firing"});
  Observation over = incr(kStart + 3min, 11min);
  over.outlook.trend = behind(11min, 0min);
  auto f = r.step(over, kStart + 3min);
  ASSERT_EQ(kinds(f),
            (std::vector<std::string>{"incr_lagging:firing", "incr_falling_behind:resolved"}));
  EXPECT_EQ(f[1].summary, "np_1 incremental lag crossed max_lag 10m (incr_lagging fired) after 2m");
  // While incr_lagging fires, the prediction is not raised again.
  Observation still = incr(kStart + 4min, 9min);
  still.outlook.trend = behind(9min, 2min);
  EXPECT_TRUE(r.step(still, kStart + 4min).empty());
}

// ----- cutover_ready

TEST(CutoverReady, AnnouncedOnceAfterCutoverForAndAgainAfterReadinessIsLost) {
  Feed r;
  r.thresholds.cutover_max_lag = 30s;
  r.thresholds.cutover_for = 5min;
  for (int minute = 0; minute < 5; ++minute) {
    EXPECT_TRUE(r.step(incr(kStart + minute * 1min, 5s), kStart + minute * 1min).empty());
  }
  auto f = r.step(incr(kStart + 5min, 5s), kStart + 5min);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"cutover_ready:notice"});
  EXPECT_EQ(f[0].severity, Severity::info);
  EXPECT_EQ(
      f[0].summary,
      "np_1 is ready for cutover: incremental lag 5s, under 30s for 5m; no full verification");
  EXPECT_EQ(f[0].details.at("lag_s").as_int64(), 5);
  EXPECT_EQ(f[0].details.at("since").as_int64(), kBase);
  EXPECT_EQ(f[0].details.at("ready_for_s").as_int64(), 300);
  EXPECT_EQ(f[0].details.at("verification").as_string(), "no full verification");
  // Once per period.
  EXPECT_TRUE(r.step(incr(kStart + 30min, 5s), kStart + 30min).empty());
  // The lag goes over the bound: a new period starts when it is back.
  EXPECT_TRUE(r.step(incr(kStart + 31min, 45s), kStart + 31min).empty());
  EXPECT_TRUE(r.step(incr(kStart + 32min, 5s), kStart + 32min).empty());
  EXPECT_EQ(kinds(r.step(incr(kStart + 37min, 5s), kStart + 37min)),
            std::vector<std::string>{"cutover_ready:notice"});
}

TEST(CutoverReady, NotWhileAConditionIsOpen) {
  Feed r;
  r.thresholds.cutover_for = 1min;
  r.thresholds.stall_after = 1min;
  // The reverse checkpoint never moves: reverse_incr_stalled fires and stays open.
  for (int minute = 0; minute < 20; ++minute) {
    Observation o = incr(kStart + minute * 1min, 5s, "APP_SWITCH");
    o.progress.enable_reverse_incr_transfer = true;
    o.progress.reverse_incr_transfer_checkpoint = {"1", 1};
    r.step(o, kStart + minute * 1min);
  }
  EXPECT_TRUE(r.state.firing.count("reverse_incr_stalled"));
  for (const auto& k : kinds(r.all)) EXPECT_NE(k, "cutover_ready:notice");
}

TEST(CutoverReady, NotWhileVerificationRunsOrHasDifferences) {
  Feed r;
  r.thresholds.cutover_for = 1min;
  r.thresholds.repeat = 24h;
  r.step(incr(kStart, 5s), kStart);
  // Verification runs: not ready until it finished.
  r.step(verifying(kStart + 1min, 5s, verified({}), 40), kStart + 1min);
  EXPECT_TRUE(r.step(verifying(kStart + 3min, 5s, verified({}), 60), kStart + 3min).empty());
  EXPECT_TRUE(r.step(incr(kStart + 5min, 5s, "FULL_VERIFIER"), kStart + 5min).empty());
  // It finishes with differences: verify_mismatch, and no readiness.
  auto f = r.step(verifying(kStart + 6min, 5s, verified({table("orders", 1, 0, 0)}), 100),
                  kStart + 6min);
  EXPECT_EQ(kinds(f), std::vector<std::string>{"verify_mismatch:firing"});
  for (int minute = 7; minute < 30; ++minute) {
    auto at = kStart + minute * 1min;
    EXPECT_TRUE(r.step(incr(at, 5s, "FULL_VERIFIER"), at).empty()) << minute;
  }
  // A later verification without differences: resolved, and ready cutover_for later.
  auto clean = r.step(verifying(kStart + 30min, 5s, verified({table("orders", 0, 0, 0)}), 100),
                      kStart + 30min);
  EXPECT_EQ(kinds(clean), std::vector<std::string>{"verify_mismatch:resolved"});
  auto ready = r.step(incr(kStart + 31min, 5s, "FULL_VERIFIER"), kStart + 31min);
  ASSERT_EQ(kinds(ready), std::vector<std::string>{"cutover_ready:notice"});
  EXPECT_EQ(ready[0].details.at("verification").as_string(),
            "full verification finished with no differences");
}

// ----- OMS facts

Observation refused(std::string error) {
  Observation o;
  o.outcome = Outcome::unavailable;
  o.error = std::move(error);
  return o;
}

TEST(OmsFacts, TransferInstanceBeingCreatedIsNoFailureWithinCreatingGrace) {
  Feed r;
  r.thresholds.unavailable_after = 2;
  r.thresholds.creating_grace = 10min;
  const std::string creating = "GHANA-OPERIE000000: the transfer instance is being created";
  for (int minute = 0; minute < 10; ++minute) {
    EXPECT_TRUE(r.step(refused(creating), kStart + minute * 1min).empty()) << minute;
  }
  EXPECT_EQ(r.state.creating_since, kStart);
  EXPECT_EQ(r.state.unavailable_streak, 0);
  // Past the grace it counts like any refusal.
  EXPECT_TRUE(r.step(refused(creating), kStart + 10min).empty());
  auto f = r.step(refused(creating), kStart + 11min);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"project_unavailable:firing"});
  EXPECT_EQ(f[0].summary, "np_1 unavailable: " + creating);

  // Other codes count from the start.
  Feed other;
  other.thresholds.unavailable_after = 2;
  other.step(refused("GHANA-OPERIE000001: boom"), kStart);
  EXPECT_EQ(kinds(other.step(refused("GHANA-OPERIE000001: boom"), kStart + 1min)),
            std::vector<std::string>{"project_unavailable:firing"});
}

TEST(OmsFacts, AProjectThatDoesNotExistIsSaidPlainly) {
  Feed r;
  r.thresholds.unavailable_after = 1;
  auto f = r.step(refused("GHANA-PROJECT000001: project np_1 not exists"), kStart);
  ASSERT_EQ(kinds(f), std::vector<std::string>{"project_unavailable:firing"});
  EXPECT_EQ(f[0].summary, "np_1 does not exist on this OMS (GHANA-PROJECT000001)");
  EXPECT_EQ(f[0].details.at("error").as_string(), "GHANA-PROJECT000001: project np_1 not exists");
}

Observation failed_in_full_transfer() {
  Observation o = transferring();
  o.progress.status = "FAILED";
  oms::ProjectStep step;
  step.name = "FULL_TRANSFER";
  step.status = "FAILED";
  step.error = {"GHANA-TRANSFER0001", "write to the sink timed out"};
  o.failed_step = step;
  return o;
}

TEST(OmsFacts, AFullTransferRetriedWithinFailedGraceIsNoEventAtAll) {
  Feed r;
  r.thresholds.failed_grace = 2min;
  r.step(transferring(), kStart);
  EXPECT_TRUE(r.step(failed_in_full_transfer(), kStart + 30s).empty());
  Observation still = failed_in_full_transfer();
  still.failed_step.reset();  // read once, when the project entered FAILED
  EXPECT_TRUE(r.step(still, kStart + 90s).empty());
  EXPECT_TRUE(r.step(transferring(), kStart + 2min).empty());
  EXPECT_TRUE(r.all.empty()) << ::testing::PrintToString(kinds(r.all));
  EXPECT_FALSE(r.state.failed_since);
}

TEST(OmsFacts, AFullTransferFailedBeyondFailedGraceIsOneAlert) {
  Feed r;
  r.thresholds.failed_grace = 2min;
  r.thresholds.repeat = 1h;
  r.step(transferring(), kStart);
  EXPECT_TRUE(r.step(failed_in_full_transfer(), kStart + 30s).empty());
  Observation still = failed_in_full_transfer();
  still.failed_step.reset();
  EXPECT_TRUE(r.step(still, kStart + 2min).empty());
  auto f = r.step(still, kStart + 2min + 30s);
  ASSERT_EQ(kinds(f), (std::vector<std::string>{"status_changed:notice", "project_failed:firing"}));
  EXPECT_EQ(f[0].details.at("from").as_string(), "RUNNING");
  EXPECT_EQ(f[0].details.at("to").as_string(), "FAILED");
  EXPECT_EQ(f[1].summary,
            "np_1 FAILED in FULL_TRANSFER: GHANA-TRANSFER0001 write to the sink timed out (FAILED "
            "for 2m: OMS did not retry it)");
  EXPECT_EQ(f[1].details.at("error_code").as_string(), "GHANA-TRANSFER0001");
  EXPECT_EQ(f[1].details.at("failed_for_s").as_int64(), 120);
  for (int i = 1; i < 10; ++i) EXPECT_TRUE(r.step(still, kStart + 2min + 30s + i * 1min).empty());
  auto back = r.step(transferring(), kStart + 20min);
  EXPECT_EQ(kinds(back),
            (std::vector<std::string>{"status_changed:notice", "project_failed:resolved"}));
}

TEST(OmsFacts, OtherFailuresAlertAtOnce) {
  Feed r;
  r.thresholds.failed_grace = 2min;
  r.step(incr(kStart, 5s), kStart);
  Observation o = incr(kStart + 30s, 5s);
  o.progress.status = "FAILED";
  oms::ProjectStep step;
  step.name = "INCR_TRANSFER";
  step.status = "FAILED";
  o.failed_step = step;
  EXPECT_EQ(kinds(r.step(o, kStart + 30s)),
            (std::vector<std::string>{"status_changed:notice", "project_failed:firing"}));
}

TEST(OmsFacts, AHeldFailureSurvivesARestart) {
  Feed r;
  r.thresholds.failed_grace = 2min;
  r.step(transferring(), kStart);
  r.step(failed_in_full_transfer(), kStart + 30s);
  auto loaded = project_state_from_json(to_json(r.state));
  ASSERT_TRUE(loaded);
  Observation still = failed_in_full_transfer();
  still.failed_step.reset();
  auto d = detect(*loaded, "np_1", still, kStart + 3min, r.thresholds);
  ASSERT_EQ(kinds(d.findings),
            (std::vector<std::string>{"status_changed:notice", "project_failed:firing"}));
  EXPECT_EQ(d.findings[1].details.at("error_message").as_string(), "write to the sink timed out");
}

}  // namespace
}  // namespace omswatch::daemon
