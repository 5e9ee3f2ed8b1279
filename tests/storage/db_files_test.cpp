// The database's files, looked at before an open (named pipes, files the
// daemon cannot write) and while the daemon runs (deleted or replaced).

#include "storage/db_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "storage/db_watch.h"
#include "storage/store.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using ::testing::HasSubstr;
using Action = FileVerdict::Action;

FileFacts regular(std::uint32_t permissions, std::uint32_t uid, bool writable) {
  return {true, S_IFREG | permissions, uid, writable};
}

TEST(DatabaseFiles, WhatIsNotARegularFileIsRefusedByName) {
  const FileFacts fifo{true, S_IFIFO | 0644, 0, true};
  for (bool read_write : {false, true}) {
    auto v = judge_database_file("/d/x.db", DbFile::database, fifo, read_write, 0);
    EXPECT_EQ(v.action, Action::refuse);
    EXPECT_THAT(v.message, HasSubstr("/d/x.db is a named pipe, not a database file"));
    v = judge_database_file("/d/x.db-wal", DbFile::wal, fifo, read_write, 0);
    EXPECT_EQ(v.action, Action::refuse);
    EXPECT_THAT(v.message, HasSubstr("/d/x.db-wal is a named pipe where the database's "
                                     "write-ahead log belongs: remove it"));
  }
  auto v =
      judge_database_file("/d/x.db", DbFile::database, {true, S_IFDIR | 0755, 0, true}, false, 0);
  EXPECT_THAT(v.message, HasSubstr("/d/x.db is a directory"));
}

TEST(DatabaseFiles, AMissingDatabaseIsCreatedOnlyByTheDaemon) {
  EXPECT_EQ(judge_database_file("/d/x.db", DbFile::database, {}, true, 0).action, Action::open);
  auto v = judge_database_file("/d/x.db", DbFile::database, {}, false, 0);
  EXPECT_EQ(v.action, Action::refuse);
  EXPECT_EQ(v.message, "no database at /d/x.db: the file does not exist");
  EXPECT_EQ(judge_database_file("/d/x.db-shm", DbFile::shm, {}, false, 0).action, Action::open);
}

TEST(DatabaseFiles, AReadOnlyShmFileIsRepairedWhenOursAndNamedWhenNot) {
  // Ours (uid 107 is the daemon's), without the owner's write bit: made writable.
  auto v = judge_database_file("/d/x.db-shm", DbFile::shm, regular(0444, 107, false), true, 107);
  EXPECT_EQ(v.action, Action::make_writable);
  // Another user's: the message names the file, its mode and owner, and the fix.
  v = judge_database_file("/d/x.db-shm", DbFile::shm, regular(0444, 0, false), true, 107);
  EXPECT_EQ(v.action, Action::refuse);
  EXPECT_EQ(v.message,
            "cannot write /d/x.db-shm (the database's shared-memory index, mode 0444, owner uid "
            "0): remove it while no omswatch process runs (SQLite rebuilds it), or give it to the "
            "daemon's user (chown omswatch:omswatch /d/x.db-shm; chmod 0640 /d/x.db-shm)");
  // A -wal file is never to be deleted.
  v = judge_database_file("/d/x.db-wal", DbFile::wal, regular(0440, 0, false), true, 107);
  EXPECT_EQ(v.action, Action::refuse);
  EXPECT_THAT(v.message, HasSubstr("do not delete it"));
  // The database itself is not changed behind the operator's back.
  v = judge_database_file("/d/x.db", DbFile::database, regular(0444, 107, false), true, 107);
  EXPECT_EQ(v.action, Action::refuse);
  EXPECT_THAT(v.message, HasSubstr("cannot write /d/x.db (the database, mode 0444"));
  // Reading needs no write access; writable files are fine.
  EXPECT_EQ(
      judge_database_file("/d/x.db-shm", DbFile::shm, regular(0444, 0, false), false, 107).action,
      Action::open);
  EXPECT_EQ(
      judge_database_file("/d/x.db", DbFile::database, regular(0640, 107, true), true, 107).action,
      Action::open);
}

// The I/O shell only looks (stat, access): a named pipe never blocks it. The
// commands that would block on one are run with a deadline in
// tests/e2e/database_files_test.cpp.
TEST(DatabaseFiles, LooksAtTheDatabaseAndItsFilesWithoutOpeningThem) {
  omswatch::testing::TempDir dir;
  const std::string fifo = dir.file("pipe.db");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (bool read_write : {false, true}) {
    auto checked = check_database_files(fifo, read_write);
    ASSERT_FALSE(checked);
    EXPECT_THAT(checked.error(), HasSubstr(fifo + " is a named pipe, not a database file"));
  }
  const std::string db = dir.file("real.db");
  ASSERT_TRUE(Store::open(db, OpenMode::read_write));
  EXPECT_TRUE(check_database_files(db, false));
  EXPECT_TRUE(check_database_files(db, true));
  ASSERT_EQ(::mkfifo((db + "-shm").c_str(), 0600), 0);
  auto checked = check_database_files(db, false);
  ASSERT_FALSE(checked);
  EXPECT_THAT(checked.error(), HasSubstr(db + "-shm is a named pipe"));
  EXPECT_THAT(check_database_files(dir.file("none.db"), false).error(),
              HasSubstr("no database at " + dir.file("none.db")));
}

TEST(DatabaseFileWatch, NothingChangedIsNoProblem) {
  EXPECT_EQ(file_change("/d/x.db", "database file", FileId{1, 2}, FileId{1, 2}), std::nullopt);
  EXPECT_EQ(file_change("/d/x.db-wal", "write-ahead log", std::nullopt, std::nullopt),
            std::nullopt);
  EXPECT_THAT(file_change("/d/x.db", "database file", FileId{1, 2}, std::nullopt).value_or(""),
              HasSubstr("database file /d/x.db was deleted while omswatch runs"));
  EXPECT_THAT(file_change("/d/x.db", "database file", FileId{1, 2}, FileId{1, 3}).value_or(""),
              HasSubstr("database file /d/x.db was replaced by another file"));
}

TEST(DatabaseFileWatch, SeesTheDatabaseOrItsLogDeletedOrReplaced) {
  omswatch::testing::TempDir dir;
  for (const std::string victim : {"", "-wal"}) {
    const std::string db = dir.file("watched" + victim + ".db");
    auto store = Store::open(db, OpenMode::read_write);
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE(std::filesystem::exists(db + "-wal"));
    DatabaseFileWatch watch(db);
    EXPECT_EQ(watch.check().problem, std::nullopt);

    std::filesystem::remove(db + victim);
    auto found = watch.check();
    ASSERT_TRUE(found.problem) << victim;
    EXPECT_TRUE(found.first);
    EXPECT_THAT(*found.problem, HasSubstr(db + victim + " was deleted while omswatch runs"));
    // A file put there afterwards mends nothing, and the problem is reported once as new.
    std::ofstream(db + victim) << "";
    found = watch.check();
    EXPECT_FALSE(found.first);
    EXPECT_THAT(found.problem.value_or(""), HasSubstr("was deleted"));
  }
  const std::string db = dir.file("replaced.db");
  auto store = Store::open(db, OpenMode::read_write);
  ASSERT_TRUE(store) << store.error();
  DatabaseFileWatch watch(db);
  std::filesystem::rename(db, dir.file("moved.db"));
  std::ofstream(db) << "";
  EXPECT_THAT(watch.check().problem.value_or(""), HasSubstr("was replaced by another file"));
}

}  // namespace
}  // namespace omswatch::storage
