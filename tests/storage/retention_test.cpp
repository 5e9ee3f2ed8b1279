// prune() and vacuum_step(): old history goes in small batches, events with
// a pending delivery stay, and the file can shrink.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using namespace std::chrono_literals;
using testing::count_rows;
using testing::kHour;
using testing::kMinute;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::poll_write;

constexpr TimeMs kDay = 24 * kHour;

class RetentionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open(StoreOptions options) {
    auto store = Store::open(path_, OpenMode::read_write, options);
    if (!store) throw std::runtime_error(store.error());
    return std::move(*store);
  }
  static StoreOptions keep(std::chrono::milliseconds samples, std::chrono::milliseconds events) {
    StoreOptions o;
    o.sample_every = 0ms;
    o.keep_samples = samples;
    o.keep_events = events;
    return o;
  }
  std::int64_t rows(const std::string& table) {
    auto db = open_raw(path_, sqlite::kOpenReadOnly);
    return count_rows(db, table);
  }
  // Prunes in batches of `batch` until done; each batch stays within it.
  std::int64_t prune_all(Store& store, TimeMs now, int batch, int* calls = nullptr) {
    std::int64_t removed = 0;
    for (int i = 0; i < 100'000; ++i) {
      auto r = store.prune(now, batch);
      EXPECT_TRUE(r.has_value()) << r.error();
      if (!r) return removed;
      EXPECT_LE(r->removed, batch);
      removed += r->removed;
      if (calls) *calls = i + 1;
      if (!r->more) return removed;
    }
    ADD_FAILURE() << "prune never finished";
    return removed;
  }

  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
};

TEST_F(RetentionTest, SamplesOlderThanKeepSamplesGoButEachProjectKeepsItsLatest) {
  auto store = open(keep(std::chrono::days(30), std::chrono::days(365)));
  // np_1: one sample a day for 40 days. np_2: one sample, 90 days old.
  for (int d = 0; d < 40; ++d) {
    OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + d * kDay, d)));
  }
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_2", kT0 - 50 * kDay)));
  const TimeMs now = kT0 + 40 * kDay;

  EXPECT_EQ(prune_all(*store, now, 3), 10);  // days 0..9 are more than 30 days old
  auto h = testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(h.size(), 30u);
  EXPECT_EQ(h.front().observed_at, kT0 + 10 * kDay);
  EXPECT_EQ(testing::value_of(store->history("np_2", std::nullopt, std::nullopt, 0)).size(), 1u);
  EXPECT_EQ(testing::value_of(store->latest_status()).size(), 2u);
  // Nothing more to do.
  auto again = store->prune(now, 3);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->removed, 0);
  EXPECT_FALSE(again->more);
}

