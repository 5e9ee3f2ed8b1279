// Thinning: record() keeps every change and the checkpoints at most once per
// sample_every, so that years of polling stay small.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <tuple>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using namespace std::chrono_literals;
using testing::count_rows;
using testing::failed_sample;
using testing::kMinute;
using testing::kSecond;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::poll_write;

// What must never be thinned away.
auto state_of(const Sample& s) {
  return std::tie(s.oms, s.project_id, s.outcome, s.status, s.alarm_level, s.current_step,
                  s.struct_progress, s.full_progress, s.error);
}
auto checkpoints_of(const Sample& s) {
  return std::tie(s.incr_checkpoint, s.incr_lag_s, s.reverse_checkpoint, s.reverse_lag_s);
}

std::unique_ptr<Store> open_with(const std::string& path, std::chrono::milliseconds sample_every) {
  StoreOptions options;
  options.sample_every = sample_every;
  auto store = Store::open(path, OpenMode::read_write, options);
  if (!store) throw std::runtime_error(store.error());
  return std::move(*store);
}

// Polls every 10 s of one project with a realistic mix: a checkpoint that
// mostly advances, sometimes stands still, and rare changes of everything
// else, including failed polls and a reverse sync that comes and goes.
class PollGenerator {
 public:
  PollGenerator(std::string project_id, unsigned seed)
      : project_(std::move(project_id)), rng_(seed) {}

  Sample next() {
    at_ += 10 * kSecond;
    if (chance(0.01)) status_ = pick({"RUNNING", "SUSPEND", "FAILED", "RUNNING_MODIFYING"});
    if (chance(0.005)) step_ = pick({"STRUCT_TRANSFER", "FULL_TRANSFER", "INCR_TRANSFER"});
    if (chance(0.003)) level_ = pick({"HIGH", "MEDIUM", "LOW", "IGNORE"});
    if (chance(0.01)) full_ = std::min(100, full_.value_or(0) + 7);
    if (chance(0.002)) struct_ = chance(0.5) ? std::optional<int>() : std::optional<int>(100);
    if (chance(0.003)) reverse_ = !reverse_;
    if (!chance(0.1)) checkpoint_ += 10;  // stands still one poll in ten
    if (chance(0.02)) {
      // A failed poll, sometimes with the same error as the last one.
      Sample s = failed_sample(project_, at_);
      s.outcome = chance(0.3) ? "unavailable" : "error";
      if (chance(0.5)) error_ = "timeout after " + std::to_string(rng_() % 3) + "s";
      s.error = error_;
      return s;
    }
    Sample s = ok_sample(project_, at_);
    s.status = status_;
    s.current_step = step_;
    s.alarm_level = level_;
    s.full_progress = full_;
    s.struct_progress = struct_;
    s.incr_checkpoint = std::to_string(checkpoint_);
    s.incr_lag_s = at_ / 1000 - checkpoint_;
    if (reverse_) {
      s.reverse_checkpoint = std::to_string(checkpoint_ - 30);
      s.reverse_lag_s = at_ / 1000 - checkpoint_ + 30;
    }
    s.latency_us = 1000 + static_cast<std::int64_t>(rng_() % 5000);
    return s;
  }

 private:
  bool chance(double p) { return std::uniform_real_distribution<>(0, 1)(rng_) < p; }
  std::string pick(std::initializer_list<const char*> options) {
    return *(options.begin() + rng_() % options.size());
  }

  std::string project_;
  std::mt19937 rng_;
  TimeMs at_ = kT0;
  std::int64_t checkpoint_ = kT0 / 1000 - 5;
  std::string status_ = "RUNNING";
  std::string step_ = "INCR_TRANSFER";
  std::string level_ = "HIGH";
  std::optional<int> full_ = 100;
  std::optional<int> struct_ = 100;
  bool reverse_ = false;
  std::string error_ = "connect: connection refused";
};

class ThinningTest : public ::testing::Test {
 protected:
  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
};

