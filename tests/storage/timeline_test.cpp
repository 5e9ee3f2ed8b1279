// status_timeline() and the status_intervals view: a project's history as
// intervals of one outcome and status.

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
using testing::failed_sample;
using testing::kHour;
using testing::kMinute;
using testing::kSecond;
using testing::kT0;
using testing::ok_sample;
using testing::open_raw;
using testing::poll_write;

auto fields(const StatusInterval& i) {
  return std::tie(i.oms, i.project_id, i.outcome, i.status, i.from, i.to, i.ongoing);
}

MATCHER_P5(Interval, outcome, status, from, to, ongoing, "") {
  return arg.outcome == outcome && arg.status == status && arg.from == from && arg.to == to &&
         arg.ongoing == ongoing;
}

class TimelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;  // thinned, as the daemon stores them
    auto store = Store::open(path_, OpenMode::read_write, options);
    if (!store) throw std::runtime_error(store.error());
    store_ = std::move(*store);
  }
  void poll(Sample s) { OMSWATCH_RECORD(*store_, poll_write(std::move(s))); }
  Sample with_status(const std::string& status, TimeMs at, const std::string& oms = "prod") {
    Sample s = ok_sample("np_1", at, 5, oms);
    s.status = status;
    return s;
  }
  // The view's rows for np_1, as intervals.
  std::vector<StatusInterval> from_view() {
    auto db = open_raw(path_, sqlite::kOpenReadOnly);
    sqlite::Statement st(db,
                         "SELECT oms, project_id, outcome, coalesce(status, ''), from_at, to_at, "
                         "ongoing, duration_s FROM status_intervals WHERE project_id = 'np_1' "
                         "ORDER BY from_at, oms");
    std::vector<StatusInterval> out;
    while (st.step()) {
      StatusInterval i{st.column_string(0),  st.column_string(1), st.column_string(2),
                       st.column_string(3),  st.column_int64(4),  st.column_int64(5),
                       st.column_int(6) == 1};
      EXPECT_EQ(st.column_int64(7), (i.to - i.from) / 1000);
      out.push_back(i);
    }
    return out;
  }

  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
  std::unique_ptr<Store> store_;
};

