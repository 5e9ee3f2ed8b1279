// The RAII wrappers over the SQLite C API, on real files.

#include "storage/sqlite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage::sqlite {
namespace {

using storage::testing::count_rows;
using storage::testing::open_raw;
using ::testing::HasSubstr;

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.emplace(open_raw(dir_.file("t.db"), kOpenReadWrite | kOpenCreate));
    auto made = db_->exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER, x REAL)");
    ASSERT_TRUE(made.has_value()) << made.error();
  }

  omswatch::testing::TempDir dir_;
  std::optional<Database> db_;
};

TEST_F(SqliteTest, BindsAndReadsEveryTypeIncludingNull) {
  Statement insert(*db_, "INSERT INTO t (name, n, x) VALUES (?1, ?2, ?3)");
  insert.bind(1, std::string("alpha"));
  insert.bind(2, std::optional<std::int64_t>(1'795'924'800'123));
  insert.bind(3, 2.5);
  ASSERT_TRUE(insert.run().has_value());
  insert.bind(1, "beta");
  insert.bind(2, std::optional<int>());
  insert.bind_null(3);
  ASSERT_TRUE(insert.run().has_value());

  Statement select(*db_, "SELECT name, n, x FROM t ORDER BY id");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_text(0), "alpha");
  EXPECT_EQ(select.column_int64(1), 1'795'924'800'123);
  EXPECT_EQ(select.column_optional_int64(1), 1'795'924'800'123);
  EXPECT_DOUBLE_EQ(select.column_double(2), 2.5);
  EXPECT_FALSE(select.is_null(2));
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_string(0), "beta");
  EXPECT_TRUE(select.is_null(1));
  EXPECT_EQ(select.column_optional_int(1), std::nullopt);
  EXPECT_EQ(select.column_optional_string(2), std::nullopt);
  EXPECT_EQ(select.column_text(2), "");
  EXPECT_FALSE(select.step());
  EXPECT_EQ(select.column_count(), 3);
  EXPECT_EQ(select.column_name(1), "n");
}

TEST_F(SqliteTest, BindsByNameAndRefusesUnknownNames) {
  Statement insert(*db_, "INSERT INTO t (name, n) VALUES (:name, :n)");
  insert.bind(":name", std::string("gamma"));
  insert.bind(":n", 7);
  ASSERT_TRUE(insert.run().has_value());
  EXPECT_THROW(insert.bind(":missing", 1), Error);
  EXPECT_THROW(insert.bind(9, 1), Error);

  Statement select(*db_, "SELECT n FROM t WHERE name = :name");
  select.bind(":name", "gamma");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int(0), 7);
  EXPECT_THROW(select.column_int(1), Error);
}

TEST_F(SqliteTest, PrepareFailureThrowsWithSqlitesMessageAndTheSql) {
  try {
    Statement bad(*db_, "SELECT nope FROM t");
    FAIL() << "prepared a statement naming a missing column";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no such column: nope"));
    EXPECT_THAT(e.what(), HasSubstr("SELECT nope FROM t"));
  }
  EXPECT_THROW({ Statement two(*db_, "SELECT 1; SELECT 2"); }, Error);
  EXPECT_THROW({ Statement none(*db_, "   "); }, Error);
  // A StorageError, so callers of the Store can catch one type.
  EXPECT_THROW({ Statement typo(*db_, "SELEC 1"); }, StorageError);
}

TEST_F(SqliteTest, RunReturnsConstraintErrorsAndLeavesTheStatementReusable) {
  Statement insert(*db_, "INSERT INTO t (name) VALUES (?1)");
  insert.bind(1, "same");
  ASSERT_TRUE(insert.run().has_value());
  insert.bind(1, "same");
  auto again = insert.run();
  ASSERT_FALSE(again.has_value());
  EXPECT_THAT(again.error(), HasSubstr("UNIQUE constraint failed: t.name"));
  EXPECT_THAT(again.error(), HasSubstr("INSERT INTO t"));
  insert.bind(1, "other");
  EXPECT_TRUE(insert.run().has_value());
  EXPECT_EQ(count_rows(*db_, "t"), 2);
  EXPECT_EQ(db_->changes(), 1);
}

