// Properties of the detector over random observation sequences: whatever
// OMS says, in whatever order, the event stream stays well-formed, and a
// restart (state saved and loaded as JSON) changes nothing.

#include <random>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "daemon/detect/detector.h"
#include "daemon/detect/state_json.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;

struct RandomOms {
  std::mt19937 rng;
  std::int64_t clock_s = 1'750'000'000;
  std::int64_t checkpoint = 1'750'000'000 - 5;
  std::int64_t reverse = 1'750'000'000 - 5;

  explicit RandomOms(unsigned seed) : rng(seed) {}

  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng); }

  Observation next() {
    clock_s += std::uniform_int_distribution<int>(1, 120)(rng);
    Observation o;
    double r = std::uniform_real_distribution<double>(0, 1)(rng);
    if (r < 0.1) {
      o.outcome = Observation::Outcome::failed;
      o.error = "timed out";
      return o;
    }
    if (r < 0.17) {
      o.outcome = Observation::Outcome::unavailable;
      o.error = pick<std::string>({"GHANA-PROJECT000404: project not found",
                                   "GHANA-OPERIE000000: creating", "GHANA-PROJECT000001: gone"});
      return o;
    }
    o.outcome = Observation::Outcome::ok;
    auto& p = o.progress;
    p.project_id = "np_p";
    p.status = pick<std::string>({"RUNNING", "RUNNING", "RUNNING", "SUSPEND", "FAILED", "FINISHED",
                                  "RUNNING_MODIFYING", "SOMETHING_NEW", ""});
    p.current_step = pick<std::string>({"INCR_SYNC", "INCR_SYNC", "FULL_TRANSFER", "STRUCT_TRANSFER",
                                        "REVERSE_INCR_TRANSFER", ""});
    p.alarm_level = pick<std::string>({"HIGH", "MEDIUM", "MEDIUM", "LOW", ""});
    p.enable_incr_sync = chance(0.9);
    p.enable_reverse_incr_transfer = chance(0.3);
    p.enable_full_transfer = chance(0.8);
    p.enable_struct_transfer = chance(0.8);
    p.full_transfer_progress = std::uniform_int_distribution<int>(0, 100)(rng);
    p.struct_transfer_progress = chance(0.5) ? std::optional<int>(100) : std::nullopt;
    if (chance(0.6)) checkpoint = clock_s - std::uniform_int_distribution<int>(0, 1200)(rng);
    if (chance(0.5)) reverse = clock_s - std::uniform_int_distribution<int>(0, 600)(rng);
    if (chance(0.05)) {
      p.incr_sync_checkpoint = {std::to_string(checkpoint % 97) + "," + std::to_string(checkpoint), std::nullopt};
    } else if (!chance(0.05)) {
      p.incr_sync_checkpoint = {std::to_string(checkpoint), checkpoint};
    }
    p.reverse_incr_transfer_checkpoint = {std::to_string(reverse), reverse};
    if (chance(0.5)) o.server_time = TimePoint(std::chrono::seconds(clock_s + std::uniform_int_distribution<int>(-30, 30)(rng)));
    add_migration_progress(o);
    return o;
  }
  TimePoint now() const { return TimePoint(std::chrono::seconds(clock_s)); }

  // Step readings, verification results, OMS's retry and creation codes, an
  // ETA and a trend, as the watcher may attach them.
  void add_migration_progress(Observation& o) {
    auto& p = o.progress;
    if (chance(0.1)) p.current_step = pick<std::string>({"FULL_MIGRATION", "FULL_VERIFIER"});
    if (chance(0.3)) {
      oms::ProjectStep step;
      step.name = pick<std::string>({"FULL_TRANSFER", "FULL_MIGRATION", "FULL_VERIFIER"});
      step.status = pick<std::string>({"RUNNING", "RUNNING", "FINISHED", "FAILED"});
      if (chance(0.7)) step.start_time = clock_s - std::uniform_int_distribution<int>(0, 1200)(rng);
      step.progress = std::uniform_int_distribution<int>(0, 100)(rng);
      if (chance(0.8)) step.transfer.dst_rps = std::uniform_int_distribution<int>(0, 5000)(rng);
      if (chance(0.8)) step.transfer.dst_rps_ref = std::uniform_int_distribution<int>(0, 5000)(rng);
      step.transfer.processed_records = std::uniform_int_distribution<int>(0, 1'000'000)(rng);
      if (p.status == "FAILED" && chance(0.5)) {
        o.failed_step = step;
      } else {
        o.transfer_step = step;
      }
    }
    if (chance(0.15)) {
      oms::VerifyResult v;
      if (chance(0.5)) v.different_number = chance(0.5) ? 0 : std::uniform_int_distribution<int>(1, 99)(rng);
      for (int i = 0, n = std::uniform_int_distribution<int>(0, 8)(rng); i < n; ++i) {
        oms::VerifyTable t;
        t.source_schema = "s";
        t.source_table = "t" + std::to_string(i);
        if (chance(0.3)) t.source_only = std::uniform_int_distribution<int>(0, 9)(rng);
        if (chance(0.3)) t.mismatched = std::uniform_int_distribution<int>(0, 9)(rng);
        v.tables.push_back(t);
      }
      o.verify = v;
      o.verify_finished = chance(0.5);
    }
    if (chance(0.4)) {
      Eta e;
      e.low = std::chrono::minutes(std::uniform_int_distribution<int>(0, 600)(rng));
      e.high = e.low + std::chrono::minutes(std::uniform_int_distribution<int>(0, 120)(rng));
      e.at = now();
      o.outlook.eta = e;
    }
    if (chance(0.5)) {
      Trend t;
      t.direction = pick<Trend::Direction>({Trend::Direction::catching_up,
                                            Trend::Direction::falling_behind,
                                            Trend::Direction::steady});
      t.rate = std::uniform_real_distribution<double>(-1, 1)(rng);
      if (chance(0.6)) t.to_max_lag = std::chrono::minutes(std::uniform_int_distribution<int>(0, 90)(rng));
      o.outlook.trend = t;
    }
  }
};

