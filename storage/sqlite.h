#pragma once
// Small RAII wrappers over the SQLite C API, for storage's own code and for
// bench/. <sqlite3.h> stays out of this header.
//
// Failures that depend on the database at run time (opening, executing,
// stepping a write, committing) come back as Expected values. Misuse that is
// a bug in omswatch (SQL that does not prepare, a bind to a parameter that does
// not exist, a column index out of range) and a failing read step throw
// sqlite::Error, a StorageError. Every message carries SQLite's own message and
// the SQL or operation that failed.
//
// Not thread-safe: a Database and its Statements belong to one thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/expected.h"
#include "storage/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace omswatch::storage::sqlite {

class Error : public StorageError {
 public:
  Error(int code, const std::string& message) : StorageError(message), code_(code) {}
  // SQLite's extended result code (SQLITE_CONSTRAINT_UNIQUE, SQLITE_BUSY, ...).
  int code() const { return code_; }

 private:
  int code_;
};

// Open flags, with SQLite's own values (checked in sqlite.cpp).
inline constexpr int kOpenReadOnly = 0x00000001;
inline constexpr int kOpenReadWrite = 0x00000002;
inline constexpr int kOpenCreate = 0x00000004;

class Statement;

class Database {
 public:
  // Opens `path` with a combination of the kOpen* flags. The connection is in
  // SQLite's multi-thread mode (no internal mutex): one thread uses it.
  // Errors name the path.
  static Expected<Database> open(const std::string& path, int flags);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more ';'-separated statements, discarding any rows.
  Expected<void> exec(std::string_view sql);

  // Prepares `sql` (one statement). Throws Error when it does not prepare.
  Statement prepare(std::string_view sql);

  // How long a statement waits for another connection's lock before failing
  // with SQLITE_BUSY. The lock is tried again every millisecond: SQLite's own
  // handler sleeps up to 100 ms between tries, which a writer that commits
  // often and begins again at once (the daemon's group commit) would starve.
  void set_busy_timeout(std::chrono::milliseconds timeout);

  // The number of rows the most recent INSERT, UPDATE or DELETE changed.
  int changes() const;
  std::int64_t last_insert_rowid() const;
  bool in_transaction() const;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  friend class Transaction;
  struct TransactionStatements;

  Database(sqlite3* db, std::string path);
  void close() noexcept;
  // BEGIN, COMMIT and ROLLBACK, prepared on first use and kept, so a
  // transaction on a hot path parses no SQL.
  TransactionStatements& transaction_statements();

  sqlite3* db_ = nullptr;
  std::string path_;
  std::unique_ptr<TransactionStatements> transaction_statements_;
};

// One prepared statement: prepared in the constructor, finalized in the
// destructor. Parameter and column indexes start at 1 and 0, as in SQLite.
// Text and blobs are copied when bound, so the caller's strings may go away
// right after bind().
class Statement {
 public:
  // Throws Error when `sql` does not prepare or holds more than one statement.
  Statement(Database& db, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Typed binds; an empty optional binds NULL. Throw Error on a bad index.
  void bind(int index, std::int64_t value);
  void bind(int index, int value);
  void bind(int index, double value);
  void bind(int index, std::string_view value);
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind_null(int index);
  template <class T>
  void bind(int index, const std::optional<T>& value) {
    if (value) {
      bind(index, *value);
    } else {
      bind_null(index);
    }
  }
  // By name, with its prefix: bind(":oms", ...). Throws Error when unknown.
  template <class T>
  void bind(const char* name, const T& value) {
    bind(parameter_index(name), value);
  }
  int parameter_index(const char* name) const;

  // Advances to the next row: true when one is available, false when done.
  // Throws Error when SQLite fails (a read that cannot proceed is not an
  // expected outcome for omswatch's queries).
  bool step();

  // Runs a statement that returns no rows to be read (INSERT, UPDATE, DDL) to
  // completion, then resets it and clears its bindings so it is ready for the
  // next use. Errors (a constraint, a read-only database, a full disk) come back
  // as values.
  Expected<void> run();

  // Makes the statement ready to run again; bindings are kept.
  void reset();
  void clear_bindings();

  int column_count() const;
  std::string_view column_name(int index) const;
  bool is_null(int index) const;
  std::int64_t column_int64(int index) const;
  int column_int(int index) const;
  double column_double(int index) const;
  // NULL reads as "". The view is valid until the next step(), reset() or
  // the next read of the same column as another type.
  std::string_view column_text(int index) const;
  std::string column_string(int index) const { return std::string(column_text(index)); }
  std::optional<std::int64_t> column_optional_int64(int index) const;
  std::optional<int> column_optional_int(int index) const;
  std::optional<std::string> column_optional_string(int index) const;

  // The SQL text, for messages.
  std::string_view sql() const;

 private:
  void check_bind(int rc, int index) const;
  void check_column(int index) const;
  Error error(int rc, std::string_view operation) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// A write transaction (BEGIN IMMEDIATE: the write lock is taken up front, so a
// busy database fails or waits at begin(), never half-way through), or a
// deferred one for a consistent multi-statement read. Rolls back in the
// destructor unless committed.
class Transaction {
 public:
  enum class Mode { immediate, deferred };

  static Expected<Transaction> begin(Database& db, Mode mode = Mode::immediate);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // After a failed commit the transaction is rolled back.
  Expected<void> commit();
  void rollback() noexcept;

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
  bool open_ = true;
};

}  // namespace omswatch::storage::sqlite
