// The watcher's shell driven by fakes: a scripted OMS, an in-memory sink and
// a steady clock moved by hand. No socket, no database file, no real time:
// each test moves the clock in steps of one poll tick and runs what is ready.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <set>

#include "common/time.h"
#include "config/config.h"
#include "daemon/detect/event_kind.h"
#include "daemon/watcher.h"
#include "tests/daemon/watcher_fakes.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;
using test::FakeClient;
using test::FakeOms;
using test::ManualClock;
using test::MemorySink;

const std::chrono::steady_clock::time_point kSteadyStart(std::chrono::hours(1000));
const TimePoint kWallStart = TimePoint(std::chrono::seconds(1'700'000'000));

std::shared_ptr<const config::Config> config_for(const std::vector<std::string>& projects) {
  std::string ids;
  for (const auto& p : projects) ids += (ids.empty() ? "\"" : ", \"") + p + "\"";
  const std::string toml =
      "[[oms]]\nname = \"prod\"\nurl = \"http://127.0.0.1:9\"\nusername = \"watcher\"\n"
      "password = \"pw\"\ninterval = \"10s\"\nprojects = [" + ids + "]\n"
      "[detect]\nunreachable_after = 3\n"
      "[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\n";
  auto loaded = config::load_string(toml, "test.toml");
  EXPECT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
  return std::make_shared<const config::Config>(std::move(*loaded.config));
}

class WatcherShell : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!watcher_) return;
    watcher_->stop();
    run_ready();  // the loops see their cancellation and end
    watcher_.reset();
  }

  void start(const std::vector<std::string>& projects) {
    WatcherOptions options;
    options.clock = [this] { return kWallStart + (clock_.now() - kSteadyStart); };
    options.steady_clock = &clock_;
    watcher_ = std::make_unique<Watcher>(
        io_.get_executor(), config_for(projects), sink_,
        [oms = oms_](const config::OmsDeployment&) { return std::make_unique<FakeClient>(oms); },
        std::move(options));
    watcher_->start();
    run_ready();
  }

  void run_ready() {
    io_.restart();
    io_.poll();
  }

  // Moves the clock by `d` in steps of the poll tick, running what falls due.
  void advance(std::chrono::steady_clock::duration d) {
    for (auto moved = 0ns; moved < d; moved += kPollTick) {
      clock_.advance(kPollTick);
      run_ready();
    }
  }

  TimePoint wall_at(std::chrono::steady_clock::duration since_start) const {
    return kWallStart + since_start;
  }

  boost::asio::io_context io_;
  ManualClock clock_{kSteadyStart};
  MemorySink sink_;
  std::shared_ptr<FakeOms> oms_ = std::make_shared<FakeOms>();
  std::unique_ptr<Watcher> watcher_;
};

TEST_F(WatcherShell, AnOutageOfFiveIntervalsRaisesOmsUnreachableOnceAndResolvesIt) {
  bool down = false;
  oms_->progress = [&](const std::string& id) {
    return down ? test::transport_failure("connection refused")
                : test::progress_reply(id, "RUNNING");
  };
  start({"np_1"});
  EXPECT_EQ(oms_->progress_calls["np_1"], 1);  // the first poll is at once

  down = true;
  const std::string unreachable(event_kind::oms_unreachable);
  for (int i = 1; i <= 5; ++i) {
    advance(10s);
    EXPECT_EQ(oms_->progress_calls["np_1"], 1 + i) << "polls go on every interval";
    EXPECT_EQ(sink_.events(unreachable, "firing").size(), i >= 3 ? 1u : 0u) << "failed poll " << i;
    EXPECT_EQ(watcher_->unreachable_oms().size(), i >= 3 ? 1u : 0u);
  }
  auto firing = sink_.events(unreachable, "firing");
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].oms, "prod");
  EXPECT_EQ(firing[0].observed_at, to_unix_ms(wall_at(30s)));  // the third failed poll
  EXPECT_TRUE(sink_.events(unreachable, "resolved").empty());

  down = false;
  advance(10s);
  EXPECT_EQ(oms_->progress_calls["np_1"], 7);
  auto resolved = sink_.events(unreachable, "resolved");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].observed_at, to_unix_ms(wall_at(60s)));
  EXPECT_TRUE(watcher_->unreachable_oms().empty());
  EXPECT_EQ(sink_.events(unreachable, "firing").size(), 1u);
  EXPECT_EQ(watcher_->counters().polls_failed, 5u);
  EXPECT_EQ(watcher_->counters().polls_ok, 2u);
}

