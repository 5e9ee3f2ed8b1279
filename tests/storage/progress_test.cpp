// Migration progress in the store: step readings, each project's latest
// verification and outlook, written with the rest of a poll and read back by
// `omswatch status` (latest_status) and `omswatch history --steps`
// (step_history).

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
using ::testing::HasSubstr;
using testing::kMinute;
using testing::kT0;
using testing::make_event;
using testing::mismatched_verification;
using testing::ok_sample;
using testing::open_raw;
using testing::open_store;
using testing::poll_write;
using testing::transfer_step;
using testing::value_of;

constexpr char kOutlook[] =
    R"({"eta":{"low_s":1500,"high_s":1860,"basis":"records","rate":12300.5,"remaining":600000,)"
    R"("at":1795924800000}})";

class ProgressStoreTest : public ::testing::Test {
 protected:
  std::int64_t rows(const std::string& table) {
    auto db = open_raw(path_, sqlite::kOpenReadOnly);
    return count_rows(db, table);
  }
  ObservationWrite transfer_poll(const std::string& project, TimeMs at,
                                 std::int64_t processed = 400'000) {
    ObservationWrite w = poll_write(ok_sample(project, at));
    w.step_sample = transfer_step(at, processed);
    return w;
  }

  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
  std::unique_ptr<Store> store_ = open_store(path_);
};