bool is_repeat(const Finding& f) { return f.state == "firing" && f.details.contains("repeat"); }

TEST(DetectorProperty, EventStreamsAreWellFormed) {
  DetectThresholds t;
  t.stall_after = 5min;
  t.max_lag = 10min;
  t.unavailable_after = 2;
  t.repeat = 15min;
  t.slow_for = 3min;
  t.slow_grace = 2min;
  t.max_eta = 5h;
  t.cutover_max_lag = 2min;
  t.cutover_for = 3min;
  t.creating_grace = 5min;
  t.failed_grace = 2min;
  for (unsigned seed = 1; seed <= 300; ++seed) {
    RandomOms oms(seed);
    ProjectState state;
    std::map<std::string, bool> open;  // condition kind -> firing
    bool seen_ok = false;
    for (int i = 0; i < 300; ++i) {
      Observation o = oms.next();
      auto d = detect(state, "np_p", o, oms.now(), t);
      for (const auto& f : d.findings) {
        SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(i) + ": " +
                     f.kind + " " + f.state);
        if (f.state == "notice") {
          EXPECT_TRUE(seen_ok) << "a notice on first sight";
        } else if (f.state == "resolved") {
          EXPECT_TRUE(open[f.kind]) << "resolved without firing";
          open[f.kind] = false;
        } else if (is_repeat(f)) {
          EXPECT_TRUE(open[f.kind]) << "a repeat while not firing";
        } else {
          EXPECT_FALSE(open[f.kind]) << "fired twice without a resolve between";
          open[f.kind] = true;
        }
      }
      if (o.outcome == Observation::Outcome::ok) seen_ok = true;
      if (o.outcome == Observation::Outcome::failed) {
        EXPECT_TRUE(d.findings.empty()) << "a failed poll is no evidence";
      }
      state = d.state;
      // What the detector believes is firing matches the stream.
      for (const auto& [kind, firing] : open) {
        EXPECT_EQ(firing, state.firing.count(kind) == 1) << kind;
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(DetectorProperty, ARestartChangesNothing) {
  DetectThresholds t;
  t.stall_after = 3min;
  t.max_lag = 5min;
  t.repeat = 10min;
  t.slow_for = 3min;
  t.slow_grace = 2min;
  t.max_eta = 5h;
  t.cutover_max_lag = 2min;
  t.cutover_for = 3min;
  t.creating_grace = 5min;
  t.failed_grace = 2min;
  for (unsigned seed = 1; seed <= 100; ++seed) {
    RandomOms a(seed), b(seed);
    ProjectState continuous, restarted;
    std::mt19937 restarts(seed * 7919);
    for (int i = 0; i < 300; ++i) {
      Observation oa = a.next();
      Observation ob = b.next();
      auto da = detect(continuous, "np_p", oa, a.now(), t);
      auto db = detect(restarted, "np_p", ob, b.now(), t);
      ASSERT_EQ(da.findings.size(), db.findings.size()) << "seed " << seed << " step " << i;
      for (std::size_t k = 0; k < da.findings.size(); ++k) {
        EXPECT_EQ(da.findings[k].kind + da.findings[k].state + da.findings[k].summary,
                  db.findings[k].kind + db.findings[k].state + db.findings[k].summary);
      }
      continuous = da.state;
      restarted = db.state;
      if (std::bernoulli_distribution(0.2)(restarts)) {
        auto loaded = project_state_from_json(to_json(restarted));
        ASSERT_TRUE(loaded);
        restarted = *loaded;
      }
    }
  }
}

TEST(DetectorProperty, OmsUnreachableFiresOnceAndResolvesOnce) {
  DetectThresholds t;
  t.unreachable_after = 3;
  t.repeat = 1h;
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    OmsState state;
    bool open = false;
    auto now = TimePoint(std::chrono::seconds(1'750'000'000));
    for (int i = 0; i < 400; ++i) {
      now += std::chrono::seconds(std::uniform_int_distribution<int>(1, 30)(rng));
      bool ok = std::bernoulli_distribution(i % 100 < 50 ? 0.05 : 0.9)(rng);
      auto d = detect_oms(state, "prod", ok, ok ? "" : "refused", 4, now, t);
      for (const auto& f : d.findings) {
        if (f.state == "resolved") {
          EXPECT_TRUE(open);
          open = false;
        } else if (!is_repeat(f)) {
          EXPECT_FALSE(open);
          open = true;
        }
      }
      if (ok) EXPECT_FALSE(open);
      state = d.state;
    }
  }
}

}  // namespace
}  // namespace omswatch::daemon