TEST_F(WatcherShell, AReleasedProjectGetsItsFinalEventsAndIsNoLongerPolled) {
  std::string status = "FAILED";
  oms_->progress = [&](const std::string& id) { return test::progress_reply(id, status); };
  start({"np_1", "np_2"});
  advance(10s);
  const std::string failed(event_kind::project_failed);
  ASSERT_EQ(sink_.events(failed, "firing").size(), 2u);
  ASSERT_EQ(watcher_->watched_projects(), 2u);

  oms_->progress = [&](const std::string& id) {
    return test::progress_reply(id, id == "np_1" ? "RELEASED" : "FAILED");
  };
  advance(10s);
  const std::string removed(event_kind::project_removed);
  auto notices = sink_.events(removed, "notice");
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].project_id, "np_1");
  EXPECT_NE(notices[0].summary.find("status is RELEASED"), std::string::npos) << notices[0].summary;
  auto resolutions = sink_.events(failed, "resolved");
  ASSERT_EQ(resolutions.size(), 1u);
  EXPECT_EQ(resolutions[0].project_id, "np_1");
  // The final events are in the write of the poll that saw RELEASED.
  const auto& last_of_np_1 = [&]() -> const storage::ObservationWrite& {
    for (auto it = sink_.writes.rbegin(); it != sink_.writes.rend(); ++it) {
      if (it->project_id == "np_1") return *it;
    }
    throw std::runtime_error("no write of np_1");
  }();
  EXPECT_EQ(last_of_np_1.sample->status, "RELEASED");
  std::set<std::string> final_events;
  for (const auto& e : last_of_np_1.events) final_events.insert(e.kind + " " + e.state);
  EXPECT_TRUE(final_events.count(removed + " notice"));
  EXPECT_TRUE(final_events.count(failed + " resolved"));
  EXPECT_EQ(watcher_->watched_projects(), 1u);

  const int polls_of_np_1 = oms_->progress_calls["np_1"];
  const int polls_of_np_2 = oms_->progress_calls["np_2"];
  advance(30s);
  EXPECT_EQ(oms_->progress_calls["np_1"], polls_of_np_1);
  EXPECT_EQ(oms_->progress_calls["np_2"], polls_of_np_2 + 3);
}

TEST_F(WatcherShell, AReloadPollsTheAddedProjectAndNoLongerTheRemovedOne) {
  start({"np_old", "np_kept"});
  advance(10s);
  EXPECT_EQ(oms_->progress_calls["np_old"], 2);

  watcher_->apply(config_for({"np_kept", "np_new"}));
  run_ready();
  EXPECT_EQ(watcher_->watched_projects(), 2u);
  const int polls_of_old = oms_->progress_calls["np_old"];
  const int polls_of_kept = oms_->progress_calls["np_kept"];
  advance(20s);
  // An added project starts at a random offset within its interval.
  EXPECT_GE(oms_->progress_calls["np_new"], 2);
  EXPECT_LE(oms_->progress_calls["np_new"], 3);
  EXPECT_EQ(oms_->progress_calls["np_old"], polls_of_old);
  EXPECT_EQ(oms_->progress_calls["np_kept"], polls_of_kept + 2);
  // Removed by the operator: no event says so.
  EXPECT_TRUE(sink_.events(event_kind::project_removed).empty());
}

// A project in full transfer: `rate` rows a second of `capacity` since the
// fixture's start, read through the fake clock.
struct FullTransfer {
  std::int64_t rate = 1000;
  std::int64_t capacity = 1'000'000;
  std::string step = "FULL_TRANSFER";
};

oms::CallResult<oms::ProjectProgress> progress_in(const std::string& id, const std::string& step) {
  auto call = test::progress_reply(id, "RUNNING");
  call.reply.data->current_step = step;
  return call;
}

oms::ProjectStep transfer_step(const FullTransfer& t, std::chrono::seconds elapsed) {
  oms::ProjectStep s;
  s.name = t.step;
  s.status = "RUNNING";
  s.transfer.processed_records = std::min(t.capacity, t.rate * elapsed.count());
  s.transfer.capacity = t.capacity;
  s.transfer.dst_rps = t.rate;
  s.transfer.dst_rps_ref = t.rate;
  s.progress = static_cast<int>(100 * *s.transfer.processed_records / t.capacity);
  return s;
}

