// record(): one observation's writes, all or nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using testing::count_rows;
using testing::failed_sample;
using ::testing::HasSubstr;
using testing::kMinute;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::open_store;
using testing::poll_write;

class RecordTest : public ::testing::Test {
 protected:
  std::int64_t rows(const std::string& table) {
    auto db = open_raw(path_, sqlite::kOpenReadOnly);
    return count_rows(db, table);
  }

  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
  std::unique_ptr<Store> store_ = open_store(path_);
};

TEST_F(RecordTest, StoresSampleStateEventsAndDeliveries) {
  auto failed = make_event("evt_a", "np_1", "project_failed", "firing", "critical", kT0);
  auto status = make_event("evt_b", "np_1", "status_changed", "notice", "info", kT0);
  auto w = poll_write(ok_sample("np_1", kT0), {failed, status}, {"oncall", "ops"});
  w.oms_state_json = R"({"failed_polls":0})";
  OMSWATCH_RECORD(*store_, w);

  EXPECT_EQ(rows("samples"), 1);
  EXPECT_EQ(rows("project_state"), 1);
  EXPECT_EQ(rows("oms_state"), 1);
  EXPECT_EQ(rows("events"), 2);
  EXPECT_EQ(rows("outbox"), 4);

  auto due = testing::value_of(store_->due_deliveries(kT0, 100));
  ASSERT_EQ(due.size(), 4u);
  for (const auto& d : due) {
    EXPECT_EQ(d.attempts, 0);
    EXPECT_EQ(d.created_at, kT0);
    EXPECT_EQ(d.next_attempt_at, kT0);
  }
  const EventRecord& e = due[0].event;
  EXPECT_EQ(e.id, "evt_a");
  EXPECT_EQ(e.oms, "prod");
  EXPECT_EQ(e.project_id, "np_1");
  EXPECT_EQ(e.kind, "project_failed");
  EXPECT_EQ(e.state, "firing");
  EXPECT_EQ(e.severity, "critical");
  EXPECT_EQ(e.alarm_level, "HIGH");
  EXPECT_EQ(e.summary, failed.summary);
  EXPECT_EQ(e.details_json, failed.details_json);
  EXPECT_EQ(e.progress_json, failed.progress_json);
  EXPECT_EQ(e.observed_at, kT0);
}

TEST_F(RecordTest, SampleRoundTripsWithAbsentValuesAsNull) {
  Sample ok = ok_sample("np_1", kT0, 42);
  ok.reverse_checkpoint = "1795924700";
  ok.reverse_lag_s = 100;
  OMSWATCH_RECORD(*store_, poll_write(ok));
  OMSWATCH_RECORD(*store_, poll_write(failed_sample("np_1", kT0 + kMinute)));

  auto h = testing::value_of(store_->history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].oms, "prod");
  EXPECT_EQ(h[0].outcome, "ok");
  EXPECT_EQ(h[0].status, "RUNNING");
  EXPECT_EQ(h[0].alarm_level, "HIGH");
  EXPECT_EQ(h[0].current_step, "INCR_TRANSFER");
  EXPECT_EQ(h[0].struct_progress, 100);
  EXPECT_EQ(h[0].full_progress, 100);
  EXPECT_EQ(h[0].incr_checkpoint, ok.incr_checkpoint);
  EXPECT_EQ(h[0].incr_lag_s, 42);
  EXPECT_EQ(h[0].reverse_checkpoint, "1795924700");
  EXPECT_EQ(h[0].reverse_lag_s, 100);
  EXPECT_EQ(h[0].latency_us, 1800);
  EXPECT_EQ(h[0].error, "");

  EXPECT_EQ(h[1].outcome, "error");
  EXPECT_EQ(h[1].error, "connect: connection refused");
  EXPECT_EQ(h[1].status, "");
  EXPECT_EQ(h[1].struct_progress, std::nullopt);
  EXPECT_EQ(h[1].incr_lag_s, std::nullopt);

  // In the file, what is absent is NULL, so `IS NULL` finds it.
  auto db = open_raw(path_, sqlite::kOpenReadOnly);
  sqlite::Statement st(db,
                       "SELECT count(*) FROM samples WHERE status IS NULL AND incr_checkpoint "
                       "IS NULL AND struct_progress IS NULL AND error IS NOT NULL");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 1);
}

