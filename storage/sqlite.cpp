#include "storage/sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <thread>

namespace omswatch::storage::sqlite {

static_assert(kOpenReadOnly == SQLITE_OPEN_READONLY);
static_assert(kOpenReadWrite == SQLITE_OPEN_READWRITE);
static_assert(kOpenCreate == SQLITE_OPEN_CREATE);

namespace {

// The SQL of a statement as it reads in a message: whitespace collapsed and
// long statements cut, so an error names the statement without a page of SQL.
std::string describe_sql(std::string_view sql) {
  constexpr std::size_t kMax = 100;
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
  }
  return out;
}

std::string message_of(sqlite3* db, int rc) {
  // sqlite3_errmsg describes the most recent failure on the connection, which
  // is the one at hand as long as the connection is used by one thread.
  return db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
}

}  // namespace

// --- Database

struct Database::TransactionStatements {
  explicit TransactionStatements(Database& db)
      : begin_immediate(db, "BEGIN IMMEDIATE"),
        begin_deferred(db, "BEGIN DEFERRED"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK") {}
  Statement begin_immediate;
  Statement begin_deferred;
  Statement commit;
  Statement rollback;
};

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Expected<Database> Database::open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = message_of(db, rc);
    sqlite3_close_v2(db);
    return make_error("cannot open database " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  return Database(db, path);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      transaction_statements_(std::move(other.transaction_statements_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    transaction_statements_ = std::move(other.transaction_statements_);
  }
  return *this;
}

Database::~Database() { close(); }

void Database::close() noexcept {
  transaction_statements_.reset();
  // close_v2 defers the close until any statement still alive is finalized,
  // so the order in which owners are destroyed does not matter.
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Expected<void> Database::exec(std::string_view sql) {
  std::string text(sql);
  char* raw = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &raw);
  if (rc == SQLITE_OK) return {};
  std::string message = raw ? raw : sqlite3_errstr(rc);
  sqlite3_free(raw);
  return make_error(message + " (" + describe_sql(sql) + ")");
}

Statement Database::prepare(std::string_view sql) { return Statement(*this, sql); }

namespace {

// `arg` carries the timeout in milliseconds; `tries` counts the calls so far
// for this wait, each one of them a 1 ms pause.
int retry_every_millisecond(void* arg, int tries) {
  const auto timeout_ms = reinterpret_cast<std::intptr_t>(arg);
  if (tries >= timeout_ms) return 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return 1;
}

}  // namespace

void Database::set_busy_timeout(std::chrono::milliseconds timeout) {
  const auto ms = std::clamp<std::int64_t>(timeout.count(), 0, INT_MAX);
  if (ms == 0) {
    sqlite3_busy_handler(db_, nullptr, nullptr);
    return;
  }
  sqlite3_busy_handler(db_, retry_every_millisecond,
                       reinterpret_cast<void*>(static_cast<std::intptr_t>(ms)));
}

int Database::changes() const { return sqlite3_changes(db_); }

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Database::TransactionStatements& Database::transaction_statements() {
  if (!transaction_statements_) {
    transaction_statements_ = std::make_unique<TransactionStatements>(*this);
  }
  return *transaction_statements_;
}

// --- Statement

Statement::Statement(Database& db, std::string_view sql) : db_(db.handle()) {
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
  if (rc != SQLITE_OK) {
    std::string message = message_of(db_, rc);
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    throw Error(rc, "cannot prepare: " + message + " (" + describe_sql(sql) + ")");
  }
  if (!stmt_) throw Error(SQLITE_MISUSE, "no SQL statement in '" + describe_sql(sql) + "'");
  for (const char* end = sql.data() + sql.size(); tail && tail < end; ++tail) {
    if (*tail != ';' && !std::isspace(static_cast<unsigned char>(*tail))) {
      sqlite3_finalize(stmt_);
      stmt_ = nullptr;
      throw Error(SQLITE_MISUSE, "more than one statement in '" + describe_sql(sql) + "'");
    }
  }
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Error Statement::error(int rc, std::string_view operation) const {
  return Error(
      rc, std::string(operation) + ": " + message_of(db_, rc) + " (" + describe_sql(sql()) + ")");
}

void Statement::check_bind(int rc, int index) const {
  if (rc != SQLITE_OK) throw error(rc, "bind parameter " + std::to_string(index));
}

void Statement::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
}

void Statement::bind(int index, int value) {
  check_bind(sqlite3_bind_int(stmt_, index, value), index);
}

void Statement::bind(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value), index);
}

