// The outbox: what is due, in which order, and how rows move to their end.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kMinute;
using testing::kSecond;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::open_store;
using testing::poll_write;

struct OutboxRow {
  std::string status;
  int attempts = 0;
  TimeMs next_attempt_at = 0;
  std::optional<TimeMs> delivered_at;
  std::optional<TimeMs> finished_at;
  std::string last_error;
};

class OutboxTest : public ::testing::Test {
 protected:
  // One event per poll, routed to `receivers`.
  void poll(const std::string& event_id, TimeMs at, std::vector<std::string> receivers) {
    auto e = make_event(event_id, "np_1", "incr_lagging", "firing", "warning", at);
    OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", at), {e}, std::move(receivers)));
  }

  std::vector<std::int64_t> due_ids(TimeMs now, int limit = 100) {
    std::vector<std::int64_t> ids;
    for (const auto& d : testing::value_of(store_->due_deliveries(now, limit))) ids.push_back(d.id);
    return ids;
  }

  OutboxRow row(std::int64_t id) {
    auto db = open_raw(path_, sqlite::kOpenReadOnly);
    sqlite::Statement st(db,
                         "SELECT status, attempts, next_attempt_at, delivered_at, finished_at, "
                         "last_error FROM outbox WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) throw std::runtime_error("no outbox row " + std::to_string(id));
    return OutboxRow{st.column_string(0),         st.column_int(1),
                     st.column_int64(2),          st.column_optional_int64(3),
                     st.column_optional_int64(4), st.column_string(5)};
  }

  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
  std::unique_ptr<Store> store_ = open_store(path_);
};

TEST_F(OutboxTest, DueRowsComeOldestFirstAndOnlyWhenDue) {
  poll("evt_1", kT0, {"oncall", "ops"});
  poll("evt_2", kT0 + kSecond, {"oncall"});
  poll("evt_3", kT0 + 2 * kSecond, {"ops"});
  auto all = due_ids(kT0 + 2 * kSecond);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));

  EXPECT_EQ(due_ids(kT0 - 1).size(), 0u);
  EXPECT_EQ(due_ids(kT0).size(), 2u);  // next_attempt_at <= now
  EXPECT_EQ(due_ids(kT0 + kSecond).size(), 3u);
  EXPECT_THAT(due_ids(kT0 + 2 * kSecond, 2), ElementsAre(all[0], all[1]));
  EXPECT_EQ(due_ids(kT0 + 2 * kSecond, 0).size(), 0u);

  // A retried row moves behind rows that fall due before it.
  ASSERT_TRUE(store_->mark_retry({all[0]}, kT0 + 10 * kSecond, "HTTP 503").has_value());
  EXPECT_THAT(due_ids(kT0 + 10 * kSecond), ElementsAre(all[1], all[2], all[3], all[0]));
  EXPECT_THAT(due_ids(kT0 + 9 * kSecond), ElementsAre(all[1], all[2], all[3]));

  auto due = testing::value_of(store_->due_deliveries(kT0 + 10 * kSecond, 100));
  EXPECT_EQ(due[0].event.id, "evt_1");
  EXPECT_EQ(due[0].receiver, "ops");
  EXPECT_EQ(due[3].event.id, "evt_1");
  EXPECT_EQ(due[3].receiver, "oncall");
  EXPECT_EQ(due[3].attempts, 1);
  EXPECT_EQ(due[3].next_attempt_at, kT0 + 10 * kSecond);
}

TEST_F(OutboxTest, DueRowsSayWhichAreRepeatsOfAConditionStillFiring) {
  auto first = make_event("evt_1", "np_1", "incr_lagging", "firing", "warning", kT0);
  first.details_json = R"({"lag_s":120})";
  auto repeat = make_event("evt_2", "np_1", "incr_lagging", "firing", "warning", kT0 + kMinute);
  repeat.details_json = R"({"lag_s":180,"repeat":2,"firing_for_s":60.0})";
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0 + kMinute), {first, repeat}, {"ops"}));
  auto due = testing::value_of(store_->due_deliveries(kT0 + kMinute, 100));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].event.id, "evt_1");
  EXPECT_EQ(due[0].repeat, 0);
  EXPECT_EQ(due[1].event.id, "evt_2");
  EXPECT_EQ(due[1].repeat, 2);
}

TEST_F(OutboxTest, NextDueAtAndPendingCountFollowTheRows) {
  EXPECT_EQ(testing::value_of(store_->next_due_at()), std::nullopt);
  EXPECT_EQ(testing::value_of(store_->pending_count()), 0);
  poll("evt_1", kT0, {"oncall", "ops"});
  EXPECT_EQ(testing::value_of(store_->next_due_at()), kT0);
  EXPECT_EQ(testing::value_of(store_->pending_count()), 2);

  auto ids = due_ids(kT0);
  ASSERT_TRUE(store_->mark_retry(ids, kT0 + kMinute, "timeout").has_value());
  EXPECT_EQ(testing::value_of(store_->next_due_at()), kT0 + kMinute);
  EXPECT_EQ(testing::value_of(store_->pending_count()), 2);
  ASSERT_TRUE(store_->mark_delivered({ids[0]}, kT0 + kMinute).has_value());
  ASSERT_TRUE(store_->mark_final({ids[1]}, "silenced", "silence s1", kT0 + kMinute).has_value());
  EXPECT_EQ(testing::value_of(store_->next_due_at()), std::nullopt);
  EXPECT_EQ(testing::value_of(store_->pending_count()), 0);
}

