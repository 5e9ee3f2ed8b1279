// The queries behind `omswatch status`, `history` and `events`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using ::testing::ElementsAre;
using testing::failed_sample;
using testing::kHour;
using testing::kMinute;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_store;
using testing::poll_write;

// EventFilter with only the fields a test sets.
struct Filter {
  Filter& project(std::string v) {
    f.project_id = std::move(v);
    return *this;
  }
  Filter& kind(std::string v) {
    f.kind = std::move(v);
    return *this;
  }
  Filter& min_severity(std::string v) {
    f.min_severity = std::move(v);
    return *this;
  }
  Filter& since(TimeMs v) {
    f.since = v;
    return *this;
  }
  Filter& until(TimeMs v) {
    f.until = v;
    return *this;
  }
  Filter& limit(int v) {
    f.limit = v;
    return *this;
  }
  operator const EventFilter&() const { return f; }  // NOLINT: a builder

  EventFilter f;
};

class QueriesTest : public ::testing::Test {
 protected:
  void record(const ObservationWrite& w) { OMSWATCH_RECORD(*store_, w); }

  // Records an event for np_1 in a poll of its own.
  void event(const std::string& id, const std::string& project_id, const std::string& kind,
             const std::string& state, const std::string& severity, TimeMs at,
             std::vector<std::string> receivers = {}) {
    record(poll_write(ok_sample(project_id, at),
                      {make_event(id, project_id, kind, state, severity, at)},
                      std::move(receivers)));
  }

  std::vector<std::string> event_ids(const EventFilter& f) {
    std::vector<std::string> ids;
    for (const auto& e : testing::value_of(store_->events(f))) ids.push_back(e.event.id);
    return ids;
  }

  std::vector<TimeMs> history_times(const std::string& project_id, std::optional<TimeMs> since,
                                    std::optional<TimeMs> until, int limit) {
    std::vector<TimeMs> times;
    for (const auto& s : testing::value_of(store_->history(project_id, since, until, limit))) {
      times.push_back(s.observed_at);
    }
    return times;
  }

  omswatch::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = open_store(dir_.file("omswatch.db"));
};

TEST_F(QueriesTest, LatestStatusShowsTheLatestSampleOfEachProject) {
  EXPECT_TRUE(testing::value_of(store_->latest_status()).empty());
  record(poll_write(ok_sample("np_2", kT0, 30)));
  record(poll_write(ok_sample("np_1", kT0, 10)));
  record(poll_write(ok_sample("np_1", kT0 + kMinute, 20)));
  record(poll_write(failed_sample("np_2", kT0 + kMinute)));
  // The same project id on another OMS is another project.
  record(poll_write(ok_sample("np_1", kT0 + 2 * kMinute, 99, "test")));
  // Samples recorded late (out of time order) do not count as latest.
  record(poll_write(ok_sample("np_1", kT0 - kHour, 1)));

  auto status = testing::value_of(store_->latest_status());
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status[0].oms, "prod");
  EXPECT_EQ(status[0].project_id, "np_1");
  EXPECT_EQ(status[0].observed_at, kT0 + kMinute);
  EXPECT_EQ(status[0].incr_lag_s, 20);
  EXPECT_EQ(status[0].status, "RUNNING");
  EXPECT_EQ(status[0].current_step, "INCR_TRANSFER");
  EXPECT_EQ(status[0].alarm_level, "HIGH");
  EXPECT_EQ(status[0].struct_progress, 100);
  EXPECT_EQ(status[0].outcome, "ok");
  EXPECT_EQ(status[1].project_id, "np_2");
  EXPECT_EQ(status[1].outcome, "error");
  EXPECT_EQ(status[1].error, "connect: connection refused");
  EXPECT_EQ(status[1].incr_lag_s, std::nullopt);
  EXPECT_EQ(status[1].full_progress, std::nullopt);
  EXPECT_EQ(status[2].oms, "test");
  EXPECT_EQ(status[2].incr_lag_s, 99);
}