void Statement::bind(int index, std::string_view value) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}

void Statement::bind_null(int index) { check_bind(sqlite3_bind_null(stmt_, index), index); }

int Statement::parameter_index(const char* name) const {
  int index = sqlite3_bind_parameter_index(stmt_, name);
  if (index == 0) {
    throw Error(SQLITE_RANGE,
                std::string("no parameter ") + name + " in '" + describe_sql(sql()) + "'");
  }
  return index;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = error(rc, "step");
  sqlite3_reset(stmt_);
  throw e;
}

Expected<void> Statement::run() {
  int rc;
  while ((rc = sqlite3_step(stmt_)) == SQLITE_ROW) {
  }
  std::string message;
  if (rc != SQLITE_DONE) message = message_of(db_, rc) + " (" + describe_sql(sql()) + ")";
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (rc != SQLITE_DONE) return make_error(std::move(message));
  return {};
}

void Statement::reset() { sqlite3_reset(stmt_); }

void Statement::clear_bindings() { sqlite3_clear_bindings(stmt_); }

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

void Statement::check_column(int index) const {
  if (index < 0 || index >= sqlite3_column_count(stmt_)) {
    throw Error(SQLITE_RANGE,
                "no column " + std::to_string(index) + " in '" + describe_sql(sql()) + "'");
  }
}

std::string_view Statement::column_name(int index) const {
  check_column(index);
  return sqlite3_column_name(stmt_, index);
}

bool Statement::is_null(int index) const {
  check_column(index);
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int index) const {
  check_column(index);
  return sqlite3_column_int64(stmt_, index);
}

int Statement::column_int(int index) const {
  check_column(index);
  return sqlite3_column_int(stmt_, index);
}

double Statement::column_double(int index) const {
  check_column(index);
  return sqlite3_column_double(stmt_, index);
}

std::string_view Statement::column_text(int index) const {
  check_column(index);
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (!text) return {};
  return std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::optional<std::int64_t> Statement::column_optional_int64(int index) const {
  if (is_null(index)) return std::nullopt;
  return sqlite3_column_int64(stmt_, index);
}

std::optional<int> Statement::column_optional_int(int index) const {
  if (is_null(index)) return std::nullopt;
  return sqlite3_column_int(stmt_, index);
}

std::optional<std::string> Statement::column_optional_string(int index) const {
  if (is_null(index)) return std::nullopt;
  return column_string(index);
}

std::string_view Statement::sql() const {
  const char* text = stmt_ ? sqlite3_sql(stmt_) : nullptr;
  return text ? std::string_view(text) : std::string_view();
}

// --- Transaction

Expected<Transaction> Transaction::begin(Database& db, Mode mode) {
  try {
    auto& statements = db.transaction_statements();
    auto begun = mode == Mode::immediate ? statements.begin_immediate.run()
                                         : statements.begin_deferred.run();
    if (!begun) return make_error(begun.error());
  } catch (const Error& e) {
    return make_error(e.what());
  }
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() { rollback(); }

Expected<void> Transaction::commit() {
  if (!open_) return make_error("commit of a transaction that is no longer open");
  auto committed = db_->transaction_statements().commit.run();
  if (!committed) {
    rollback();
    return committed;
  }
  open_ = false;
  return {};
}

void Transaction::rollback() noexcept {
  if (!open_) return;
  open_ = false;
  // SQLite rolls back by itself after some failures (a full disk, an I/O
  // error); a second ROLLBACK would only fail.
  if (!db_->in_transaction()) return;
  try {
    (void)db_->transaction_statements().rollback.run();
  } catch (const Error&) {
    // Only preparing could throw, and begin() prepared the statement already.
  }
}

}  // namespace omswatch::storage::sqlite