TEST_F(TimelineTest, IntervalsOfStatusAndFailedPolls) {
  // RUNNING for an hour (polled every 10 s), two failed polls, RUNNING, FAILED.
  TimeMs t = kT0;
  for (; t < kT0 + kHour; t += 10 * kSecond) poll(with_status("RUNNING", t));
  poll(failed_sample("np_1", t));
  poll(failed_sample("np_1", t + 10 * kSecond));
  const TimeMs back = t + 20 * kSecond;
  for (t = back; t < back + 30 * kMinute; t += 10 * kSecond) poll(with_status("RUNNING", t));
  const TimeMs failed = t;
  for (; t < failed + 2 * kHour; t += 10 * kSecond) poll(with_status("FAILED", t));
  const TimeMs last_poll = t - 10 * kSecond;

  auto all = testing::value_of(store_->status_timeline("np_1", std::nullopt, std::nullopt));
  EXPECT_THAT(all, ::testing::ElementsAre(Interval("ok", "RUNNING", kT0, kT0 + kHour, false),
                                          Interval("error", "", kT0 + kHour, back, false),
                                          Interval("ok", "RUNNING", back, failed, false),
                                          Interval("ok", "FAILED", failed, last_poll, true)));
  EXPECT_EQ(all[0].oms, "prod");
  EXPECT_EQ(all[0].project_id, "np_1");

  // The same from the view.
  auto view = from_view();
  ASSERT_EQ(view.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(fields(view[i]), fields(all[i])) << i;

  // A window keeps the intervals that overlap it, with their real bounds.
  EXPECT_THAT(testing::value_of(
                  store_->status_timeline("np_1", kT0 + 30 * kMinute, kT0 + kHour + 5 * kSecond)),
              ::testing::ElementsAre(Interval("ok", "RUNNING", kT0, kT0 + kHour, false),
                                     Interval("error", "", kT0 + kHour, back, false)));
  EXPECT_THAT(testing::value_of(store_->status_timeline("np_1", failed + kMinute, std::nullopt)),
              ::testing::ElementsAre(Interval("ok", "FAILED", failed, last_poll, true)));
  // Until cuts in the middle of the last interval: it still ends where it ends.
  EXPECT_THAT(testing::value_of(store_->status_timeline("np_1", back, back + kMinute)),
              ::testing::ElementsAre(Interval("ok", "RUNNING", back, failed, false)));
  EXPECT_TRUE(testing::value_of(store_->status_timeline("np_1", std::nullopt, kT0)).empty());
  EXPECT_TRUE(
      testing::value_of(store_->status_timeline("np_404", std::nullopt, std::nullopt)).empty());
}

TEST_F(TimelineTest, TheOngoingIntervalLastsUntilTheLatestPoll) {
  poll(with_status("FINISHED", kT0));
  // Polls that change nothing store no sample, but save the detector state.
  for (int i = 1; i <= 30; ++i) poll(with_status("FINISHED", kT0 + i * 10 * kSecond));
  auto all = testing::value_of(store_->status_timeline("np_1", std::nullopt, std::nullopt));
  EXPECT_THAT(all,
              ::testing::ElementsAre(Interval("ok", "FINISHED", kT0, kT0 + 300 * kSecond, true)));
  auto view = from_view();
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(fields(view[0]), fields(all[0]));
}

TEST_F(TimelineTest, EachOmsHasItsOwnTimeline) {
  poll(with_status("RUNNING", kT0, "prod"));
  poll(with_status("RUNNING", kT0 + kMinute, "test"));
  poll(with_status("SUSPEND", kT0 + 2 * kMinute, "prod"));
  auto all = testing::value_of(store_->status_timeline("np_1", std::nullopt, std::nullopt));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(std::tie(all[0].oms, all[0].status), std::make_tuple("prod", "RUNNING"));
  EXPECT_EQ(std::tie(all[1].oms, all[1].status), std::make_tuple("test", "RUNNING"));
  EXPECT_EQ(std::tie(all[2].oms, all[2].status), std::make_tuple("prod", "SUSPEND"));
  EXPECT_EQ(all[0].to, kT0 + 2 * kMinute);
  EXPECT_TRUE(all[1].ongoing);
  auto view = from_view();
  ASSERT_EQ(view.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(fields(view[i]), fields(all[i])) << i;
}

TEST_F(TimelineTest, AgreesWithTheViewOnARandomHistory) {
  std::mt19937 rng(42);
  const char* statuses[] = {"RUNNING", "SUSPEND", "FAILED"};
  std::string status = "RUNNING";
  for (int i = 0; i < 3000; ++i) {
    const TimeMs at = kT0 + i * 10 * kSecond;
    if (rng() % 100 == 0) status = statuses[rng() % 3];
    if (rng() % 50 == 0) {
      poll(failed_sample("np_1", at));
    } else {
      poll(with_status(status, at));
    }
  }
  auto all = testing::value_of(store_->status_timeline("np_1", std::nullopt, std::nullopt));
  auto view = from_view();
  ASSERT_GT(all.size(), 40u);
  ASSERT_EQ(view.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(fields(view[i]), fields(all[i])) << i;
    if (i > 0) {
      EXPECT_EQ(all[i - 1].to, all[i].from);
      EXPECT_NE(std::tie(all[i - 1].outcome, all[i - 1].status),
                std::tie(all[i].outcome, all[i].status));
    }
  }
  // Any window gives the overlapping slice of the whole timeline.
  for (int k = 0; k < 20; ++k) {
    const TimeMs since = kT0 + static_cast<TimeMs>(rng() % 30000) * kSecond;
    const TimeMs until = since + static_cast<TimeMs>(rng() % 5000) * kSecond;
    std::vector<StatusInterval> expected;
    for (const auto& i : all) {
      if (i.from < until && (i.to > since || i.ongoing)) expected.push_back(i);
    }
    auto window = testing::value_of(store_->status_timeline("np_1", since, until));
    ASSERT_EQ(window.size(), expected.size()) << since << " " << until;
    for (std::size_t i = 0; i < window.size(); ++i) {
      EXPECT_EQ(fields(window[i]), fields(expected[i]));
    }
  }
}

}  // namespace
}  // namespace omswatch::storage
