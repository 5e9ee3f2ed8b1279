// Schema version 4 keeps each project's latest sample in latest_sample_rows
// (triggers on sample_rows), which `omswatch status` and the latest_samples
// view read. Whatever writes sample_rows, the table must hold what the
// definition says: the sample with the greatest observed_at of each project.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/schema.h"
#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using testing::count_rows;
using testing::failed_sample;
using testing::kMinute;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::open_store;
using testing::poll_write;

// The projects whose latest_sample_rows row is not their latest sample_rows
// row, column for column; 0 when the table is right.
std::int64_t stale_latest_rows(sqlite::Database& db) {
  sqlite::Statement st(db, R"sql(
SELECT count(*) FROM (
  SELECT r.* FROM sample_rows AS r
   WHERE r.observed_at = (SELECT max(x.observed_at) FROM sample_rows AS x
                           WHERE x.project = r.project)
  EXCEPT SELECT * FROM latest_sample_rows
  UNION ALL
  SELECT * FROM latest_sample_rows
  EXCEPT SELECT r.* FROM sample_rows AS r
   WHERE r.observed_at = (SELECT max(x.observed_at) FROM sample_rows AS x
                           WHERE x.project = r.project)))sql");
  st.step();
  return st.column_int64(0);
}

std::int64_t latest_observed_at(sqlite::Database& db, const std::string& project_id) {
  sqlite::Statement st(db, "SELECT observed_at FROM latest_samples WHERE project_id = ?1");
  st.bind(1, project_id);
  return st.step() ? st.column_int64(0) : -1;
}

// A version-3 file as omswatch left it before version 4: samples of three
// projects (one on two OMS) and their detector states.
void write_version_3(const std::string& path) {
  auto db = open_raw(path, sqlite::kOpenReadWrite | sqlite::kOpenCreate);
  ASSERT_TRUE(db.exec("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL").has_value());
  for (const Migration& m : migrations()) {
    if (m.version > 3) break;
    auto ran = db.exec(m.sql);
    ASSERT_TRUE(ran.has_value()) << "version " << m.version << ": " << ran.error();
  }
  ASSERT_TRUE(db.exec("PRAGMA user_version = 3").has_value());
  auto ran = db.exec(R"sql(
INSERT INTO sample_projects (id, oms, project_id) VALUES
  (1, 'prod', 'np_1'), (2, 'prod', 'np_2'), (3, 'test', 'np_1');
INSERT INTO sample_texts (id, text) VALUES (1, 'RUNNING'), (2, 'HIGH'), (3, 'INCR_TRANSFER');
INSERT INTO sample_rows (project, observed_at, outcome, status, alarm_level, current_step,
                         struct_progress, full_progress, incr_checkpoint, incr_lag_s,
                         reverse_checkpoint, reverse_lag_s, latency_us, error) VALUES
  (1, 1795924800000, 0, 1, 2, 3, 100, 100, 1795924795, 5, NULL, NULL, 1800, NULL),
  (1, 1795924920000, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 250, 'refused'),
  (1, 1795924860000, 0, 1, 2, 3, 100, 100, '12,4096', NULL, NULL, NULL, 1900, NULL),
  (2, 1795924800000, 0, 1, 2, 3, 100, 87, NULL, NULL, NULL, NULL, 1500, NULL),
  (3, 1795924830000, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 300, 'gone');
INSERT INTO project_state (oms, project_id, state_json, updated_at)
  VALUES ('prod', 'np_2', '{}', 1795924990000), ('prod', 'np_1', '{}', 1795924000000);
)sql");
  ASSERT_TRUE(ran.has_value()) << ran.error();
}

TEST(LatestSamples, Version3IsMigratedWithEachProjectsLatestSample) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  ASSERT_NO_FATAL_FAILURE(write_version_3(path));

  auto store = open_store(path);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  auto status = testing::value_of(store->latest_status());
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status[0].oms, "prod");
  EXPECT_EQ(status[0].project_id, "np_1");
  EXPECT_EQ(status[0].outcome, "error");  // the latest by time, not the last inserted
  EXPECT_EQ(status[0].error, "refused");
  EXPECT_EQ(status[0].observed_at, 1795924920000);
  // The detector state is older than the sample: the sample was the latest poll.
  EXPECT_EQ(status[0].last_polled_at, 1795924920000);
  EXPECT_EQ(status[1].project_id, "np_2");
  EXPECT_EQ(status[1].status, "RUNNING");
  EXPECT_EQ(status[1].alarm_level, "HIGH");
  EXPECT_EQ(status[1].current_step, "INCR_TRANSFER");
  EXPECT_EQ(status[1].full_progress, 87);
  EXPECT_EQ(status[1].last_polled_at, 1795924990000);
  EXPECT_EQ(status[2].oms, "test");
  EXPECT_EQ(status[2].outcome, "unavailable");
  EXPECT_EQ(status[2].last_polled_at, 1795924830000);

  auto db = open_raw(path, sqlite::kOpenReadOnly);
  EXPECT_EQ(count_rows(db, "latest_sample_rows"), 3);
  EXPECT_EQ(stale_latest_rows(db), 0);
  EXPECT_EQ(latest_observed_at(db, "np_2"), 1795924800000);
}

