#pragma once
// Private to storage/: the state that the pieces of Store share. Each piece
// (store.cpp: opening and the shared caches; store_write.cpp: record() and
// group commit; store_retention.cpp: prune and vacuum; store_outbox.cpp: the
// delivery outbox; store_silences.cpp; store_queries.cpp: the reads) keeps its
// own SQL, and prepares its cached statements in the constructor of its
// statement group below.

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "storage/sqlite.h"
#include "storage/store.h"
#include "storage/thinning.h"

namespace omswatch::storage::detail {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

inline constexpr TimeMs kMinTime = std::numeric_limits<TimeMs>::min();
inline constexpr TimeMs kMaxTime = std::numeric_limits<TimeMs>::max();

// Error texts come from OMS and from receivers' replies: bounded so one huge
// reply cannot bloat every row that repeats it.
inline constexpr std::size_t kMaxErrorBytes = 4096;

// Caches of dictionary keys stay small; a hostile OMS inventing statuses
// only makes the text cache start over.
inline constexpr std::size_t kMaxCachedTexts = 4096;

// Cuts at a UTF-8 character boundary, to kMaxErrorBytes.
std::string_view bounded(std::string_view text);

// Absent text is NULL in the database and "" in the interface.
void bind_text_or_null(Statement& st, int index, const std::string& text);
// The same, cut by bounded().
void bind_error_text(Statement& st, int index, const std::string& text);

// Reads the event columns, in EventRecord order, starting at column `first`.
EventRecord read_event(const Statement& st, int first);

inline std::int64_t sql_limit(int limit) { return limit > 0 ? limit : -1; }  // -1: no limit

// Outcomes are stored as small integers (0 and 1 take no bytes in a row).
std::optional<int> outcome_code(std::string_view outcome);
std::string outcome_text(std::int64_t code);

// What a Store call returns for a body returning T: Expected<T>, or the
// body's own Expected.
template <class T>
struct AsExpected {
  using type = Expected<T>;
};
template <class T>
struct AsExpected<Expected<T>> {
  using type = Expected<T>;
};

// Runs the body of a Store call; a StorageError from underneath (SQLite
// failed, sqlite.h) becomes the error, its message unchanged. Every Store
// call that reads or writes goes through it or catches StorageError itself,
// so that none throws one.
template <class Body>
auto guarded(Body body) -> typename AsExpected<decltype(body())>::type {
  try {
    return body();
  } catch (const StorageError& e) {
    return make_error(e.what());
  }
}

// Resets a cached query statement when the reading is done or abandoned, so
// it holds no read snapshot between calls.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& st) : st_(st) {}
  ~ResetOnExit() {
    st_.reset();
    st_.clear_bindings();
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& st_;
};

// The cached statements of each piece, prepared at open.
struct WriteStatements {  // store_write.cpp
  explicit WriteStatements(Database& db);
  Statement insert_sample, find_project, insert_project, find_text, insert_text, last_sample,
      upsert_project_state, upsert_oms_state, insert_event, insert_delivery, savepoint,
      release_savepoint, rollback_to_savepoint;
};

struct RetentionStatements {  // store_retention.cpp
  explicit RetentionStatements(Database& db);
  Statement next_project, prune_samples, old_events, count_deliveries_of_event,
      delete_deliveries_of_event, delete_event;
};

struct OutboxStatements {  // store_outbox.cpp
  explicit OutboxStatements(Database& db);
  Statement due_deliveries, next_due_at, pending_count, mark_delivered, mark_retry, mark_final;
};

// Migration progress (store_progress.cpp): step readings, verifications
// and outlooks, written by record() and read by the queries.
struct ProgressStatements {
  explicit ProgressStatements(Database& db);
  Statement insert_step, upsert_verification, upsert_outlook, delete_outlook, latest_steps,
      verifications, outlooks, steps_of_key, prune_steps;
};

// Reads a step_sample_rows row from column `first` on: observed_at, step,
// step_status, progress, processed, capacity, src_rps, dst_rps,
// src_rps_ref, dst_rps_ref, src_rt, dst_rt, src_rt_ref, dst_rt_ref,
// src_iops, dst_iops, src_iops_ref, eta_low_s, eta_high_s, eta_basis, rate.
StepSample read_step_row(const Statement& st, int first);
// Reads observed_at, finished, different_number, tables, worst_tables_json.
VerifyRecord read_verify_row(const Statement& st, int first);

struct QueryStatements {  // store_queries.cpp
  explicit QueryStatements(Database& db);
  Statement project_keys, text_of_id, load_project_states, load_oms_state, latest_rows, polled_at,
      open_condition_counts, history_of_key, sample_at, run_start, timeline_rows, run_end,
      last_polled_at, events_of_project, events_of_all, deliveries_of_event;
};

}  // namespace omswatch::storage::detail