TEST_F(QueriesTest, LatestStatusCountsConditionsFiringNow) {
  // np_1: lagging fired, repeated, then resolved; failed fired and holds.
  event("e1", "np_1", "incr_lagging", "firing", "warning", kT0);
  event("e2", "np_1", "incr_lagging", "firing", "warning", kT0 + kHour);
  event("e3", "np_1", "incr_lagging", "resolved", "warning", kT0 + 2 * kHour);
  event("e4", "np_1", "project_failed", "firing", "critical", kT0 + 2 * kHour);
  // Notices never count.
  event("e5", "np_1", "status_changed", "notice", "info", kT0 + 2 * kHour);
  // np_2: stalled resolved, then fired again: open.
  event("e6", "np_2", "incr_stalled", "firing", "critical", kT0);
  event("e7", "np_2", "incr_stalled", "resolved", "critical", kT0 + kMinute);
  event("e8", "np_2", "incr_stalled", "firing", "critical", kT0 + 2 * kMinute);
  event("e9", "np_2", "incr_lagging", "firing", "warning", kT0 + 2 * kMinute);
  event("e10", "np_1", "project_suspended", "firing", "warning", kT0);
  // The OMS itself, and np_1 on another OMS: neither counts for prod/np_1.
  ObservationWrite oms_write;
  oms_write.oms = "prod";
  oms_write.now = kT0;
  oms_write.events.push_back(make_event("e11", "", "oms_unreachable", "firing", "critical", kT0));
  record(oms_write);
  record(poll_write(
      ok_sample("np_1", kT0, 5, "test"),
      {make_event("e12", "np_1", "project_suspended", "firing", "warning", kT0, "test")}));

  auto status = testing::value_of(store_->latest_status());
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status[0].project_id, "np_1");
  EXPECT_EQ(status[0].oms, "prod");
  EXPECT_EQ(status[0].open_conditions, 2);  // project_failed, project_suspended
  EXPECT_EQ(status[1].project_id, "np_2");
  EXPECT_EQ(status[1].open_conditions, 2);
  EXPECT_EQ(status[2].oms, "test");
  EXPECT_EQ(status[2].open_conditions, 1);
}

TEST_F(QueriesTest, HistoryIsAscendingWithinSinceAndUntil) {
  for (int i = 0; i < 10; ++i) record(poll_write(ok_sample("np_1", kT0 + i * kMinute)));
  record(poll_write(ok_sample("np_2", kT0 + 5 * kMinute)));

  EXPECT_EQ(history_times("np_1", std::nullopt, std::nullopt, 0).size(), 10u);
  EXPECT_EQ(history_times("np_404", std::nullopt, std::nullopt, 0).size(), 0u);
  // since is inclusive, until exclusive.
  EXPECT_THAT(history_times("np_1", kT0 + 2 * kMinute, kT0 + 5 * kMinute, 0),
              ElementsAre(kT0 + 2 * kMinute, kT0 + 3 * kMinute, kT0 + 4 * kMinute));
  EXPECT_THAT(history_times("np_1", kT0 + 8 * kMinute, std::nullopt, 0),
              ElementsAre(kT0 + 8 * kMinute, kT0 + 9 * kMinute));
  EXPECT_THAT(history_times("np_1", std::nullopt, kT0 + 2 * kMinute, 0),
              ElementsAre(kT0, kT0 + kMinute));
  EXPECT_TRUE(history_times("np_1", kT0 + 5 * kMinute, kT0 + 5 * kMinute, 0).empty());
}

TEST_F(QueriesTest, HistoryLimitKeepsTheMostRecentRowsInAscendingOrder) {
  // Recorded out of order: the order comes from observed_at.
  for (int i : {3, 0, 4, 1, 2}) record(poll_write(ok_sample("np_1", kT0 + i * kMinute)));
  EXPECT_THAT(history_times("np_1", std::nullopt, std::nullopt, 2),
              ElementsAre(kT0 + 3 * kMinute, kT0 + 4 * kMinute));
  EXPECT_THAT(history_times("np_1", std::nullopt, kT0 + 3 * kMinute, 2),
              ElementsAre(kT0 + kMinute, kT0 + 2 * kMinute));
  EXPECT_EQ(history_times("np_1", std::nullopt, std::nullopt, 5).size(), 5u);
  EXPECT_EQ(history_times("np_1", std::nullopt, std::nullopt, 50).size(), 5u);
  EXPECT_EQ(history_times("np_1", std::nullopt, std::nullopt, -1).size(), 5u);
}