TEST_F(ThinningTest, KeepsEveryChangeAndCheckpointsAtMostOncePerSampleEvery) {
  constexpr int kPolls = 6000;  // about 17 hours at 10 s
  const std::vector<std::string> projects = {"np_1", "np_2", "np_3"};
  std::map<std::string, std::vector<Sample>> polled;
  {
    auto store = open_with(path_, 1min);
    std::vector<PollGenerator> generators;
    for (std::size_t i = 0; i < projects.size(); ++i) generators.emplace_back(projects[i], 7 + i);
    for (int i = 0; i < kPolls; ++i) {
      // Half-way the daemon restarts: thinning goes on from the file.
      if (i == kPolls / 2) store = open_with(path_, 1min);
      for (auto& g : generators) {
        Sample s = g.next();
        polled[s.project_id].push_back(s);
        OMSWATCH_RECORD(*store, poll_write(s));
      }
    }
    const SampleCounts counts = store->sample_counts();
    EXPECT_GT(counts.skipped, counts.stored);  // counts since the reopen
  }

  auto reader = testing::open_store(path_, OpenMode::read_only);
  for (const auto& project : projects) {
    SCOPED_TRACE(project);
    const auto stored = testing::value_of(reader->history(project, std::nullopt, std::nullopt, 0));
    const auto& polls = polled[project];
    ASSERT_FALSE(stored.empty());
    EXPECT_LT(stored.size(), polls.size() / 3) << "thinning kept too much";

    // The state at every poll is the state of the stored sample in force then,
    // and its checkpoints are at most sample_every behind.
    std::size_t in_force = 0;
    int state_changes = 0;
    for (std::size_t i = 0; i < polls.size(); ++i) {
      const Sample& poll = polls[i];
      while (in_force + 1 < stored.size() && stored[in_force + 1].observed_at <= poll.observed_at) {
        ++in_force;
      }
      const Sample& kept = stored[in_force];
      ASSERT_LE(kept.observed_at, poll.observed_at);
      ASSERT_EQ(state_of(kept), state_of(poll)) << "the state at poll " << i << " is lost";
      if (i > 0 && state_of(poll) != state_of(polls[i - 1])) {
        ++state_changes;
        EXPECT_EQ(kept.observed_at, poll.observed_at) << "a change is stored when it is seen";
      }
      if (checkpoints_of(kept) != checkpoints_of(poll)) {
        EXPECT_LT(poll.observed_at - kept.observed_at, kMinute) << "checkpoints fell behind";
      }
    }
    EXPECT_GT(state_changes, 20) << "the sequence should exercise changes";

    // Stored rows are changes, or checkpoint moves a sample_every apart.
    int checkpoint_only = 0;
    for (std::size_t i = 1; i < stored.size(); ++i) {
      const Sample& a = stored[i - 1];
      const Sample& b = stored[i];
      if (state_of(a) != state_of(b)) continue;
      ++checkpoint_only;
      EXPECT_NE(checkpoints_of(a), checkpoints_of(b)) << "an unchanged sample was stored";
      EXPECT_GE(b.observed_at - a.observed_at, kMinute) << "checkpoints stored too often";
    }
    EXPECT_GT(checkpoint_only, 100);
  }
}

TEST_F(ThinningTest, IdenticalSamplesAreNotStoredButTheLastPollIsKnown) {
  auto store = open_with(path_, 1min);
  for (int i = 0; i < 30; ++i) {
    Sample s = ok_sample("np_1", kT0 + i * 10 * kSecond);
    s.status = "FINISHED";
    s.incr_checkpoint.clear();
    s.incr_lag_s.reset();
    OMSWATCH_RECORD(*store, poll_write(s));
  }
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 1u);
  EXPECT_EQ(store->sample_counts().stored, 1);
  EXPECT_EQ(store->sample_counts().skipped, 29);
  auto status = testing::value_of(store->latest_status());
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].observed_at, kT0);
  EXPECT_EQ(status[0].last_polled_at, kT0 + 290 * kSecond);  // saved with the detector state
}

TEST_F(ThinningTest, ZeroSampleEveryStoresEveryPoll) {
  auto store = open_with(path_, 0ms);
  for (int i = 0; i < 10; ++i) OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + i)));
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 10u);
}

TEST_F(ThinningTest, ANewSampleEveryAppliesToTheWritesThatFollow) {
  auto store = open_with(path_, 1h);
  Sample s = ok_sample("np_1", kT0);
  for (int i = 0; i < 5; ++i) {
    s.observed_at = kT0 + i * 10 * kSecond;
    OMSWATCH_RECORD(*store, poll_write(s));
  }
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 1u);
  StoreOptions every_poll;
  every_poll.sample_every = 0ms;
  store->set_history_options(every_poll);
  for (int i = 5; i < 10; ++i) {
    s.observed_at = kT0 + i * 10 * kSecond;
    OMSWATCH_RECORD(*store, poll_write(s));
  }
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 6u);
}