TEST_F(RecordTest, StateIsUpsertedNotDuplicated) {
  auto w = poll_write(ok_sample("np_1", kT0));
  w.oms_state_json = R"({"v":1})";
  OMSWATCH_RECORD(*store_, w);
  w = poll_write(ok_sample("np_1", kT0 + kMinute));
  w.project_state_json = R"({"status":"FAILED"})";
  w.oms_state_json = R"({"v":2})";
  OMSWATCH_RECORD(*store_, w);

  auto states = testing::value_of(store_->load_project_states());
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].state_json, R"({"status":"FAILED"})");
  EXPECT_EQ(states[0].updated_at, kT0 + kMinute);
  EXPECT_EQ(testing::value_of(store_->load_oms_state("prod")), R"({"v":2})");
  EXPECT_EQ(rows("oms_state"), 1);
}

TEST_F(RecordTest, WithoutStateLeavesTheSavedStateAlone) {
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0)));
  auto w = poll_write(ok_sample("np_1", kT0 + kMinute));
  w.project_state_json.reset();
  OMSWATCH_RECORD(*store_, w);
  auto states = testing::value_of(store_->load_project_states());
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].updated_at, kT0);
}

TEST_F(RecordTest, OmsLevelEventHasNoProject) {
  ObservationWrite w;
  w.oms = "prod";
  w.now = kT0;
  w.oms_state_json = R"({"unreachable":true})";
  w.events.push_back(make_event("evt_oms", "", "oms_unreachable", "firing", "critical", kT0));
  w.deliveries.push_back({"evt_oms", "oncall"});
  OMSWATCH_RECORD(*store_, w);

  auto due = testing::value_of(store_->due_deliveries(kT0, 10));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].event.project_id, "");
  auto db = open_raw(path_, sqlite::kOpenReadOnly);
  sqlite::Statement st(db, "SELECT count(*) FROM events WHERE project_id IS NULL");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 1);
}

// A failure half-way through (here the second event reuses an id) leaves
// nothing of the write behind: no sample, no state, no event, no delivery.
TEST_F(RecordTest, DuplicateEventIdRollsBackTheWholeWrite) {
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0)));
  ASSERT_EQ(testing::value_of(store_->load_project_states())[0].updated_at, kT0);

  auto first = make_event("evt_new", "np_1", "project_failed", "firing", "critical", kT0 + kMinute);
  auto again = make_event("evt_new", "np_1", "status_changed", "notice", "info", kT0 + kMinute);
  auto w = poll_write(ok_sample("np_1", kT0 + kMinute), {first, again}, {"oncall"});
  w.deliveries.resize(1);  // the duplicate fails before its own delivery
  w.project_state_json = R"({"status":"FAILED"})";
  w.oms_state_json = R"({"v":1})";
  auto r = store_->record(w);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error(), HasSubstr("np_1 on prod"));
  EXPECT_THAT(r.error(), HasSubstr("event evt_new"));
  EXPECT_THAT(r.error(), HasSubstr("UNIQUE constraint failed: events.id"));

  EXPECT_EQ(rows("samples"), 1);
  EXPECT_EQ(rows("events"), 0);
  EXPECT_EQ(rows("outbox"), 0);
  EXPECT_EQ(rows("oms_state"), 0);
  auto states = testing::value_of(store_->load_project_states());
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].state_json, R"({"status":"RUNNING"})");
  EXPECT_EQ(states[0].updated_at, kT0);
  EXPECT_EQ(testing::value_of(store_->pending_count()), 0);

  // The store is usable afterwards: no transaction was left open.
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0 + 2 * kMinute), {first}, {"oncall"}));
  EXPECT_EQ(rows("samples"), 2);
  EXPECT_EQ(testing::value_of(store_->pending_count()), 1);
}