class EventQueriesTest : public QueriesTest {
 protected:
  void SetUp() override {
    event("a", "np_1", "status_changed", "notice", "info", kT0, {"ops"});
    event("b", "np_1", "incr_lagging", "firing", "warning", kT0 + kMinute, {"oncall", "ops"});
    event("c", "np_2", "project_failed", "firing", "critical", kT0 + 2 * kMinute, {"oncall"});
    event("d", "np_1", "incr_lagging", "resolved", "warning", kT0 + 3 * kMinute);
    event("e", "np_2", "project_failed", "resolved", "critical", kT0 + 4 * kMinute);
  }
};

TEST_F(EventQueriesTest, NewestFirstWithFilters) {
  EXPECT_THAT(event_ids(Filter()), ElementsAre("e", "d", "c", "b", "a"));
  EXPECT_THAT(event_ids(Filter().project("np_1")), ElementsAre("d", "b", "a"));
  EXPECT_THAT(event_ids(Filter().kind("incr_lagging")), ElementsAre("d", "b"));
  EXPECT_THAT(event_ids(Filter().project("np_2").kind("incr_lagging")), ElementsAre());
  EXPECT_THAT(event_ids(Filter().since(kT0 + kMinute).until(kT0 + 3 * kMinute)),
              ElementsAre("c", "b"));
  EXPECT_THAT(event_ids(Filter().limit(2)), ElementsAre("e", "d"));
  EXPECT_THAT(event_ids(Filter().project("np_404")), ElementsAre());
}

TEST_F(EventQueriesTest, MinSeverityKeepsThatSeverityAndAbove) {
  EXPECT_THAT(event_ids(Filter().min_severity("info")), ElementsAre("e", "d", "c", "b", "a"));
  EXPECT_THAT(event_ids(Filter().min_severity("warning")), ElementsAre("e", "d", "c", "b"));
  EXPECT_THAT(event_ids(Filter().min_severity("critical")), ElementsAre("e", "c"));
  EXPECT_THAT(event_ids(Filter().project("np_1").min_severity("critical")), ElementsAre());
  EXPECT_THROW(testing::value_of(store_->events(Filter().min_severity("urgent"))),
               std::invalid_argument);
}

TEST_F(EventQueriesTest, EachEventCarriesItsDeliveries) {
  auto due = testing::value_of(store_->due_deliveries(kT0 + kHour, 100));
  for (const auto& d : due) {
    if (d.event.id == "b" && d.receiver == "oncall") {
      ASSERT_TRUE(store_->mark_delivered({d.id}, kT0 + kMinute + 500).has_value());
    }
    if (d.event.id == "b" && d.receiver == "ops") {
      ASSERT_TRUE(store_->mark_retry({d.id}, kT0 + kHour, "HTTP 502").has_value());
    }
  }
  auto events = testing::value_of(store_->events(Filter().kind("incr_lagging")));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].deliveries.empty());  // "d" went nowhere
  const auto& b = events[1];
  EXPECT_EQ(b.event.id, "b");
  EXPECT_EQ(b.event.severity, "warning");
  ASSERT_EQ(b.deliveries.size(), 2u);
  EXPECT_EQ(b.deliveries[0].receiver, "oncall");
  EXPECT_EQ(b.deliveries[0].status, "delivered");
  EXPECT_EQ(b.deliveries[0].attempts, 1);
  EXPECT_EQ(b.deliveries[0].delivered_at, kT0 + kMinute + 500);
  EXPECT_EQ(b.deliveries[1].receiver, "ops");
  EXPECT_EQ(b.deliveries[1].status, "pending");
  EXPECT_EQ(b.deliveries[1].attempts, 1);
  EXPECT_EQ(b.deliveries[1].last_error, "HTTP 502");
  EXPECT_EQ(b.deliveries[1].delivered_at, std::nullopt);
}

}  // namespace
}  // namespace omswatch::storage
