// A reader (the CLI, another process) and the daemon's writer on one file.
// Each side has its own connection, as two processes would.

#include <gtest/gtest.h>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using testing::count_rows;
using testing::kMinute;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::open_store;
using testing::poll_write;

class ConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override { OMSWATCH_RECORD(*writer_, poll_write(ok_sample("np_1", kT0))); }

  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
  std::unique_ptr<Store> writer_ = open_store(path_);
};

TEST_F(ConcurrencyTest, WriterCommitsWhileAReaderHoldsAReadTransaction) {
  auto reader = open_raw(path_, sqlite::kOpenReadOnly);
  auto snapshot = sqlite::Transaction::begin(reader, sqlite::Transaction::Mode::deferred);
  ASSERT_TRUE(snapshot.has_value()) << snapshot.error();
  ASSERT_EQ(count_rows(reader, "samples"), 1);  // the read snapshot starts here

  auto e = make_event("evt_1", "np_1", "project_failed", "firing", "critical", kT0 + kMinute);
  OMSWATCH_RECORD(*writer_, poll_write(ok_sample("np_1", kT0 + kMinute), {e}, {"oncall"}));
  auto due = testing::value_of(writer_->due_deliveries(kT0 + kMinute, 10));
  ASSERT_EQ(due.size(), 1u);
  ASSERT_TRUE(writer_->mark_delivered({due[0].id}, kT0 + kMinute).has_value());

  // The reader keeps its consistent view until it ends its transaction.
  EXPECT_EQ(count_rows(reader, "samples"), 1);
  EXPECT_EQ(count_rows(reader, "events"), 0);
  ASSERT_TRUE(snapshot->commit().has_value());
  EXPECT_EQ(count_rows(reader, "samples"), 2);
  EXPECT_EQ(count_rows(reader, "events"), 1);
}

TEST_F(ConcurrencyTest, ReadOnlyStoreReadsWhileAWriteTransactionIsOpen) {
  auto reader = open_store(path_, OpenMode::read_only);
  auto other_writer = open_raw(path_);
  auto writing = sqlite::Transaction::begin(other_writer);
  ASSERT_TRUE(writing.has_value());
  ASSERT_TRUE(other_writer
                  .exec("INSERT INTO sample_projects (oms, project_id) VALUES ('prod', 'np_9'); "
                        "INSERT INTO sample_rows (project, observed_at, outcome, latency_us) "
                        "VALUES (last_insert_rowid(), 0, 0, 1)")
                  .has_value());

  // Not blocked, and not shown what is not committed.
  auto status = testing::value_of(reader->latest_status());
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].project_id, "np_1");
  EXPECT_EQ(testing::value_of(reader->history("np_1", std::nullopt, std::nullopt, 0)).size(), 1u);
  EXPECT_TRUE(testing::value_of(reader->events({})).empty());
  EXPECT_EQ(testing::value_of(reader->pending_count()), 0);

  ASSERT_TRUE(writing->commit().has_value());
  EXPECT_EQ(testing::value_of(reader->latest_status()).size(), 2u);
}

// A query that left its statement un-reset would pin the reader's snapshot,
// and the writer could never checkpoint the WAL back into the database: it
// would grow without end while the CLI (or the daemon's own API) sits idle.
TEST_F(ConcurrencyTest, QueriesReleaseTheirSnapshotSoTheWalCanBeCheckpointed) {
  auto reader = open_store(path_, OpenMode::read_only);
  ASSERT_EQ(testing::value_of(reader->latest_status()).size(), 1u);
  (void)testing::value_of(reader->history("np_1", std::nullopt, std::nullopt, 1));
  (void)testing::value_of(reader->events({}));
  (void)testing::value_of(reader->due_deliveries(kT0, 1));
  (void)testing::value_of(reader->next_due_at());
  (void)testing::value_of(reader->pending_count());
  (void)testing::value_of(reader->load_project_states());
  (void)testing::value_of(reader->load_oms_state("prod"));

  for (int i = 1; i <= 5; ++i) {
    OMSWATCH_RECORD(*writer_, poll_write(ok_sample("np_1", kT0 + i * kMinute)));
  }
  auto checkpointer = open_raw(path_);
  sqlite::Statement checkpoint(checkpointer, "PRAGMA wal_checkpoint(PASSIVE)");
  ASSERT_TRUE(checkpoint.step());
  const int wal_frames = checkpoint.column_int(1);
  const int checkpointed = checkpoint.column_int(2);
  EXPECT_GT(wal_frames, 0);
  EXPECT_EQ(checkpointed, wal_frames);
}

}  // namespace
}  // namespace omswatch::storage
