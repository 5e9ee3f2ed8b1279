// Acks on a real SQLite file: only an open condition can be acked, once; the
// ack ends with the resolution of its occurrence (a later occurrence is not
// acked), and the resolution's delivery carries who had acked it.

#include <gtest/gtest.h>

#include "storage/schema.h"
#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using testing::kMinute;
using testing::kT0;
using testing::make_event;
using testing::ok_sample;
using testing::open_store;
using testing::poll_write;

AckRequest ack_of(const std::string& project, const std::string& kind, TimeMs now,
                  const std::string& oms = "") {
  AckRequest r;
  r.oms = oms;
  r.project_id = project;
  r.kind = kind;
  r.acked_by = "alice";
  r.reason = "restarting the source";
  r.now = now;
  return r;
}

class AckStoreTest : public ::testing::Test {
 protected:
  void fire(const std::string& id, TimeMs at, const std::string& oms = "prod") {
    auto e = make_event(id, "np_1", "project_failed", "firing", "critical", at, oms);
    auto w = poll_write(ok_sample("np_1", at, 5, oms), {e}, {"oncall"});
    OMSWATCH_RECORD(*store_, w);
  }
  void resolve(const std::string& id, TimeMs at) {
    auto e = make_event(id, "np_1", "project_failed", "resolved", "critical", at);
    OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", at), {e}, {"oncall"}));
  }

  omswatch::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = open_store(dir_.file("omswatch.db"));
};

TEST_F(AckStoreTest, OnlyAnOpenConditionCanBeAckedAndOnlyOnce) {
  auto none = store_->add_ack(ack_of("np_1", "project_failed", kT0));
  ASSERT_TRUE(none.has_value()) << none.error();
  EXPECT_EQ(none->outcome, AckAdded::Outcome::not_open);

  fire("f1", kT0);
  fire("f2", kT0 + kMinute);  // a repeat of the same occurrence
  auto added = store_->add_ack(ack_of("np_1", "project_failed", kT0 + 2 * kMinute));
  ASSERT_TRUE(added.has_value()) << added.error();
  ASSERT_EQ(added->outcome, AckAdded::Outcome::added);
  EXPECT_GT(added->ack.id, 0);
  EXPECT_EQ(added->ack.oms, "prod");
  EXPECT_EQ(added->ack.fired_at, kT0) << "the occurrence's first firing";

  auto again = store_->add_ack(ack_of("np_1", "project_failed", kT0 + 3 * kMinute));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->outcome, AckAdded::Outcome::already_acked);
  EXPECT_EQ(again->ack.id, added->ack.id);

  auto other_kind = store_->add_ack(ack_of("np_1", "incr_lagging", kT0));
  ASSERT_TRUE(other_kind.has_value());
  EXPECT_EQ(other_kind->outcome, AckAdded::Outcome::not_open);

  auto in_force = store_->acks(false);
  ASSERT_TRUE(in_force.has_value());
  ASSERT_EQ(in_force->size(), 1u);
  EXPECT_EQ((*in_force)[0].acked_by, "alice");
  EXPECT_EQ((*in_force)[0].reason, "restarting the source");
  EXPECT_EQ((*in_force)[0].created_at, kT0 + 2 * kMinute);
}

TEST_F(AckStoreTest, TheAckEndsWithTheResolutionAndANewOccurrenceIsNotAcked) {
  fire("f1", kT0);
  ASSERT_EQ(store_->add_ack(ack_of("np_1", "project_failed", kT0 + kMinute))->outcome,
            AckAdded::Outcome::added);
  resolve("r1", kT0 + 5 * kMinute);

  auto in_force = store_->acks(false);
  ASSERT_TRUE(in_force.has_value());
  EXPECT_TRUE(in_force->empty());
  auto all = store_->acks(true);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].resolved_at, kT0 + 5 * kMinute);
  EXPECT_EQ((*all)[0].resolved_event_id, "r1");

  // The resolution's delivery says who had acked the condition; the firing's does not.
  auto due = store_->due_deliveries(kT0 + 10 * kMinute, 100);
  ASSERT_TRUE(due.has_value()) << due.error();
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].event.id, "f1");
  EXPECT_EQ((*due)[0].acked_by, "");
  EXPECT_EQ((*due)[1].event.id, "r1");
  EXPECT_EQ((*due)[1].acked_by, "alice");
  EXPECT_EQ((*due)[1].ack_reason, "restarting the source");

  // The condition fires again: nothing acks it, and it can be acked anew.
  fire("f3", kT0 + 20 * kMinute);
  EXPECT_TRUE(store_->acks(false)->empty());
  auto anew = store_->add_ack(ack_of("np_1", "project_failed", kT0 + 21 * kMinute));
  ASSERT_TRUE(anew.has_value());
  ASSERT_EQ(anew->outcome, AckAdded::Outcome::added);
  EXPECT_EQ(anew->ack.fired_at, kT0 + 20 * kMinute);
}