TEST(LatestSamples, RecordKeepsTheLatestAndAClockGoingBackDoesNotReplaceIt) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  auto store = open_store(path);
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0)));
  OMSWATCH_RECORD(*store, poll_write(failed_sample("np_1", kT0 + kMinute)));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_2", kT0)));
  auto db = open_raw(path, sqlite::kOpenReadOnly);
  EXPECT_EQ(latest_observed_at(db, "np_1"), kT0 + kMinute);
  EXPECT_EQ(testing::value_of(store->latest_status())[0].outcome, "error");

  // The clock went back: the sample is stored, but the latest stays.
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + 30 * 1000)));
  EXPECT_EQ(latest_observed_at(db, "np_1"), kT0 + kMinute);
  // A second sample at the latest's millisecond replaces it.
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + kMinute, 42)));
  auto status = testing::value_of(store->latest_status());
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].outcome, "ok");
  EXPECT_EQ(status[0].incr_lag_s, 42);
  EXPECT_EQ(stale_latest_rows(db), 0);
  EXPECT_EQ(count_rows(db, "latest_sample_rows"), 2);
}

TEST(LatestSamples, DeletingOrChangingTheLatestByHandPutsTheNextInItsPlace) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  {
    auto store = open_store(path);
    for (int i = 0; i < 5; ++i) {
      OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + i * kMinute, i)));
      OMSWATCH_RECORD(*store, poll_write(ok_sample("np_2", kT0 + i * kMinute, i)));
    }
  }
  auto db = open_raw(path);
  ASSERT_TRUE(db.exec("DELETE FROM sample_rows WHERE observed_at = " +
                      std::to_string(kT0 + 4 * kMinute) + " AND project = 1")
                  .has_value());
  EXPECT_EQ(latest_observed_at(db, "np_1"), kT0 + 3 * kMinute);
  EXPECT_EQ(latest_observed_at(db, "np_2"), kT0 + 4 * kMinute);
  EXPECT_EQ(stale_latest_rows(db), 0);

  // An older sample deleted: the latest stays.
  ASSERT_TRUE(db.exec("DELETE FROM sample_rows WHERE observed_at = " + std::to_string(kT0) +
                      " AND project = 2")
                  .has_value());
  EXPECT_EQ(latest_observed_at(db, "np_2"), kT0 + 4 * kMinute);

  // Moved later, or its latest moved earlier, or changed in place.
  ASSERT_TRUE(
      db.exec("UPDATE sample_rows SET observed_at = observed_at + 3600000 WHERE project = 1 "
              "AND observed_at = " +
              std::to_string(kT0 + kMinute))
          .has_value());
  EXPECT_EQ(latest_observed_at(db, "np_1"), kT0 + kMinute + 3600000);
  ASSERT_TRUE(
      db.exec("UPDATE sample_rows SET observed_at = 1 WHERE project = 2 AND observed_at = " +
              std::to_string(kT0 + 4 * kMinute))
          .has_value());
  EXPECT_EQ(latest_observed_at(db, "np_2"), kT0 + 3 * kMinute);
  ASSERT_TRUE(db.exec("UPDATE sample_rows SET incr_lag_s = 99 WHERE project = 2").has_value());
  EXPECT_EQ(stale_latest_rows(db), 0);

  // Every sample of a project gone: so is its latest.
  ASSERT_TRUE(db.exec("DELETE FROM sample_rows WHERE project = 1").has_value());
  EXPECT_EQ(latest_observed_at(db, "np_1"), -1);
  EXPECT_EQ(count_rows(db, "latest_sample_rows"), 1);
  EXPECT_EQ(stale_latest_rows(db), 0);
}

TEST(LatestSamples, PruningKeepsEachProjectsLatest) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  StoreOptions options;
  options.sample_every = std::chrono::milliseconds(0);
  options.keep_samples = std::chrono::hours(1);
  auto opened = Store::open(path, OpenMode::read_write, options);
  ASSERT_TRUE(opened.has_value()) << opened.error();
  auto& store = **opened;
  for (int i = 0; i < 10; ++i) {
    OMSWATCH_RECORD(store, poll_write(ok_sample("np_1", kT0 + i * kMinute, i)));
  }
  OMSWATCH_RECORD(store, poll_write(ok_sample("np_2", kT0)));
  for (;;) {
    auto pruned = store.prune(kT0 + 24 * 60 * kMinute, 3);
    ASSERT_TRUE(pruned.has_value()) << pruned.error();
    if (!pruned->more) break;
  }
  auto db = open_raw(path, sqlite::kOpenReadOnly);
  EXPECT_EQ(count_rows(db, "sample_rows"), 2);
  EXPECT_EQ(stale_latest_rows(db), 0);
  auto status = testing::value_of(store.latest_status());
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].incr_lag_s, 9);
}

TEST(LatestSamples, StatusCountsOpenConditionsPerProject) {
  omswatch::testing::TempDir dir;
  auto store = open_store(dir.file("omswatch.db"));
  auto lag = make_event("e1", "np_1", "incr_lagging", "firing", "warning", kT0);
  auto failed = make_event("e2", "np_1", "project_failed", "firing", "critical", kT0);
  auto other_oms = make_event("e3", "np_1", "incr_lagging", "firing", "warning", kT0, "test");
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0), {lag, failed}, {}));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0, 5, "test"), {other_oms}, {}));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_2", kT0)));
  auto resolved = make_event("e4", "np_1", "incr_lagging", "resolved", "warning", kT0 + kMinute);
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + kMinute), {resolved}, {}));
  auto status = testing::value_of(store->latest_status());
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status[0].project_id, "np_1");
  EXPECT_EQ(status[0].open_conditions, 1);  // project_failed; incr_lagging resolved
  EXPECT_EQ(status[1].project_id, "np_2");
  EXPECT_EQ(status[1].open_conditions, 0);
  EXPECT_EQ(status[2].oms, "test");
  EXPECT_EQ(status[2].open_conditions, 1);
}

}  // namespace
}  // namespace omswatch::storage
