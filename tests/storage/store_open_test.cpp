// Opening the database: creation, settings, migrations, refusals.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "storage/schema.h"
#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using testing::count_rows;
using ::testing::HasSubstr;
using testing::kMinute;
using testing::kT0;
using testing::ok_sample;
using testing::open_raw;
using testing::open_store;
using testing::poll_write;

std::string pragma(sqlite::Database& db, const std::string& name) {
  sqlite::Statement st(db, "PRAGMA " + name);
  if (!st.step()) return "";
  return st.column_string(0);
}

TEST(StoreOpen, CreatesTheDirectoryAndTheSchema) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("var/lib/omswatch/omswatch.db");
  auto store = open_store(path);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(store->schema_version(), latest_schema_version());

  auto db = open_raw(path);
  EXPECT_EQ(pragma(db, "user_version"), std::to_string(latest_schema_version()));
  EXPECT_EQ(pragma(db, "journal_mode"), "wal");
  EXPECT_EQ(pragma(db, "auto_vacuum"), "2");  // incremental
  for (const char* table : {"sample_projects", "sample_texts", "sample_rows", "project_state",
                            "oms_state", "events", "outbox"}) {
    EXPECT_EQ(count_rows(db, table), 0) << table;
  }
  for (const char* view : {"samples", "latest_samples", "status_intervals", "lag_per_hour",
                           "open_conditions", "events_view", "outbox_view"}) {
    EXPECT_EQ(count_rows(db, view), 0) << view;
  }
}

TEST(StoreOpen, EnforcesForeignKeysOnItsConnection) {
  omswatch::testing::TempDir dir;
  auto store = open_store(dir.file("fk.db"));
  ObservationWrite w;
  w.oms = "prod";
  w.project_id = "np_1";
  w.now = kT0;
  w.deliveries.push_back({"evt_that_does_not_exist", "oncall"});
  auto r = store->record(w);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error(), HasSubstr("FOREIGN KEY constraint failed"));
  EXPECT_EQ(testing::value_of(store->pending_count()), 0);
}

TEST(StoreOpen, ReopenKeepsTheData) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  {
    auto store = open_store(path);
    OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0)));
    ObservationWrite oms_only;
    oms_only.oms = "prod";
    oms_only.oms_state_json = R"({"failures":0})";
    oms_only.now = kT0;
    OMSWATCH_RECORD(*store, oms_only);
  }
  auto store = open_store(path);
  EXPECT_EQ(store->schema_version(), latest_schema_version());
  ASSERT_EQ(testing::value_of(store->history("np_1", std::nullopt, std::nullopt, 0)).size(), 1u);
  auto states = testing::value_of(store->load_project_states());
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].oms, "prod");
  EXPECT_EQ(states[0].project_id, "np_1");
  EXPECT_EQ(states[0].state_json, R"({"status":"RUNNING"})");
  EXPECT_EQ(states[0].updated_at, kT0);
  EXPECT_EQ(testing::value_of(store->load_oms_state("prod")), R"({"failures":0})");
  EXPECT_EQ(testing::value_of(store->load_oms_state("test")), std::nullopt);
}

TEST(StoreOpen, RefusesADatabaseFromANewerOmswatch) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("newer.db");
  { auto store = open_store(path); }
  {
    auto db = open_raw(path);
    ASSERT_TRUE(db.exec("PRAGMA user_version = 99").has_value());
  }
  for (OpenMode mode : {OpenMode::read_write, OpenMode::read_only}) {
    auto store = Store::open(path, mode);
    ASSERT_FALSE(store.has_value());
    EXPECT_THAT(store.error(), HasSubstr(path));
    EXPECT_THAT(store.error(), HasSubstr("schema version 99"));
    EXPECT_THAT(store.error(), HasSubstr("newer"));
  }
  // Refusing touched nothing.
  auto db = open_raw(path);
  EXPECT_EQ(pragma(db, "user_version"), "99");
  EXPECT_EQ(count_rows(db, "samples"), 0);
}

TEST(StoreOpen, ReadOnlyOpenOfAMissingFileFailsAndCreatesNothing) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("nowhere/omswatch.db");
  auto store = Store::open(path, OpenMode::read_only);
  ASSERT_FALSE(store.has_value());
  EXPECT_THAT(store.error(), HasSubstr(path));
  EXPECT_THAT(store.error(), HasSubstr("does not exist"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "nowhere"));
}