TEST_F(ProgressStoreTest, StepReadingsRoundTripOldestFirstWithAbsentValuesAbsent) {
  for (int i = 0; i < 5; ++i) {
    OMSWATCH_RECORD(*store_, transfer_poll("np_1", kT0 + i * kMinute, 100'000 * (i + 1)));
  }
  ObservationWrite bare = poll_write(ok_sample("np_1", kT0 + 5 * kMinute));
  StepSample verifier;
  verifier.observed_at = kT0 + 5 * kMinute;
  verifier.step = "FULL_VERIFIER";
  bare.step_sample = verifier;
  OMSWATCH_RECORD(*store_, bare);
  OMSWATCH_RECORD(*store_, transfer_poll("np_2", kT0, 1));

  auto reader = open_store(path_, OpenMode::read_only);
  auto all = value_of(reader->step_history("np_1", std::nullopt, std::nullopt, 0));
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0].oms, "prod");
  EXPECT_EQ(all[0].project_id, "np_1");
  const StepSample& first = all[0].sample;
  const StepSample want = transfer_step(kT0, 100'000);
  EXPECT_EQ(first.observed_at, kT0);
  EXPECT_EQ(first.step, "FULL_TRANSFER");
  EXPECT_EQ(first.step_status, "RUNNING");
  EXPECT_EQ(first.progress, want.progress);
  EXPECT_EQ(first.processed, 100'000);
  EXPECT_EQ(first.capacity, want.capacity);
  EXPECT_EQ(first.src_rps, want.src_rps);
  EXPECT_EQ(first.dst_rps, want.dst_rps);
  EXPECT_EQ(first.src_rps_ref, want.src_rps_ref);
  EXPECT_EQ(first.dst_rps_ref, want.dst_rps_ref);
  EXPECT_EQ(first.src_rt, want.src_rt);
  EXPECT_EQ(first.dst_rt, want.dst_rt);
  EXPECT_EQ(first.src_iops, std::nullopt);
  EXPECT_EQ(first.eta_low_s, want.eta_low_s);
  EXPECT_EQ(first.eta_high_s, want.eta_high_s);
  EXPECT_EQ(first.eta_basis, "records");
  ASSERT_TRUE(first.rate.has_value());
  EXPECT_DOUBLE_EQ(*first.rate, 12'300.5);
  const StepSample& last = all[5].sample;
  EXPECT_EQ(last.step, "FULL_VERIFIER");
  EXPECT_EQ(last.step_status, "");
  EXPECT_EQ(last.processed, std::nullopt);
  EXPECT_EQ(last.eta_basis, "");
  EXPECT_EQ(last.rate, std::nullopt);

  // A window, and the most recent `limit` of it.
  auto window = value_of(reader->step_history("np_1", kT0 + kMinute, kT0 + 4 * kMinute, 2));
  ASSERT_EQ(window.size(), 2u);
  EXPECT_EQ(window[0].sample.observed_at, kT0 + 2 * kMinute);
  EXPECT_EQ(window[1].sample.observed_at, kT0 + 3 * kMinute);
  EXPECT_TRUE(value_of(reader->step_history("np_9", std::nullopt, std::nullopt, 0)).empty());

  // The view names the project.
  auto db = open_raw(path_, sqlite::kOpenReadOnly);
  sqlite::Statement st(db,
                       "SELECT oms, project_id, processed FROM step_samples "
                       "WHERE project_id = 'np_2'");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_string(0), "prod");
  EXPECT_EQ(st.column_int64(2), 1);
}

TEST_F(ProgressStoreTest, StatusCarriesTheLatestStepVerificationAndOutlook) {
  OMSWATCH_RECORD(*store_, transfer_poll("np_1", kT0, 100'000));
  ObservationWrite w = transfer_poll("np_1", kT0 + kMinute, 200'000);
  w.verify = mismatched_verification(kT0 + kMinute);
  w.outlook_json = kOutlook;
  OMSWATCH_RECORD(*store_, w);
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_2", kT0)));
  // A project that has progress but no sample yet is not listed.
  ObservationWrite no_sample;
  no_sample.oms = "prod";
  no_sample.project_id = "np_0";
  no_sample.now = kT0;
  no_sample.outlook_json = kOutlook;
  OMSWATCH_RECORD(*store_, no_sample);

  auto reader = open_store(path_, OpenMode::read_only);
  auto status = value_of(reader->latest_status());
  ASSERT_EQ(status.size(), 2u);
  ASSERT_EQ(status[0].project_id, "np_1");
  ASSERT_TRUE(status[0].step.has_value());
  EXPECT_EQ(status[0].step->observed_at, kT0 + kMinute);
  EXPECT_EQ(status[0].step->processed, 200'000);
  ASSERT_TRUE(status[0].verify.has_value());
  EXPECT_EQ(status[0].verify->different_number, 7);
  EXPECT_TRUE(status[0].verify->finished);
  EXPECT_EQ(status[0].verify->tables, 12);
  EXPECT_EQ(status[0].verify->worst_tables_json, mismatched_verification(kT0).worst_tables_json);
  EXPECT_EQ(status[0].outlook_json, kOutlook);
  EXPECT_EQ(status[1].project_id, "np_2");
  EXPECT_FALSE(status[1].step.has_value());
  EXPECT_FALSE(status[1].verify.has_value());
  EXPECT_EQ(status[1].outlook_json, "");

  // A later verification replaces the earlier; an empty outlook removes it.
  ObservationWrite later = poll_write(ok_sample("np_1", kT0 + 2 * kMinute));
  VerifyRecord clean;
  clean.observed_at = kT0 + 2 * kMinute;
  clean.finished = true;
  clean.different_number = 0;
  clean.tables = 12;
  later.verify = clean;
  later.outlook_json = "";
  OMSWATCH_RECORD(*store_, later);
  status = value_of(reader->latest_status());
  ASSERT_TRUE(status[0].verify.has_value());
  EXPECT_EQ(status[0].verify->different_number, 0);
  EXPECT_EQ(status[0].verify->worst_tables_json, "[]");
  EXPECT_EQ(status[0].outlook_json, "");
  EXPECT_EQ(rows("verifications"), 1);
}

TEST_F(ProgressStoreTest, ProgressIsStoredWithThePollOrNotAtAll) {
  ObservationWrite first = transfer_poll("np_1", kT0);
  first.events.push_back(make_event("evt_1", "np_1", "status_changed", "notice", "info", kT0));
  OMSWATCH_RECORD(*store_, first);

  // The same event id again: the whole write is refused, its progress too.
  ObservationWrite second = transfer_poll("np_1", kT0 + kMinute);
  second.verify = mismatched_verification(kT0 + kMinute);
  second.outlook_json = kOutlook;
  second.events.push_back(
      make_event("evt_1", "np_1", "status_changed", "notice", "info", kT0 + kMinute));
  EXPECT_FALSE(store_->record(second).has_value());
  EXPECT_EQ(rows("step_sample_rows"), 1);
  EXPECT_EQ(rows("verifications"), 0);
  EXPECT_EQ(rows("project_outlook"), 0);

  // A value outside the schema is refused the same way.
  ObservationWrite bad = transfer_poll("np_1", kT0 + 2 * kMinute);
  bad.step_sample->eta_basis = "guess";
  auto refused = store_->record(bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error(), HasSubstr("step reading"));
  EXPECT_EQ(rows("step_sample_rows"), 1);
  EXPECT_EQ(rows("sample_rows"), 1);
}

TEST_F(ProgressStoreTest, ProgressWithoutAProjectIsRefused) {
  ObservationWrite w;
  w.oms = "prod";
  w.now = kT0;
  w.step_sample = transfer_step(kT0);
  auto refused = store_->record(w);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error(), HasSubstr("needs a project"));
}

TEST_F(ProgressStoreTest, AVersion4FileGainsTheProgressTables) {
  const std::string old_path = dir_.file("v4.db");
  {
    auto db = open_raw(old_path, sqlite::kOpenReadWrite | sqlite::kOpenCreate);
    ASSERT_TRUE(db.exec("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL").has_value());
    for (const Migration& m : migrations()) {
      if (m.version > 4) break;
      ASSERT_TRUE(db.exec(std::string(m.sql)).has_value()) << m.version;
    }
    ASSERT_TRUE(db.exec("PRAGMA user_version = 4").has_value());
    ASSERT_TRUE(db.exec(R"sql(
INSERT INTO sample_projects (id, oms, project_id) VALUES (1, 'prod', 'np_1');
INSERT INTO sample_rows (project, observed_at, outcome, latency_us)
  VALUES (1, 1795924800000, 0, 1800);)sql")
                    .has_value());
  }
  auto store = open_store(old_path);
  EXPECT_EQ(store->schema_version(), latest_schema_version());  // through 5, and on
  ObservationWrite w = poll_write(ok_sample("np_1", kT0 + kMinute));
  w.step_sample = transfer_step(kT0 + kMinute);
  w.verify = mismatched_verification(kT0 + kMinute);
  w.outlook_json = kOutlook;
  OMSWATCH_RECORD(*store, w);
  auto status = value_of(store->latest_status());
  ASSERT_EQ(status.size(), 1u);
  EXPECT_TRUE(status[0].step.has_value());
  EXPECT_TRUE(status[0].verify.has_value());
  EXPECT_EQ(status[0].outlook_json, kOutlook);
}

}  // namespace
}  // namespace omswatch::storage
