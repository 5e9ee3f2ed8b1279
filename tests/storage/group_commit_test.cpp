// Group commit (StoreOptions::commit_delay): quiet writes share a transaction;
// writes with events or deliveries, other calls, flush() and closing commit it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using testing::count_rows;
using ::testing::HasSubstr;
using testing::kMinute;
using testing::kSecond;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::poll_write;

class GroupCommitTest : public ::testing::Test {
 protected:
  GroupCommitTest() {
    StoreOptions options;
    options.sample_every = std::chrono::milliseconds(0);
    // Far longer than any test: only what the test does commits a group.
    options.commit_delay = std::chrono::hours(1);
    options.on_group_opened = [this] { ++groups_opened_; };
    auto store = Store::open(path_, OpenMode::read_write, options);
    if (!store) throw std::runtime_error(store.error());
    store_ = std::move(*store);
  }

  // What another connection (the CLI, sqlite3) sees.
  std::int64_t visible(const std::string& table) {
    auto db = open_raw(path_, sqlite::kOpenReadOnly);
    return count_rows(db, table);
  }

  omswatch::testing::TempDir dir_;
  std::string path_ = dir_.file("omswatch.db");
  int groups_opened_ = 0;
  std::unique_ptr<Store> store_;
};

TEST_F(GroupCommitTest, QuietWritesAreHeldUntilFlush) {
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0)));
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_2", kT0 + kSecond)));
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0 + 2 * kSecond)));
  EXPECT_EQ(groups_opened_, 1);
  EXPECT_EQ(visible("samples"), 0);
  EXPECT_EQ(visible("project_state"), 0);
  // The store's own connection reads what it holds.
  EXPECT_EQ(testing::value_of(store_->history("np_1", std::nullopt, std::nullopt, 0)).size(), 2u);

  auto flushed = store_->flush();
  ASSERT_TRUE(flushed.has_value()) << flushed.error();
  EXPECT_EQ(visible("samples"), 3);
  EXPECT_EQ(visible("project_state"), 2);
  EXPECT_EQ(store_->sample_counts().stored, 3);

  // Nothing held: flush() is a no-op, and the next quiet write opens a new group.
  EXPECT_TRUE(store_->flush().has_value());
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_3", kT0 + 3 * kSecond)));
  EXPECT_EQ(groups_opened_, 2);
}

TEST_F(GroupCommitTest, AWriteWithEventsCommitsAtOnceWithTheGroup) {
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0)));
  auto failed = make_event("evt_a", "np_2", "project_failed", "firing", "critical", kT0);
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_2", kT0), {failed}, {"ops"}));
  EXPECT_EQ(visible("samples"), 2);
  EXPECT_EQ(visible("events"), 1);
  EXPECT_EQ(visible("outbox"), 1);
}

TEST_F(GroupCommitTest, AFailedWriteLeavesTheGroupsEarlierWrites) {
  auto failed = make_event("evt_a", "np_2", "project_failed", "firing", "critical", kT0);
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_2", kT0), {failed}, {"ops"}));
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0 + kSecond)));
  // The same event id again: refused, and nothing of this write is kept.
  auto again = poll_write(ok_sample("np_3", kT0 + 2 * kSecond), {failed}, {"ops"});
  auto refused = store_->record(again);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error(), HasSubstr("np_3"));

  ASSERT_TRUE(store_->flush().has_value());
  EXPECT_EQ(visible("samples"), 2);  // np_2's and np_1's
  EXPECT_EQ(visible("project_state"), 2);
  EXPECT_EQ(visible("events"), 1);
  EXPECT_TRUE(testing::value_of(store_->history("np_3", std::nullopt, std::nullopt, 0)).empty());
}

TEST_F(GroupCommitTest, OtherWritesAndTransactionsCommitTheGroupFirst) {
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0)));
  Silence silence;
  silence.project_id = "np_9";
  silence.starts_at = kT0;
  silence.ends_at = kT0 + kMinute;
  auto added = store_->add_silence(silence);
  ASSERT_TRUE(added.has_value()) << added.error();
  EXPECT_EQ(visible("samples"), 1);
  EXPECT_EQ(visible("silences"), 1);

  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0 + kSecond)));
  auto pruned = store_->prune(kT0 + kMinute, 100);
  ASSERT_TRUE(pruned.has_value()) << pruned.error();
  EXPECT_EQ(visible("samples"), 2);

  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0 + 2 * kSecond)));
  EXPECT_EQ(testing::value_of(store_->events({})).size(), 0u);
  EXPECT_EQ(visible("samples"), 3);
}

TEST_F(GroupCommitTest, ClosingTheStoreCommitsTheGroup) {
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0)));
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_2", kT0)));
  store_.reset();
  EXPECT_EQ(visible("samples"), 2);
  EXPECT_EQ(visible("project_state"), 2);
}

TEST_F(GroupCommitTest, HeldWritesSurviveAReaderHoldingASnapshot) {
  auto reader = open_raw(path_, sqlite::kOpenReadOnly);
  auto begun = reader.exec("BEGIN; SELECT count(*) FROM samples;");
  ASSERT_TRUE(begun.has_value()) << begun.error();
  OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0)));
  ASSERT_TRUE(store_->flush().has_value());
  EXPECT_EQ(count_rows(reader, "samples"), 0);  // its snapshot is older
  ASSERT_TRUE(reader.exec("COMMIT").has_value());
  EXPECT_EQ(count_rows(reader, "samples"), 1);
}

// An open group holds the write lock. A daemon polling thousands of
// projects a second always has one open; another process's writer (omswatch
// silence add, with its busy timeout) must still get its turn.
TEST(GroupCommitLock, AnotherWriterGetsItsTurnWhilePollsStreamIn) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  std::atomic<bool> stop{false};
  std::atomic<int> groups{0};
  std::string writer_error;
  {
    StoreOptions options;
    options.sample_every = std::chrono::milliseconds(0);
    options.commit_delay = std::chrono::milliseconds(100);
    options.on_group_opened = [&] { ++groups; };
    auto store = Store::open(path, OpenMode::read_write, options);
    ASSERT_TRUE(store.has_value()) << store.error();
    std::thread daemon([&, s = std::move(*store)] {
      // About 1,000 quiet polls a second, each record() on the daemon's loop:
      // between two groups the lock is free for about a millisecond.
      TimeMs t = kT0;
      int i = 0;
      while (!stop) {
        auto done = s->record(poll_write(ok_sample("np_" + std::to_string(i++ % 1000), t += 1)));
        if (!done && writer_error.empty()) writer_error = done.error();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the pace, not a wait
      }
    });
    while (groups < 3) std::this_thread::yield();  // the daemon is in its stride

    // A hundred turns in a row, each within its busy timeout: a wait that tries
    // the lock at SQLite's own pace (sleeps growing to 100 ms) lands in the
    // gap between two groups in most turns but not all, one that tries every
    // millisecond in nearly every group.
    auto cli = open_raw(path);
    cli.set_busy_timeout(std::chrono::seconds(1));
    std::vector<std::string> refused;
    for (int turn = 0; turn < 100; ++turn) {
      auto mine = sqlite::Transaction::begin(cli);
      if (!mine) {
        refused.push_back(mine.error());
        continue;
      }
      EXPECT_TRUE(mine->commit().has_value());
    }
    stop = true;
    daemon.join();
    EXPECT_THAT(refused, ::testing::IsEmpty());
  }
  EXPECT_EQ(writer_error, "");
}

}  // namespace
}  // namespace omswatch::storage