TEST(StoreOpen, ReadOnlyOpenRefusesAFileWithoutTheSchema) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("other.db");
  {
    auto db = open_raw(path, sqlite::kOpenReadWrite | sqlite::kOpenCreate);
    ASSERT_TRUE(db.exec("CREATE TABLE unrelated (x)").has_value());
  }
  auto store = Store::open(path, OpenMode::read_only);
  ASSERT_FALSE(store.has_value());
  EXPECT_THAT(store.error(), HasSubstr(path));
  EXPECT_THAT(store.error(), HasSubstr("no omswatch schema"));
}

TEST(StoreOpen, LeavesAnotherProgramsDatabaseAlone) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("other.db");
  {
    auto db = open_raw(path, sqlite::kOpenReadWrite | sqlite::kOpenCreate);
    ASSERT_TRUE(db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)").has_value());
  }
  auto store = Store::open(path, OpenMode::read_write);
  ASSERT_FALSE(store.has_value());
  EXPECT_THAT(store.error(), HasSubstr(path));
  EXPECT_THAT(store.error(), HasSubstr("not an omswatch database"));
  auto db = open_raw(path, sqlite::kOpenReadOnly);
  EXPECT_EQ(count_rows(db, "sqlite_schema"), 1);
  EXPECT_EQ(pragma(db, "user_version"), "0");
  EXPECT_EQ(pragma(db, "journal_mode"), "delete");
}

TEST(StoreOpen, RefusesAFileThatIsNotADatabase) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("notes.txt");
  std::ofstream(path) << "these are not the pages you are looking for\n" << std::string(8192, 'x');
  for (OpenMode mode : {OpenMode::read_write, OpenMode::read_only}) {
    auto store = Store::open(path, mode);
    ASSERT_FALSE(store.has_value());
    EXPECT_THAT(store.error(), HasSubstr(path));
    EXPECT_THAT(store.error(), HasSubstr("not a database"));
  }
}

TEST(StoreOpen, ReportsADirectoryThatCannotBeCreated) {
  omswatch::testing::TempDir dir;
  std::ofstream(dir.file("plain-file")) << "x";
  const std::string path = dir.file("plain-file/sub/omswatch.db");
  auto store = Store::open(path, OpenMode::read_write);
  ASSERT_FALSE(store.has_value());
  EXPECT_THAT(store.error(), HasSubstr("cannot create the directory"));
  EXPECT_THAT(store.error(), HasSubstr(dir.file("plain-file/sub")));
}

TEST(StoreOpen, RefusesAnEmptyPath) {
  auto store = Store::open("", OpenMode::read_write);
  ASSERT_FALSE(store.has_value());
  EXPECT_THAT(store.error(), HasSubstr("no database path"));
}

TEST(StoreOpen, ReadOnlyStoreReadsButCannotWrite) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  auto writer = open_store(path);
  auto event = testing::make_event("evt_1", "np_1", "project_failed", "firing", "critical", kT0);
  OMSWATCH_RECORD(*writer, poll_write(ok_sample("np_1", kT0), {event}, {"oncall"}));

  auto reader = open_store(path, OpenMode::read_only);
  EXPECT_EQ(reader->schema_version(), latest_schema_version());
  EXPECT_EQ(testing::value_of(reader->latest_status()).size(), 1u);
  ASSERT_EQ(testing::value_of(reader->due_deliveries(kT0, 10)).size(), 1u);
  const std::int64_t id = testing::value_of(reader->due_deliveries(kT0, 10))[0].id;

  auto recorded = reader->record(poll_write(ok_sample("np_1", kT0 + kMinute)));
  ASSERT_FALSE(recorded.has_value());
  EXPECT_THAT(recorded.error(), HasSubstr("readonly"));
  EXPECT_FALSE(reader->mark_delivered({id}, kT0).has_value());
  EXPECT_FALSE(reader->mark_retry({id}, kT0 + kMinute, "timeout").has_value());
  EXPECT_FALSE(reader->mark_final({id}, "failed", "gave up", kT0).has_value());

  EXPECT_EQ(testing::value_of(writer->history("np_1", std::nullopt, std::nullopt, 0)).size(), 1u);
  EXPECT_EQ(testing::value_of(writer->pending_count()), 1);
}

TEST(StoreOpen, SecondConnectionFindsTheSchemaInPlace) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  auto first = open_store(path);
  auto second = open_store(path);
  EXPECT_EQ(first->schema_version(), latest_schema_version());
  EXPECT_EQ(second->schema_version(), latest_schema_version());
  OMSWATCH_RECORD(*first, poll_write(ok_sample("np_1", kT0)));
  EXPECT_EQ(testing::value_of(second->history("np_1", std::nullopt, std::nullopt, 0)).size(), 1u);
}

}  // namespace
}  // namespace omswatch::storage