TEST_F(WatcherShell, AFullTransferHasItsStepsReadEveryMinuteAndGetsAnEtaThatHoldsTheTruth) {
  FullTransfer t;
  oms_->progress = [&](const std::string& id) { return progress_in(id, t.step); };
  oms_->steps = [&](const std::string&) {
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - kSteadyStart);
    return std::vector<oms::ProjectStep>{transfer_step(t, elapsed)};
  };
  start({"np_1"});
  advance(300s);
  EXPECT_EQ(oms_->progress_calls["np_1"], 31);
  // At start, then once a minute: not at every poll.
  EXPECT_EQ(oms_->steps_calls["np_1"], 6);

  std::vector<storage::StepSample> samples;
  for (const auto& w : sink_.writes) {
    if (w.step_sample) samples.push_back(*w.step_sample);
  }
  ASSERT_EQ(samples.size(), 6u);
  const auto& last = samples.back();
  EXPECT_EQ(last.step, "FULL_TRANSFER");
  EXPECT_EQ(last.processed, 300'000);
  EXPECT_EQ(last.capacity, 1'000'000);
  EXPECT_EQ(last.dst_rps, 1000);
  ASSERT_TRUE(last.eta_low_s && last.eta_high_s) << "five minutes of a steady rate make an ETA";
  EXPECT_EQ(last.eta_basis, "records");
  // (1,000,000 - 300,000) rows at 1,000 a second: 700 s to go.
  EXPECT_LE(*last.eta_low_s, 700);
  EXPECT_GE(*last.eta_high_s, 700);
  EXPECT_FALSE(samples.front().eta_low_s) << "one reading is too little history";
}

TEST_F(WatcherShell, AVerificationIsReadWhileItRunsAndOnceMoreWhenItEnds) {
  std::string step = "FULL_VERIFIER";
  oms_->progress = [&](const std::string& id) { return progress_in(id, step); };
  oms_->steps = [&](const std::string&) {
    oms::ProjectStep s;
    s.name = "FULL_VERIFIER";
    s.status = step == "FULL_VERIFIER" ? "RUNNING" : "FINISHED";
    s.progress = step == "FULL_VERIFIER" ? 50 : 100;
    return std::vector<oms::ProjectStep>{s};
  };
  oms_->verify = [&](const std::string&, int) {
    oms::VerifyResult r;
    r.different_number = 3;
    r.total_tables = 1;
    oms::VerifyTable table;
    table.source_schema = "shop";
    table.source_table = "orders";
    table.mismatched = 3;
    r.tables = {table};
    return r;
  };
  start({"np_1"});
  advance(120s);
  EXPECT_EQ(oms_->verify_calls["np_1"], 3);  // at 0, 60 and 120 s

  step = "INCR_TRANSFER";
  advance(10s);
  EXPECT_EQ(oms_->verify_calls["np_1"], 4) << "the final result is read when verification ends";
  advance(300s);
  EXPECT_EQ(oms_->verify_calls["np_1"], 4);
  EXPECT_EQ(oms_->steps_calls["np_1"], 3) << "no steps are read in incremental sync";

  // The detector saw the differences once; every reading was stored, the
  // last one as the finished verification with its worst table.
  EXPECT_EQ(sink_.events(event_kind::verify_mismatch, "firing").size(), 1u);
  std::vector<storage::VerifyRecord> stored;
  for (const auto& w : sink_.writes) {
    if (w.verify) stored.push_back(*w.verify);
  }
  ASSERT_EQ(stored.size(), 4u);
  EXPECT_FALSE(stored.front().finished);
  EXPECT_TRUE(stored.back().finished);
  EXPECT_EQ(stored.back().different_number, 3);
  EXPECT_EQ(stored.back().tables, 1);
  EXPECT_NE(stored.back().worst_tables_json.find("shop.orders"), std::string::npos)
      << stored.back().worst_tables_json;
}

TEST_F(WatcherShell, ExtraReadsAddAtMostATenthToTheRequestsOfAnOmsInFullTransfer) {
  FullTransfer t;
  oms_->progress = [&](const std::string& id) { return progress_in(id, t.step); };
  oms_->steps = [&](const std::string&) {
    return std::vector<oms::ProjectStep>{transfer_step(t, 60s)};
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.push_back("np_" + std::to_string(i));
  start(ids);
  advance(600s);
  int polls = 0;
  int steps = 0;
  for (const auto& id : ids) {
    polls += oms_->progress_calls[id];
    steps += oms_->steps_calls[id];
  }
  EXPECT_GE(polls, 6000);
  // Every project asks for its steps every minute (about 1,100 calls in ten
  // minutes); the budget allows a tenth of the polls and two to start with
  // (its call every 30 s is for OMSes whose polls bring less).
  EXPECT_LE(steps, polls / 10 + 2);
  EXPECT_GE(steps, polls / 10 - 10) << "the budget is used, not starved";
}

}  // namespace
}  // namespace omswatch::daemon