TEST_F(SqliteTest, RunClearsBindingsSoNothingLeaksIntoTheNextUse) {
  Statement insert(*db_, "INSERT INTO t (name, n) VALUES (?1, ?2)");
  insert.bind(1, "first");
  insert.bind(2, 42);
  ASSERT_TRUE(insert.run().has_value());
  insert.bind(1, "second");  // ?2 not bound this time: NULL, not 42
  ASSERT_TRUE(insert.run().has_value());
  Statement select(*db_, "SELECT n FROM t WHERE name = 'second'");
  ASSERT_TRUE(select.step());
  EXPECT_TRUE(select.is_null(0));
}

TEST_F(SqliteTest, ResetLetsAQueryRunAgain) {
  ASSERT_TRUE(db_->exec("INSERT INTO t (name, n) VALUES ('a', 1), ('b', 2)").has_value());
  Statement select(*db_, "SELECT sum(n) FROM t WHERE n >= ?1");
  select.bind(1, 1);
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int(0), 3);
  select.reset();
  ASSERT_TRUE(select.step());  // bindings survive reset()
  EXPECT_EQ(select.column_int(0), 3);
  select.reset();
  select.bind(1, 2);
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int(0), 2);
}

TEST_F(SqliteTest, StatementsMove) {
  Statement a(*db_, "SELECT 41 + 1");
  Statement b = std::move(a);
  ASSERT_TRUE(b.step());
  EXPECT_EQ(b.column_int(0), 42);
  Statement c(*db_, "SELECT 'c'");
  c = std::move(b);
  c.reset();
  ASSERT_TRUE(c.step());
  EXPECT_EQ(c.column_int(0), 42);
}

TEST_F(SqliteTest, TransactionRollsBackUnlessCommitted) {
  {
    auto tx = Transaction::begin(*db_);
    ASSERT_TRUE(tx.has_value()) << tx.error();
    ASSERT_TRUE(db_->exec("INSERT INTO t (name) VALUES ('dropped')").has_value());
    EXPECT_TRUE(db_->in_transaction());
  }
  EXPECT_FALSE(db_->in_transaction());
  EXPECT_EQ(count_rows(*db_, "t"), 0);
  {
    auto tx = Transaction::begin(*db_);
    ASSERT_TRUE(tx.has_value());
    ASSERT_TRUE(db_->exec("INSERT INTO t (name) VALUES ('kept')").has_value());
    ASSERT_TRUE(tx->commit().has_value());
    EXPECT_FALSE(tx->commit().has_value());  // once only
  }
  EXPECT_EQ(count_rows(*db_, "t"), 1);
}

TEST_F(SqliteTest, ImmediateTransactionWaitsNoLongerThanTheBusyTimeout) {
  Database other = open_raw(dir_.file("t.db"));
  other.set_busy_timeout(std::chrono::milliseconds(0));
  auto held = Transaction::begin(*db_);
  ASSERT_TRUE(held.has_value());
  auto second = Transaction::begin(other);
  ASSERT_FALSE(second.has_value());
  EXPECT_THAT(second.error(), HasSubstr("database is locked"));
  EXPECT_THAT(second.error(), HasSubstr("BEGIN IMMEDIATE"));
}

TEST_F(SqliteTest, ExecReportsTheFailingSql) {
  auto r = db_->exec("INSERT INTO missing VALUES (1)");
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error(), HasSubstr("no such table: missing"));
  EXPECT_THAT(r.error(), HasSubstr("INSERT INTO missing"));
}

TEST(SqliteOpen, FailureNamesThePath) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("absent/x.db");
  auto db = Database::open(path, kOpenReadWrite);  // no kOpenCreate, no directory
  ASSERT_FALSE(db.has_value());
  EXPECT_THAT(db.error(), HasSubstr(path));
  EXPECT_THAT(db.error(), HasSubstr("unable to open"));
}

TEST(SqliteOpen, ReadOnlyConnectionCannotWrite) {
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("ro.db");
  {
    Database rw = open_raw(path, kOpenReadWrite | kOpenCreate);
    ASSERT_TRUE(rw.exec("CREATE TABLE t (x)").has_value());
  }
  Database ro = open_raw(path, kOpenReadOnly);
  auto r = ro.exec("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error(), HasSubstr("readonly"));
}

}  // namespace
}  // namespace omswatch::storage::sqlite