TEST_F(AckStoreTest, ARemovedAckIsNotInForceAndItsResolutionNamesNoOne) {
  fire("f1", kT0);
  auto added = store_->add_ack(ack_of("np_1", "project_failed", kT0 + kMinute));
  ASSERT_EQ(added->outcome, AckAdded::Outcome::added);
  auto removed = store_->remove_ack(added->ack.id, "bob", kT0 + 2 * kMinute);
  ASSERT_TRUE(removed.has_value()) << removed.error();
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*store_->remove_ack(added->ack.id, "bob", kT0 + 3 * kMinute)) << "removed twice";
  EXPECT_FALSE(*store_->remove_ack(999, "bob", kT0 + 3 * kMinute));
  EXPECT_TRUE(store_->acks(false)->empty());
  const auto all = *store_->acks(true);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].removed_at, kT0 + 2 * kMinute);
  EXPECT_EQ(all[0].removed_by, "bob");

  resolve("r1", kT0 + 5 * kMinute);
  EXPECT_FALSE(store_->acks(true)->front().resolved_at) << "a removed ack stays removed";
  auto due = *store_->due_deliveries(kT0 + 10 * kMinute, 100);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[1].acked_by, "");
}

TEST_F(AckStoreTest, AConditionOpenInTwoOmsNeedsTheOmsNamed) {
  fire("f1", kT0, "prod");
  fire("f2", kT0, "staging");
  auto both = store_->add_ack(ack_of("np_1", "project_failed", kT0 + kMinute));
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->outcome, AckAdded::Outcome::ambiguous);
  EXPECT_EQ(both->oms, (std::vector<std::string>{"prod", "staging"}));
  auto one = store_->add_ack(ack_of("np_1", "project_failed", kT0 + kMinute, "staging"));
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->outcome, AckAdded::Outcome::added);
  EXPECT_EQ(one->ack.oms, "staging");
}

TEST_F(AckStoreTest, AReadOnlyStoreRefusesAnAck) {
  fire("f1", kT0);
  auto reader = open_store(dir_.file("omswatch.db"), OpenMode::read_only);
  auto refused = reader->add_ack(ack_of("np_1", "project_failed", kT0 + kMinute));
  EXPECT_FALSE(refused.has_value());
}

TEST(AckMigration, AVersion5FileGainsTheAcksAndItsOpenConditionsCanBeAcked) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("v5.db");
  {
    auto db = testing::open_raw(path, sqlite::kOpenReadWrite | sqlite::kOpenCreate);
    ASSERT_TRUE(db.exec("PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL").has_value());
    for (const Migration& m : migrations()) {
      if (m.version > 5) break;
      ASSERT_TRUE(db.exec(std::string(m.sql)).has_value()) << m.version;
    }
    ASSERT_TRUE(db.exec("PRAGMA user_version = 5").has_value());
    ASSERT_TRUE(db.exec(R"sql(
INSERT INTO events (id, oms, project_id, kind, state, severity, summary, observed_at)
  VALUES ('f1', 'prod', 'np_1', 'project_failed', 'firing', 'critical', 'np_1 FAILED',
          1795924800000);)sql")
                    .has_value());
  }
  auto store = open_store(path);
  EXPECT_EQ(store->schema_version(), 6);
  auto added = store->add_ack(ack_of("np_1", "project_failed", kT0 + kMinute));
  ASSERT_TRUE(added.has_value()) << added.error();
  EXPECT_EQ(added->outcome, AckAdded::Outcome::added);
  EXPECT_EQ(added->ack.fired_at, 1795924800000);
}

}  // namespace
}  // namespace omswatch::storage