TEST_F(ThinningTest, TheOverloadWithoutOptionsStoresEveryPoll) {
  auto store = testing::open_store(path_);
  for (int i = 0; i < 3; ++i) OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0)));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + 1)));
  // The same millisecond twice is one row; every other poll is a row.
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 2u);
  EXPECT_EQ(store->sample_counts().stored, 4);
}

TEST_F(ThinningTest, ProjectsAreThinnedEachOnTheirOwn) {
  auto store = open_with(path_, 1min);
  // Same project id on two OMS, and another project: none hides the others.
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0, 5, "prod")));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + kSecond, 5, "test")));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_2", kT0 + 2 * kSecond)));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + 10 * kSecond, 6, "prod")));
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 2u);
  EXPECT_EQ(testing::value_of(store->history("np_2", std::nullopt, std::nullopt, 0)).size(), 1u);
}

TEST_F(ThinningTest, AClockThatWentBackStillStoresCheckpoints) {
  auto store = open_with(path_, 1min);
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0)));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 - 3600 * kSecond, 9)));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 - 3590 * kSecond, 10)));
  // The sample after the step back is stored; the next is thinned against it.
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 2u);
}

TEST_F(ThinningTest, ARolledBackWriteLeavesNothingBehindInMemory) {
  auto store = open_with(path_, 1min);
  auto e = make_event("evt_1", "np_new", "status_changed", "notice", "info", kT0);
  Sample s = ok_sample("np_new", kT0);
  s.status = "A_STATUS_NEVER_SEEN";
  // The delivery of an unknown event fails the write after the sample was written.
  ObservationWrite w = poll_write(s, {e}, {"ops"});
  w.deliveries.push_back({"evt_unknown", "ops"});
  ASSERT_FALSE(store->record(w).has_value());
  {
    auto db = open_raw(path_, sqlite::kOpenReadOnly);
    EXPECT_EQ(count_rows(db, "sample_rows"), 0);
    EXPECT_EQ(count_rows(db, "sample_projects"), 0);
    EXPECT_EQ(count_rows(db, "sample_texts"), 0);
  }
  // The same sample again: its project and status get keys that exist, and it
  // is stored, not taken for a repeat of the write that failed.
  OMSWATCH_RECORD(*store, poll_write(s, {e}, {"ops"}));
  auto h = testing::value_of(store->history("np_new", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].status, "A_STATUS_NEVER_SEEN");
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_new", kT0 + kMinute)));
  EXPECT_EQ(testing::value_of(store->history("np_new", std::nullopt, std::nullopt, 0)).size(), 2u);
}

TEST_F(ThinningTest, CheckpointsReadBackAsSent) {
  auto store = open_with(path_, 0ms);
  const std::vector<std::string> checkpoints = {"1689248064",
                                                "0",
                                                "-12",
                                                "007",
                                                "+5",
                                                "12,4096",
                                                "1e3",
                                                " 5",
                                                "99999999999999999999",
                                                "-9223372036854775808"};
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    Sample s = ok_sample("np_1", kT0 + static_cast<TimeMs>(i));
    s.incr_checkpoint = checkpoints[i];
    s.reverse_checkpoint = checkpoints[i];
    OMSWATCH_RECORD(*store, poll_write(s));
  }
  auto h = testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(h.size(), checkpoints.size());
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    EXPECT_EQ(h[i].incr_checkpoint, checkpoints[i]);
    EXPECT_EQ(h[i].reverse_checkpoint, checkpoints[i]);
  }
  // Plain numbers are stored as integers: the compact form.
  auto db = open_raw(path_, sqlite::kOpenReadOnly);
  sqlite::Statement st(db,
                       "SELECT count(*) FROM sample_rows WHERE typeof(incr_checkpoint) = "
                       "'integer'");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 4);  // 1689248064, 0, -12 and the smallest int64
}

TEST_F(ThinningTest, AnUnknownOutcomeIsRefusedByName) {
  auto store = open_with(path_, 1min);
  Sample s = ok_sample("np_1", kT0);
  s.outcome = "maybe";
  auto r = store->record(poll_write(s));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error(), ::testing::HasSubstr("outcome 'maybe' is not ok, unavailable or error"));
}

}  // namespace
}  // namespace omswatch::storage