TEST_F(RetentionTest, StepReadingsGoLikeSamplesAndEachProjectKeepsItsLatest) {
  auto store = open(keep(std::chrono::days(30), std::chrono::days(365)));
  // np_1: a sample and a step reading a day for 40 days; np_2: one reading, 90 days old.
  for (int d = 0; d < 40; ++d) {
    ObservationWrite w = poll_write(ok_sample("np_1", kT0 + d * kDay, d));
    w.step_sample = testing::transfer_step(kT0 + d * kDay, 1000 * d);
    OMSWATCH_RECORD(*store, w);
  }
  ObservationWrite old = poll_write(ok_sample("np_2", kT0 - 50 * kDay));
  old.step_sample = testing::transfer_step(kT0 - 50 * kDay);
  OMSWATCH_RECORD(*store, old);
  const TimeMs now = kT0 + 40 * kDay;

  EXPECT_EQ(prune_all(*store, now, 3), 20);  // 10 samples and 10 readings of np_1
  auto steps = testing::value_of(store->step_history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(steps.size(), 30u);
  EXPECT_EQ(steps.front().sample.observed_at, kT0 + 10 * kDay);
  EXPECT_EQ(testing::value_of(store->step_history("np_2", std::nullopt, std::nullopt, 0)).size(),
            1u);
}

TEST_F(RetentionTest, APassOverManyProjectsTakesSmallBatches) {
  auto store = open(keep(std::chrono::days(1), std::chrono::days(365)));
  for (int p = 0; p < 50; ++p) {
    for (int i = 0; i < 5; ++i) {
      OMSWATCH_RECORD(*store,
                      poll_write(ok_sample("np_" + std::to_string(p), kT0 + i * kMinute, i)));
    }
  }
  int calls = 0;
  // 4 old samples of each of 50 projects, 8 rows (or projects) per call.
  EXPECT_EQ(prune_all(*store, kT0 + 2 * kDay, 8, &calls), 200);
  EXPECT_GE(calls, 25);
  EXPECT_EQ(rows("sample_rows"), 50);
  EXPECT_EQ(rows("sample_projects"), 50);
}

TEST_F(RetentionTest, EventsGoWithTheirDeliveriesUnlessADeliveryIsPending) {
  auto store = open(keep(std::chrono::days(30), std::chrono::days(365)));
  const TimeMs old = kT0 - 400 * kDay;
  auto delivered = make_event("evt_delivered", "np_1", "project_failed", "firing", "critical", old);
  auto pending = make_event("evt_pending", "np_1", "project_failed", "resolved", "critical", old);
  auto silent = make_event("evt_nowhere", "np_1", "status_changed", "notice", "info", old);
  auto recent = make_event("evt_recent", "np_1", "status_changed", "notice", "info", kT0);
  OMSWATCH_RECORD(
      *store, poll_write(ok_sample("np_1", old), {delivered, pending, silent}, {"oncall", "ops"}));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0), {recent}, {"ops"}));
  std::vector<std::int64_t> finished;
  for (const auto& d : testing::value_of(store->due_deliveries(kT0, 100))) {
    if (d.event.id == "evt_delivered") finished.push_back(d.id);
    if (d.event.id == "evt_nowhere") finished.push_back(d.id);
    if (d.event.id == "evt_pending" && d.receiver == "oncall") finished.push_back(d.id);
  }
  ASSERT_EQ(finished.size(), 5u);
  ASSERT_TRUE(store->mark_delivered(finished, kT0).has_value());
  ASSERT_EQ(rows("outbox"), 7);

  // The old sample of np_1, and two events with two deliveries each. An event
  // goes whole: a batch of 2 rows takes one alone.
  EXPECT_EQ(prune_all(*store, kT0, 3), 1 + 6);
  ASSERT_EQ(rows("events"), 2);
  auto left = testing::value_of(store->events({}));
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].event.id, "evt_recent");
  EXPECT_EQ(left[1].event.id, "evt_pending");  // ops has not taken it yet
  EXPECT_EQ(left[1].deliveries.size(), 2u);
  EXPECT_EQ(rows("outbox"), 3);

  // Once its last delivery is finished, it goes too.
  for (const auto& d : testing::value_of(store->due_deliveries(kT0, 100))) {
    if (d.event.id == "evt_pending") {
      ASSERT_TRUE(store->mark_final({d.id}, "failed", "gave up", kT0).has_value());
    }
  }
  EXPECT_EQ(prune_all(*store, kT0, 500), 3);
  ASSERT_EQ(testing::value_of(store->events({})).size(), 1u);
  EXPECT_EQ(rows("outbox"), 1);
}

TEST_F(RetentionTest, AnEventWithMoreDeliveriesThanABatchGoesAloneAndWhole) {
  auto store = open(keep(std::chrono::days(30), std::chrono::days(1)));
  auto a = make_event("evt_a", "", "oms_unreachable", "firing", "critical", kT0 - 5 * kDay);
  auto b = make_event("evt_b", "", "oms_unreachable", "resolved", "critical", kT0 - 4 * kDay);
  ObservationWrite w;
  w.oms = "prod";
  w.now = kT0 - 5 * kDay;
  w.events = {a, b};
  for (const char* r : {"r1", "r2", "r3", "r4"}) {
    w.deliveries.push_back({"evt_a", r});
    w.deliveries.push_back({"evt_b", r});
  }
  OMSWATCH_RECORD(*store, w);
  std::vector<std::int64_t> ids;
  for (const auto& d : testing::value_of(store->due_deliveries(kT0, 100))) ids.push_back(d.id);
  ASSERT_TRUE(store->mark_delivered(ids, kT0).has_value());

  for (const char* id : {"evt_a", "evt_b"}) {
    auto r = store->prune(kT0, 2);
    ASSERT_TRUE(r.has_value()) << r.error();
    EXPECT_EQ(r->removed, 5) << id;
    EXPECT_EQ(rows("outbox"), std::string(id) == "evt_a" ? 4 : 0);
  }
  auto r = store->prune(kT0, 2);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->removed, 0);
  EXPECT_FALSE(r->more);
}