TEST_F(RecordTest, EventIdOfAnEarlierWriteIsRefused) {
  auto e = make_event("evt_once", "np_1", "project_failed", "firing", "critical", kT0);
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0), {e}, {"oncall"}));
  auto r = store_->record(poll_write(ok_sample("np_1", kT0 + kMinute), {e}, {"ops"}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(rows("samples"), 1);
  EXPECT_EQ(rows("outbox"), 1);
}

TEST_F(RecordTest, DuplicateDeliveryRollsBack) {
  auto e = make_event("evt_1", "np_1", "project_failed", "firing", "critical", kT0);
  auto w = poll_write(ok_sample("np_1", kT0), {e}, {"oncall", "oncall"});
  auto r = store_->record(w);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error(), HasSubstr("delivery of evt_1 to oncall"));
  EXPECT_THAT(r.error(), HasSubstr("UNIQUE constraint failed"));
  EXPECT_EQ(rows("samples"), 0);
  EXPECT_EQ(rows("events"), 0);
}

TEST_F(RecordTest, ValuesOutsideTheSchemaAreRefused) {
  Sample bad_outcome = ok_sample("np_1", kT0);
  bad_outcome.outcome = "maybe";
  EXPECT_FALSE(store_->record(poll_write(bad_outcome)).has_value());

  Sample no_project = ok_sample("np_1", kT0);
  no_project.project_id = "";
  EXPECT_FALSE(store_->record(poll_write(no_project)).has_value());

  auto bad_state = make_event("evt_1", "np_1", "project_failed", "burning", "critical", kT0);
  EXPECT_FALSE(store_->record(poll_write(ok_sample("np_1", kT0), {bad_state})).has_value());

  auto bad_severity = make_event("evt_2", "np_1", "project_failed", "firing", "urgent", kT0);
  auto r = store_->record(poll_write(ok_sample("np_1", kT0), {bad_severity}));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error(), HasSubstr("CHECK constraint failed"));

  auto no_id = make_event("", "np_1", "project_failed", "firing", "critical", kT0);
  EXPECT_FALSE(store_->record(poll_write(ok_sample("np_1", kT0), {no_id})).has_value());

  ObservationWrite state_without_project;
  state_without_project.oms = "prod";
  state_without_project.project_state_json = "{}";
  EXPECT_FALSE(store_->record(state_without_project).has_value());
  ObservationWrite state_without_oms;
  state_without_oms.oms_state_json = "{}";
  EXPECT_FALSE(store_->record(state_without_oms).has_value());

  EXPECT_EQ(rows("samples"), 0);
  EXPECT_EQ(rows("project_state"), 0);
  EXPECT_EQ(rows("oms_state"), 0);
  EXPECT_EQ(rows("events"), 0);
}

TEST_F(RecordTest, HugeErrorTextsAreBounded) {
  Sample s = failed_sample("np_1", kT0);
  s.error = std::string(1 << 20, 'e');
  OMSWATCH_RECORD(*store_, poll_write(s));
  auto h = testing::value_of(store_->history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].error.size(), 4096u);
}

TEST_F(RecordTest, BoundingErrorTextKeepsUtf8Whole) {
  Sample s = failed_sample("np_1", kT0);
  s.error = std::string(4095, 'e') + "\xC3\xA9" + "tail";  // 'é' straddles the bound
  OMSWATCH_RECORD(*store_, poll_write(s));
  auto h = testing::value_of(store_->history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].error, std::string(4095, 'e'));
}

TEST_F(RecordTest, EmptyJsonIsStoredAsAnEmptyObject) {
  auto e = make_event("evt_1", "np_1", "status_changed", "notice", "info", kT0);
  e.details_json.clear();
  e.progress_json.clear();
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0), {e}, {"ops"}));
  auto due = testing::value_of(store_->due_deliveries(kT0, 1));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].event.details_json, "{}");
  EXPECT_EQ(due[0].event.progress_json, "{}");
}

}  // namespace
}  // namespace omswatch::storage