TEST_F(OutboxTest, RetryThenDeliveredRecordsEveryAttempt) {
  poll("evt_1", kT0, {"oncall"});
  const auto id = due_ids(kT0).at(0);
  ASSERT_TRUE(
      store_->mark_retry({id}, kT0 + 2 * kSecond, "HTTP 503 Service Unavailable").has_value());
  OutboxRow r = row(id);
  EXPECT_EQ(r.status, "pending");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.next_attempt_at, kT0 + 2 * kSecond);
  EXPECT_EQ(r.last_error, "HTTP 503 Service Unavailable");
  EXPECT_EQ(r.finished_at, std::nullopt);

  ASSERT_TRUE(store_->mark_retry({id}, kT0 + 6 * kSecond, "timeout after 10s").has_value());
  EXPECT_EQ(row(id).attempts, 2);
  ASSERT_TRUE(store_->mark_delivered({id}, kT0 + 7 * kSecond).has_value());
  r = row(id);
  EXPECT_EQ(r.status, "delivered");
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.delivered_at, kT0 + 7 * kSecond);
  EXPECT_EQ(r.finished_at, kT0 + 7 * kSecond);
  EXPECT_EQ(r.last_error, "timeout after 10s");  // why the earlier attempts failed
  EXPECT_TRUE(due_ids(kT0 + kMinute).empty());
}

TEST_F(OutboxTest, FinalStatusesKeepTheReason) {
  poll("evt_1", kT0, {"oncall", "ops"});
  auto ids = due_ids(kT0);
  ASSERT_TRUE(
      store_->mark_final({ids[0]}, "failed", "HTTP 404: no such hook", kT0 + kSecond).has_value());
  ASSERT_TRUE(
      store_->mark_final({ids[1]}, "silenced", "silence 7 by alice", kT0 + kSecond).has_value());
  OutboxRow failed = row(ids[0]);
  EXPECT_EQ(failed.status, "failed");
  EXPECT_EQ(failed.last_error, "HTTP 404: no such hook");
  EXPECT_EQ(failed.finished_at, kT0 + kSecond);
  EXPECT_EQ(failed.delivered_at, std::nullopt);
  EXPECT_EQ(failed.attempts, 0);
  EXPECT_EQ(row(ids[1]).status, "silenced");
  EXPECT_TRUE(due_ids(kT0 + kMinute).empty());
}

TEST_F(OutboxTest, OnlyPendingRowsChange) {
  poll("evt_1", kT0, {"oncall"});
  const auto id = due_ids(kT0).at(0);
  ASSERT_TRUE(store_->mark_delivered({id}, kT0 + kSecond).has_value());
  // Late or repeated marks leave a finished row as it is.
  ASSERT_TRUE(store_->mark_delivered({id}, kT0 + 2 * kSecond).has_value());
  ASSERT_TRUE(store_->mark_retry({id}, kT0 + kMinute, "late").has_value());
  ASSERT_TRUE(store_->mark_final({id}, "failed", "late", kT0 + kMinute).has_value());
  OutboxRow r = row(id);
  EXPECT_EQ(r.status, "delivered");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.delivered_at, kT0 + kSecond);
  EXPECT_EQ(r.last_error, "");
  // Unknown ids and empty lists are no-ops.
  EXPECT_TRUE(store_->mark_delivered({12345}, kT0).has_value());
  EXPECT_TRUE(store_->mark_retry({}, kT0, "x").has_value());
}

TEST_F(OutboxTest, FinalStatusMustBeFailedOrSilenced) {
  poll("evt_1", kT0, {"oncall"});
  const auto id = due_ids(kT0).at(0);
  for (const char* status : {"delivered", "pending", "done", ""}) {
    auto r = store_->mark_final({id}, status, "x", kT0);
    ASSERT_FALSE(r.has_value()) << status;
    EXPECT_THAT(r.error(), HasSubstr("failed or silenced"));
  }
  EXPECT_EQ(row(id).status, "pending");
}

TEST_F(OutboxTest, RetryErrorTextIsBounded) {
  poll("evt_1", kT0, {"oncall"});
  const auto id = due_ids(kT0).at(0);
  ASSERT_TRUE(store_->mark_retry({id}, kT0 + kSecond, std::string(100'000, 'x')).has_value());
  EXPECT_EQ(row(id).last_error.size(), 4096u);
}

}  // namespace
}  // namespace omswatch::storage
