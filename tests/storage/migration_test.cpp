// A database of schema version 1 (samples in a plain table) is migrated to
// the compact layout with its whole history.

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
using testing::kMinute;
using testing::kT0;
using testing::ok_sample;
using testing::open_raw;
using testing::poll_write;

// Writes a version-1 file as omswatch 0.1 left it.
void write_version_1(const std::string& path) {
  auto db = open_raw(path, sqlite::kOpenReadWrite | sqlite::kOpenCreate);
  ASSERT_TRUE(db.exec("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL").has_value());
  ASSERT_EQ(migrations()[0].version, 1);
  ASSERT_TRUE(db.exec(migrations()[0].sql).has_value());
  ASSERT_TRUE(db.exec("PRAGMA user_version = 1").has_value());
  auto ran = db.exec(R"sql(
INSERT INTO samples (oms, project_id, observed_at, outcome, status, alarm_level, current_step,
                     struct_progress, full_progress, incr_checkpoint, incr_lag_s,
                     reverse_checkpoint, reverse_lag_s, latency_us, error) VALUES
  ('prod', 'np_1', 1795924800000, 'ok', 'RUNNING', 'HIGH', 'INCR_TRANSFER', 100, 100,
   '1795924795', 5, NULL, NULL, 1800, NULL),
  ('prod', 'np_1', 1795924860000, 'error', NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, 250, 'connect: connection refused'),
  ('prod', 'np_1', 1795924920000, 'ok', 'RUNNING', 'HIGH', 'INCR_TRANSFER', 100, 100,
   '12,4096', NULL, '007', NULL, 1900, NULL),
  ('test', 'np_1', 1795924830000, 'unavailable', NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, 300, 'PROJECT_NOT_EXIST: no such project'),
  ('prod', 'np_2', 1795924800000, 'ok', 'FINISHED', 'LOW', 'FULL_TRANSFER', 100, 87,
   NULL, NULL, NULL, NULL, 1500, NULL);
INSERT INTO project_state (oms, project_id, state_json, updated_at)
  VALUES ('prod', 'np_2', '{}', 1795924990000);
)sql");
  ASSERT_TRUE(ran.has_value()) << ran.error();
}

TEST(Migration, Version1HistoryIsCarriedOverWhole) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  ASSERT_NO_FATAL_FAILURE(write_version_1(path));

  // The CLI does not migrate: it asks for the daemon.
  auto read_only = Store::open(path, OpenMode::read_only);
  ASSERT_FALSE(read_only.has_value());
  EXPECT_THAT(read_only.error(), ::testing::HasSubstr("older than version " +
                                                      std::to_string(latest_schema_version())));

  auto opened = Store::open(path, OpenMode::read_write, StoreOptions{});
  ASSERT_TRUE(opened.has_value()) << opened.error();
  auto store = std::move(*opened);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  auto h = testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].oms, "prod");
  EXPECT_EQ(h[0].status, "RUNNING");
  EXPECT_EQ(h[0].alarm_level, "HIGH");
  EXPECT_EQ(h[0].current_step, "INCR_TRANSFER");
  EXPECT_EQ(h[0].incr_checkpoint, "1795924795");
  EXPECT_EQ(h[0].incr_lag_s, 5);
  EXPECT_EQ(h[0].latency_us, 1800);
  EXPECT_EQ(h[1].oms, "test");
  EXPECT_EQ(h[1].outcome, "unavailable");
  EXPECT_EQ(h[1].error, "PROJECT_NOT_EXIST: no such project");
  EXPECT_EQ(h[2].outcome, "error");
  EXPECT_EQ(h[2].status, "");
  EXPECT_EQ(h[2].struct_progress, std::nullopt);
  EXPECT_EQ(h[3].incr_checkpoint, "12,4096");
  EXPECT_EQ(h[3].reverse_checkpoint, "007");

  auto status = testing::value_of(store->latest_status());
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status[1].project_id, "np_2");
  EXPECT_EQ(status[1].full_progress, 87);
  EXPECT_EQ(status[1].last_polled_at, 1795924990000);

  {
    auto db = open_raw(path, sqlite::kOpenReadOnly);
    EXPECT_EQ(count_rows(db, "sample_rows"), 5);
    EXPECT_EQ(count_rows(db, "sample_projects"), 3);
    EXPECT_EQ(count_rows(db, "sample_texts"), 6);  // 2 statuses, 2 levels, 2 steps
    sqlite::Statement old_table(db, "SELECT type FROM sqlite_schema WHERE name = 'samples'");
    ASSERT_TRUE(old_table.step());
    EXPECT_EQ(old_table.column_string(0), "view");
  }

  // Thinning goes on from the migrated history: the same state a minute later
  // with the same checkpoints is a repeat.
  Sample repeat = h[3];
  repeat.observed_at += kMinute;
  OMSWATCH_RECORD(*store, poll_write(repeat));
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 4u);
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 + 10 * kMinute)));
  EXPECT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 5u);
}

}  // namespace
}  // namespace omswatch::storage