namespace omswatch::storage {

struct Store::Impl {
  using Database = detail::Database;
  using Statement = detail::Statement;
  using Transaction = detail::Transaction;

  Impl(Database database, OpenMode open_mode, int schema_version, StoreOptions store_options);
  ~Impl();

  // --- store.cpp: the shared caches and the group of quiet writes

  // Commits the group of quiet writes, if one is open. When that fails, the
  // caches may name rows the file does not have: they are emptied, to be read
  // again from the file.
  Expected<void> commit_group();
  // For the reads: throws StorageError, which guarded() returns.
  void commit_group_or_throw();

  // The text of a key, "" for NULL. Keys are never reused, so a read-only
  // store may cache them as well.
  std::string text_of(std::optional<std::int64_t> id);
  // A sample_rows row from column `first` on, in this order: observed_at,
  // outcome, status, alarm_level, current_step, struct_progress,
  // full_progress, incr_checkpoint, incr_lag_s, reverse_checkpoint,
  // reverse_lag_s, latency_us, error. oms and project_id are left empty.
  Sample read_sample_row(const Statement& st, int first);

  // --- store_write.cpp

  // Dictionary entries and thinning state written by the current record()
  // call; they join the caches only once its transaction commits, so a
  // rolled-back write leaves no key behind that the file does not have.
  struct PendingWrite {
    std::vector<std::pair<std::string, std::int64_t>> projects;
    std::vector<std::pair<std::string, std::int64_t>> texts;
    std::optional<std::pair<std::int64_t, StoredSample>> last;
  };
  std::int64_t project_key(const std::string& oms, const std::string& project_id,
                           PendingWrite& pending);
  // The key of a text, or NULL for "".
  std::optional<std::int64_t> text_key(const std::string& text, PendingWrite& pending);
  void cache_text(const std::string& text, std::int64_t id);
  // The project's latest stored sample: from memory, or read once from the
  // file. nullptr when the project has none.
  const StoredSample* last_stored(std::int64_t project);
  void commit_pending(PendingWrite& pending);
  Expected<void> write_all(const ObservationWrite& write, PendingWrite& pending);
  // store_progress.cpp: the step reading, verification and outlook of a write.
  Expected<void> write_progress(const ObservationWrite& write, PendingWrite& pending);

  // --- store_outbox.cpp

  // Runs `st` once per id (bound to ?1, the rest by `bind`), all in one
  // transaction.
  template <class Bind>
  Expected<void> update_each(Statement& st, const std::vector<std::int64_t>& ids,
                             const std::string& what, Bind bind);

  // --- store_queries.cpp

  // The sample keys of a project id, one per OMS, ordered by OMS.
  std::vector<std::pair<std::int64_t, std::string>> keys_of(const std::string& project_id);

  Database db;
  OpenMode mode;
  int version;
  StoreOptions options;
  SampleCounts counts;
  std::unordered_map<std::string, std::int64_t> project_key_cache;
  std::unordered_map<std::string, std::int64_t> text_cache;
  std::unordered_map<std::int64_t, std::string> text_of_key_cache;
  std::unordered_map<std::int64_t, std::optional<StoredSample>> last_stored_cache;
  std::int64_t prune_cursor = 0;     // the project key prune() continues after
  std::optional<Transaction> group;  // quiet writes not committed yet (commit_delay)
  std::chrono::steady_clock::time_point group_opened;
  bool ungrouped = false;  // a group commit failed; no group until a commit succeeds
  detail::WriteStatements write;
  detail::RetentionStatements retention;
  detail::OutboxStatements outbox;
  detail::QueryStatements query;
  detail::ProgressStatements progress;
};

}  // namespace omswatch::storage