TEST_F(RetentionTest, ZeroRetentionKeepsEverything) {
  auto store = open(keep(0ms, 0ms));
  auto e = make_event("evt_1", "np_1", "status_changed", "notice", "info", kT0 - 900 * kDay);
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 - 900 * kDay), {e}));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0)));
  auto r = store->prune(kT0, 500);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->removed, 0);
  EXPECT_FALSE(r->more);
  EXPECT_EQ(rows("sample_rows"), 2);
  EXPECT_EQ(rows("events"), 1);
}

TEST_F(RetentionTest, ThinningGoesOnAfterPruning) {
  StoreOptions options = keep(std::chrono::days(1), std::chrono::days(1));
  options.sample_every = 1min;
  auto store = open(options);
  for (int i = 0; i < 3; ++i) {
    OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + i * kMinute, i)));
  }
  ASSERT_EQ(prune_all(*store, kT0 + 3 * kDay, 500), 2);
  // The kept latest sample is still what new polls are compared with.
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + 3 * kDay, 2)));
  auto h = testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].observed_at, kT0 + 2 * kMinute);
}

TEST_F(RetentionTest, VacuumGivesFreePagesBack) {
  auto store = open(keep(std::chrono::days(1), std::chrono::days(1)));
  const std::string error(2000, 'x');  // big rows, so that pruning frees many pages
  for (int i = 0; i < 2000; ++i) {
    Sample s = testing::failed_sample("np_1", kT0 + i * kMinute);
    s.error = error + std::to_string(i);
    OMSWATCH_RECORD(*store, poll_write(s));
  }
  ASSERT_EQ(prune_all(*store, kT0 + 5 * kDay, 500), 1999);
  const auto size_before = std::filesystem::file_size(path_);

  // Zero pages: a report, nothing released.
  auto probe = store->vacuum_step(0);
  ASSERT_TRUE(probe.has_value()) << probe.error();
  EXPECT_EQ(probe->released, 0);
  EXPECT_GT(probe->free_pages, 600);
  EXPECT_GT(probe->page_count, probe->free_pages);

  auto step = store->vacuum_step(100);
  ASSERT_TRUE(step.has_value()) << step.error();
  EXPECT_EQ(step->released, 100);
  EXPECT_GT(step->free_pages, 500);
  std::int64_t released = step->released;
  while (step->free_pages > 0) {
    step = store->vacuum_step(100);
    ASSERT_TRUE(step.has_value()) << step.error();
    ASSERT_GT(step->released, 0);
    released += step->released;
  }
  EXPECT_GT(released, 500);
  EXPECT_LT(step->page_count * 4096, 256 * 1024);
  // The WAL carries the change; a checkpoint writes it into the file.
  auto db = open_raw(path_);
  ASSERT_TRUE(db.exec("PRAGMA wal_checkpoint(TRUNCATE)").has_value());
  EXPECT_LT(std::filesystem::file_size(path_), size_before / 4);
  // Nothing left to give back: a no-op.
  step = store->vacuum_step(100);
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->released, 0);
}

TEST_F(RetentionTest, AReadOnlyStoreNeitherPrunesNorVacuums) {
  { auto writer = open(StoreOptions{}); }
  auto reader = testing::open_store(path_, OpenMode::read_only);
  auto pruned = reader->prune(kT0, 500);
  ASSERT_FALSE(pruned.has_value());
  EXPECT_THAT(pruned.error(), ::testing::HasSubstr("read-only"));
  EXPECT_FALSE(reader->vacuum_step(10).has_value());
}

}  // namespace
}  // namespace omswatch::storage
