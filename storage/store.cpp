#include "storage/store.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <unordered_map>

#include "common/severity.h"
#include "storage/db_files.h"
#include "storage/schema.h"
#include "storage/sqlite.h"

namespace omswatch::storage {

namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

constexpr auto kBusyTimeout = std::chrono::seconds(5);
// Error texts come from OMS and from receivers' replies: bounded so one huge
// reply cannot bloat every row that repeats it.
constexpr std::size_t kMaxErrorBytes = 4096;

constexpr TimeMs kMinTime = std::numeric_limits<TimeMs>::min();
constexpr TimeMs kMaxTime = std::numeric_limits<TimeMs>::max();

// --- SQL of the cached statements

// A second sample of a project at the same millisecond replaces the first.
constexpr std::string_view kInsertSample = R"sql(
INSERT OR REPLACE INTO sample_rows (project, observed_at, outcome, status, alarm_level,
                                    current_step, struct_progress, full_progress,
                                    incr_checkpoint, incr_lag_s, reverse_checkpoint,
                                    reverse_lag_s, latency_us, error)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14))sql";

constexpr std::string_view kFindProject =
    "SELECT id FROM sample_projects WHERE project_id = ?2 AND oms = ?1";
constexpr std::string_view kInsertProject =
    "INSERT INTO sample_projects (oms, project_id) VALUES (?1, ?2)";
constexpr std::string_view kFindText = "SELECT id FROM sample_texts WHERE text = ?1";
constexpr std::string_view kInsertText = "INSERT INTO sample_texts (text) VALUES (?1)";

// What thinning compares, of the project's latest stored sample.
constexpr std::string_view kLastSample = R"sql(
SELECT r.observed_at, r.outcome, st.text, al.text, cs.text, r.struct_progress, r.full_progress,
       r.incr_checkpoint, r.incr_lag_s, r.reverse_checkpoint, r.reverse_lag_s, r.error
  FROM sample_rows AS r
  LEFT JOIN sample_texts AS st ON st.id = r.status
  LEFT JOIN sample_texts AS al ON al.id = r.alarm_level
  LEFT JOIN sample_texts AS cs ON cs.id = r.current_step
 WHERE r.project = ?1
 ORDER BY r.observed_at DESC
 LIMIT 1)sql";

// --- retention

constexpr std::string_view kNextProject =
    "SELECT id FROM sample_projects WHERE id > ?1 ORDER BY id LIMIT 1";

// The ?3 + 1 oldest samples of project ?1 before ?2, but never its latest.
// Every bound is a primary-key seek, so the cost follows the rows deleted.
constexpr std::string_view kPruneSamples = R"sql(
DELETE FROM sample_rows
 WHERE project = ?1
   AND observed_at < ?2
   AND observed_at < (SELECT max(x.observed_at) FROM sample_rows AS x WHERE x.project = ?1)
   AND observed_at <= coalesce((SELECT y.observed_at FROM sample_rows AS y
                                 WHERE y.project = ?1 AND y.observed_at < ?2
                                 ORDER BY y.observed_at LIMIT 1 OFFSET ?3), ?2))sql";

// Oldest first through events_time; an event with a delivery still pending
// stays, whatever its age.
constexpr std::string_view kOldEvents = R"sql(
SELECT e.id FROM events AS e
 WHERE e.observed_at < ?1
   AND NOT EXISTS (SELECT 1 FROM outbox AS o WHERE o.event_id = e.id AND o.status = 'pending')
 ORDER BY e.observed_at
 LIMIT ?2)sql";
constexpr std::string_view kCountDeliveriesOfEvent =
    "SELECT count(*) FROM outbox WHERE event_id = ?1";
constexpr std::string_view kDeleteDeliveriesOfEvent = "DELETE FROM outbox WHERE event_id = ?1";
constexpr std::string_view kDeleteEvent = "DELETE FROM events WHERE id = ?1";

constexpr std::string_view kUpsertProjectState = R"sql(
INSERT INTO project_state (oms, project_id, state_json, updated_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (oms, project_id) DO UPDATE SET state_json = excluded.state_json,
                                            updated_at = excluded.updated_at)sql";

constexpr std::string_view kUpsertOmsState = R"sql(
INSERT INTO oms_state (oms, state_json, updated_at) VALUES (?1, ?2, ?3)
ON CONFLICT (oms) DO UPDATE SET state_json = excluded.state_json,
                                updated_at = excluded.updated_at)sql";

constexpr std::string_view kInsertEvent = R"sql(
INSERT INTO events (id, oms, project_id, kind, state, severity, alarm_level, summary,
                    details_json, progress_json, observed_at, project_name)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))sql";

constexpr std::string_view kInsertDelivery = R"sql(
INSERT INTO outbox (event_id, receiver, status, attempts, created_at, next_attempt_at)
VALUES (?1, ?2, 'pending', 0, ?3, ?4))sql";

// The event's columns come in EventRecord order, as read_event() reads them.
constexpr std::string_view kDueDeliveries = R"sql(
SELECT o.id, o.receiver, o.attempts, o.created_at, o.next_attempt_at,
       e.id, e.oms, e.project_id, e.kind, e.state, e.severity, e.alarm_level, e.summary,
       e.details_json, e.progress_json, e.observed_at, e.project_name
  FROM outbox AS o JOIN events AS e ON e.id = o.event_id
 WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
 ORDER BY o.next_attempt_at, o.id
 LIMIT ?2)sql";

constexpr std::string_view kNextDueAt =
    "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'";
// Counted in the partial index, which holds pending rows only; the planner
// would otherwise scan the whole outbox, which grows with every delivery.
constexpr std::string_view kPendingCount =
    "SELECT count(*) FROM outbox INDEXED BY outbox_due WHERE status = 'pending'";

// Only pending rows change: marking a row twice, or a row already given up,
// leaves it as it is.
constexpr std::string_view kMarkDelivered = R"sql(
UPDATE outbox SET status = 'delivered', delivered_at = ?2, finished_at = ?2,
                  attempts = attempts + 1
 WHERE id = ?1 AND status = 'pending')sql";

constexpr std::string_view kMarkRetry = R"sql(
UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
 WHERE id = ?1 AND status = 'pending')sql";

constexpr std::string_view kMarkFinal = R"sql(
UPDATE outbox SET status = ?2, last_error = ?3, finished_at = ?4
 WHERE id = ?1 AND status = 'pending')sql";

constexpr std::string_view kLoadProjectStates =
    "SELECT oms, project_id, state_json, updated_at FROM project_state ORDER BY oms, project_id";
constexpr std::string_view kLoadOmsState = "SELECT state_json FROM oms_state WHERE oms = ?1";

// `omswatch status` reads three sets, each ordered by (oms, project_id), and
// merges them in memory, which costs less than one query joining them per
// project: each project's latest sample (latest_sample_rows, in the order of
// sample_projects_by_oms), when each project was last polled (its detector
// state is saved with every poll), and the conditions firing now.
constexpr std::string_view kLatestRows = R"sql(
SELECT p.oms, p.project_id, r.observed_at, r.outcome, r.status, r.alarm_level, r.current_step,
       r.struct_progress, r.full_progress, r.incr_lag_s, r.error
  FROM sample_projects AS p INDEXED BY sample_projects_by_oms
  JOIN latest_sample_rows AS r ON r.project = p.id
 ORDER BY p.oms, p.project_id)sql";
constexpr std::string_view kPolledAt =
    "SELECT oms, project_id, updated_at FROM project_state ORDER BY oms, project_id";
constexpr std::string_view kOpenConditionCounts = R"sql(
SELECT oms, project_id, count(*) FROM open_conditions
 WHERE project_id IS NOT NULL
 GROUP BY oms, project_id
 ORDER BY oms, project_id)sql";

// The most recent ?4 rows of one project key's window, newest first: a
// backward primary-key range scan, no sort. Texts are decoded in memory.
constexpr std::string_view kHistoryOfKey = R"sql(
SELECT observed_at, outcome, status, alarm_level, current_step, struct_progress, full_progress,
       incr_checkpoint, incr_lag_s, reverse_checkpoint, reverse_lag_s, latency_us, error
  FROM sample_rows
 WHERE project = ?1 AND observed_at >= ?2 AND observed_at < ?3
 ORDER BY observed_at DESC
 LIMIT ?4)sql";

// --- the status timeline, one project key at a time

constexpr std::string_view kProjectKeys =
    "SELECT id, oms FROM sample_projects WHERE project_id = ?1 ORDER BY oms";
// The sample in force at ?2.
constexpr std::string_view kSampleAt = R"sql(
SELECT observed_at, outcome, status FROM sample_rows
 WHERE project = ?1 AND observed_at <= ?2
 ORDER BY observed_at DESC LIMIT 1)sql";
// Where the run of (outcome ?3, status ?4) that holds at ?2 began.
constexpr std::string_view kRunStart = R"sql(
SELECT min(observed_at) FROM sample_rows
 WHERE project = ?1 AND observed_at <= ?2
   AND observed_at > coalesce((SELECT max(observed_at) FROM sample_rows
                                WHERE project = ?1 AND observed_at < ?2
                                  AND (outcome IS NOT ?3 OR status IS NOT ?4)),
                              -9223372036854775808))sql";
constexpr std::string_view kTimelineRows = R"sql(
SELECT observed_at, outcome, status FROM sample_rows
 WHERE project = ?1 AND observed_at >= ?2 AND observed_at < ?3
 ORDER BY observed_at)sql";
// The first sample from ?2 on that differs from (outcome ?3, status ?4).
constexpr std::string_view kRunEnd = R"sql(
SELECT min(observed_at) FROM sample_rows
 WHERE project = ?1 AND observed_at >= ?2 AND (outcome IS NOT ?3 OR status IS NOT ?4))sql";
// The latest poll of a project: its latest sample, or the detector state
// saved with every poll when that is later.
constexpr std::string_view kLastPolledAt = R"sql(
SELECT max((SELECT max(observed_at) FROM sample_rows WHERE project = ?1),
           coalesce((SELECT updated_at FROM project_state WHERE oms = ?2 AND project_id = ?3), 0)))sql";
constexpr std::string_view kTextOfId = "SELECT text FROM sample_texts WHERE id = ?1";

// Two variants, so that a project's events are found through
// events_project_kind_time and everyone's through events_time. The severity
// rank orders info < warning < critical.
constexpr std::string_view kEventsOfProject = R"sql(
SELECT id, oms, project_id, kind, state, severity, alarm_level, summary, details_json,
       progress_json, observed_at, project_name
  FROM events INDEXED BY events_project_kind_time
 WHERE project_id = ?1 AND (?2 IS NULL OR kind = ?2)
   AND (CASE severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) >= ?3
   AND observed_at >= ?4 AND observed_at < ?5
 ORDER BY observed_at DESC, id DESC
 LIMIT ?6)sql";

constexpr std::string_view kEventsOfAll = R"sql(
SELECT id, oms, project_id, kind, state, severity, alarm_level, summary, details_json,
       progress_json, observed_at, project_name
  FROM events
 WHERE ?1 IS NULL AND (?2 IS NULL OR kind = ?2)
   AND (CASE severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) >= ?3
   AND observed_at >= ?4 AND observed_at < ?5
 ORDER BY observed_at DESC, id DESC
 LIMIT ?6)sql";

constexpr std::string_view kDeliveriesOfEvent = R"sql(
SELECT receiver, status, attempts, last_error, delivered_at
  FROM outbox WHERE event_id = ?1 ORDER BY receiver)sql";

// --- helpers

// Absent text is NULL in the database and "" in the interface.
void bind_text_or_null(Statement& st, int index, const std::string& text) {
  if (text.empty()) {
    st.bind_null(index);
  } else {
    st.bind(index, text);
  }
}

// Cuts at a UTF-8 character boundary.
std::string_view bounded(std::string_view text) {
  if (text.size() <= kMaxErrorBytes) return text;
  std::size_t n = kMaxErrorBytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

void bind_error_text(Statement& st, int index, const std::string& text) {
  if (text.empty()) {
    st.bind_null(index);
  } else {
    st.bind(index, bounded(text));
  }
}

// Reads the event columns, in EventRecord order, starting at column `first`.
EventRecord read_event(const Statement& st, int first) {
  EventRecord e;
  e.id = st.column_string(first);
  e.oms = st.column_string(first + 1);
  e.project_id = st.column_string(first + 2);
  e.kind = st.column_string(first + 3);
  e.state = st.column_string(first + 4);
  e.severity = st.column_string(first + 5);
  e.alarm_level = st.column_string(first + 6);
  e.summary = st.column_string(first + 7);
  e.details_json = st.column_string(first + 8);
  e.progress_json = st.column_string(first + 9);
  e.observed_at = st.column_int64(first + 10);
  e.project_name = st.column_string(first + 11);
  return e;
}

std::int64_t sql_limit(int limit) { return limit > 0 ? limit : -1; }  // -1: no limit in SQLite

// Outcomes are stored as small integers (0 and 1 take no bytes in a row).
constexpr std::string_view kOutcomes[] = {"ok", "unavailable", "error"};

std::optional<int> outcome_code(std::string_view outcome) {
  for (int i = 0; i < 3; ++i) {
    if (kOutcomes[i] == outcome) return i;
  }
  return std::nullopt;
}

std::string outcome_text(std::int64_t code) {
  return code >= 0 && code < 3 ? std::string(kOutcomes[code]) : std::string("error");
}

// A checkpoint is stored as an INTEGER when its text is exactly what the
// integer prints as, so reading it back gives the text OMS sent. The schema's
// migration applies the same rule (CAST round trip).
std::optional<std::int64_t> canonical_integer(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (std::to_string(value) != text) return std::nullopt;  // "007", "-0", "+1"
  return value;
}

void bind_checkpoint(Statement& st, int index, const std::string& raw) {
  if (raw.empty()) {
    st.bind_null(index);
  } else if (auto n = canonical_integer(raw)) {
    st.bind(index, *n);
  } else {
    st.bind(index, raw);
  }
}

// What thinning compares of a project's latest stored sample. Errors are kept
// as a hash: a project may fail with a 4 KiB message, and thousands of them
// should not hold megabytes.
struct StoredSample {
  TimeMs observed_at = 0;
  std::string outcome;
  std::string status;
  std::string alarm_level;
  std::string current_step;
  std::optional<int> struct_progress;
  std::optional<int> full_progress;
  std::size_t error_hash = 0;
  std::string incr_checkpoint;
  std::string reverse_checkpoint;
  std::optional<std::int64_t> incr_lag_s;
  std::optional<std::int64_t> reverse_lag_s;

  bool same_state(const StoredSample& o) const {
    return outcome == o.outcome && status == o.status && alarm_level == o.alarm_level &&
           current_step == o.current_step && struct_progress == o.struct_progress &&
           full_progress == o.full_progress && error_hash == o.error_hash;
  }
  bool same_checkpoints(const StoredSample& o) const {
    return incr_checkpoint == o.incr_checkpoint && reverse_checkpoint == o.reverse_checkpoint &&
           incr_lag_s == o.incr_lag_s && reverse_lag_s == o.reverse_lag_s;
  }
};

std::size_t error_hash(std::string_view bounded_error) {
  return bounded_error.empty() ? 0 : std::hash<std::string_view>{}(bounded_error) | 1;
}

StoredSample stored_form(const Sample& x, std::string_view bounded_error) {
  StoredSample s;
  s.observed_at = x.observed_at;
  s.outcome = x.outcome;
  s.status = x.status;
  s.alarm_level = x.alarm_level;
  s.current_step = x.current_step;
  s.struct_progress = x.struct_progress;
  s.full_progress = x.full_progress;
  s.error_hash = error_hash(bounded_error);
  s.incr_checkpoint = x.incr_checkpoint;
  s.reverse_checkpoint = x.reverse_checkpoint;
  s.incr_lag_s = x.incr_lag_s;
  s.reverse_lag_s = x.reverse_lag_s;
  return s;
}

bool worth_storing(const StoredSample& next, const StoredSample* last,
                   std::chrono::milliseconds sample_every) {
  if (!last || sample_every.count() <= 0 || !next.same_state(*last)) return true;
  if (next.same_checkpoints(*last)) return false;
  // A clock that went back would otherwise hold checkpoints back until it
  // caught up again.
  return next.observed_at < last->observed_at ||
         next.observed_at - last->observed_at >= sample_every.count();
}

std::string project_cache_key(const std::string& oms, const std::string& project_id) {
  std::string key;
  key.reserve(oms.size() + 1 + project_id.size());
  key += oms;
  key += '\0';
  key += project_id;
  return key;
}

// Caches of dictionary keys stay small; a hostile OMS inventing statuses
// only makes the text cache start over.
constexpr std::size_t kMaxCachedTexts = 4096;

Expected<int> user_version(Database& db) {
  Statement st(db, "PRAGMA user_version");
  if (!st.step()) return make_error("PRAGMA user_version returned nothing");
  return st.column_int(0);
}

std::string newer_schema_message(const std::string& path, int version) {
  return "database " + path + " has schema version " + std::to_string(version) +
         ", newer than version " + std::to_string(latest_schema_version()) +
         " that this omswatch knows: it was written by a newer omswatch; run that version, or "
         "point omswatch at another database";
}

// Refuses, before anything in the file is changed, a database this omswatch
// must not touch: one from a newer omswatch, or another program's (version 0
// with tables in it: adding omswatch's tables would only hide a wrong path).
Expected<void> check_ownership(Database& db) {
  auto version = user_version(db);
  if (!version) return make_error(version.error());
  if (*version > latest_schema_version()) {
    return make_error(newer_schema_message(db.path(), *version));
  }
  if (*version == 0) {
    Statement tables(db, "SELECT count(*) FROM sqlite_schema");
    if (tables.step() && tables.column_int64(0) > 0) {
      return make_error("database " + db.path() +
                        " already holds tables but no omswatch schema: it is not an omswatch "
                        "database (check [daemon] database)");
    }
  }
  return {};
}

// Applies the migrations the database has not seen, each in its own
// transaction with its version bump.
Expected<int> migrate(Database& db) {
  auto found = user_version(db);
  if (!found) return found;
  int version = *found;
  if (version > latest_schema_version()) {
    return make_error(newer_schema_message(db.path(), version));
  }
  for (const Migration& m : migrations()) {
    if (m.version <= version) continue;
    auto tx = Transaction::begin(db);
    if (!tx) return make_error("cannot migrate " + db.path() + ": " + tx.error());
    // Another process may have migrated while this one waited for the lock.
    auto current = user_version(db);
    if (!current) return current;
    if (*current >= m.version) {
      version = *current;
      continue;
    }
    auto applied = db.exec(m.sql);
    if (applied) applied = db.exec("PRAGMA user_version = " + std::to_string(m.version));
    if (applied) applied = tx->commit();
    if (!applied) {
      return make_error("cannot migrate " + db.path() + " to schema version " +
                        std::to_string(m.version) + ": " + applied.error());
    }
    version = m.version;
  }
  return version;
}

Expected<std::string> pragma_text(Database& db, std::string_view pragma) {
  Statement st(db, pragma);
  if (!st.step()) return make_error(std::string(pragma) + " returned nothing");
  return st.column_string(0);
}

Expected<Database> open_read_write(const std::string& path) {
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return make_error("cannot create the directory " + dir.string() + " for database " + path +
                        ": " + ec.message());
    }
  }
  if (auto files = check_database_files(path, true); !files) return make_error(files.error());
  auto db = Database::open(path, sqlite::kOpenReadWrite | sqlite::kOpenCreate);
  if (!db) return db;
  db->set_busy_timeout(kBusyTimeout);
  if (auto ours = check_ownership(*db); !ours) return make_error(ours.error());
  // auto_vacuum only takes effect before the first table exists; on an
  // existing database this is a no-op.
  auto set = db->exec("PRAGMA auto_vacuum = INCREMENTAL");
  if (!set) return make_error("database " + path + ": " + set.error());
  auto journal = pragma_text(*db, "PRAGMA journal_mode = WAL");
  if (!journal) return make_error("database " + path + ": " + journal.error());
  if (*journal != "wal") {
    return make_error("database " + path + " cannot use write-ahead logging (journal mode is " +
                      *journal + "); it must be on a local file system");
  }
  // NORMAL in WAL mode: a power loss may drop the last commits but never
  // corrupts the file; FULL would fsync on every poll.
  set = db->exec(
      "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
      "PRAGMA journal_size_limit = 67108864");
  if (!set) return make_error("database " + path + ": " + set.error());
  return db;
}

Expected<Database> open_read_only(const std::string& path) {
  if (auto files = check_database_files(path, false); !files) return make_error(files.error());
  auto db = Database::open(path, sqlite::kOpenReadOnly);
  if (!db) return db;
  db->set_busy_timeout(kBusyTimeout);
  auto set = db->exec("PRAGMA query_only = 1");
  if (!set) return make_error("database " + path + ": " + set.error());
  return db;
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

}  // namespace

struct Store::Impl {
  Impl(Database database, OpenMode open_mode, int schema_version, StoreOptions store_options)
      : db(std::move(database)),
        mode(open_mode),
        version(schema_version),
        options(store_options),
        insert_sample(db, kInsertSample),
        find_project(db, kFindProject),
        insert_project(db, kInsertProject),
        find_text(db, kFindText),
        insert_text(db, kInsertText),
        last_sample(db, kLastSample),
        next_project(db, kNextProject),
        prune_samples(db, kPruneSamples),
        old_events(db, kOldEvents),
        count_deliveries_of_event(db, kCountDeliveriesOfEvent),
        delete_deliveries_of_event(db, kDeleteDeliveriesOfEvent),
        delete_event(db, kDeleteEvent),
        project_keys(db, kProjectKeys),
        sample_at(db, kSampleAt),
        run_start(db, kRunStart),
        timeline_rows(db, kTimelineRows),
        run_end(db, kRunEnd),
        last_polled_at(db, kLastPolledAt),
        text_of_id(db, kTextOfId),
        upsert_project_state(db, kUpsertProjectState),
        upsert_oms_state(db, kUpsertOmsState),
        insert_event(db, kInsertEvent),
        insert_delivery(db, kInsertDelivery),
        due_deliveries(db, kDueDeliveries),
        next_due_at(db, kNextDueAt),
        pending_count(db, kPendingCount),
        mark_delivered(db, kMarkDelivered),
        mark_retry(db, kMarkRetry),
        mark_final(db, kMarkFinal),
        load_project_states(db, kLoadProjectStates),
        load_oms_state(db, kLoadOmsState),
        latest_rows(db, kLatestRows),
        polled_at(db, kPolledAt),
        open_condition_counts(db, kOpenConditionCounts),
        history_of_key(db, kHistoryOfKey),
        events_of_project(db, kEventsOfProject),
        events_of_all(db, kEventsOfAll),
        deliveries_of_event(db, kDeliveriesOfEvent),
        savepoint(db, "SAVEPOINT record"),
        release_savepoint(db, "RELEASE record"),
        rollback_to_savepoint(db, "ROLLBACK TO record") {}

  ~Impl() {
    (void)commit_group();
    // Lets SQLite refresh its planner statistics where they drifted; cheap
    // when nothing changed.
    if (mode == OpenMode::read_write) (void)db.exec("PRAGMA optimize");
  }

  // Runs `st` once per id (bound to ?1, the rest by `bind`), all in one
  // transaction.
  template <class Bind>
  Expected<void> update_each(Statement& st, const std::vector<std::int64_t>& ids,
                             const std::string& what, Bind bind) {
    if (ids.empty()) return {};
    try {
      if (auto committed = commit_group(); !committed) {
        return make_error("cannot " + what + ": " + committed.error());
      }
      auto tx = Transaction::begin(db);
      if (!tx) return make_error("cannot " + what + ": " + tx.error());
      for (std::int64_t id : ids) {
        st.bind(1, id);
        bind(st);
        auto done = st.run();
        if (!done) return make_error("cannot " + what + ": " + done.error());
      }
      auto committed = tx->commit();
      if (!committed) return make_error("cannot " + what + ": " + committed.error());
      return {};
    } catch (const StorageError& e) {
      return make_error("cannot " + what + ": " + e.what());
    }
  }

  // Dictionary entries and thinning state written by the current record()
  // call; they join the caches only once its transaction commits, so a
  // rolled-back write leaves no key behind that the file does not have.
  struct PendingWrite {
    std::vector<std::pair<std::string, std::int64_t>> projects;
    std::vector<std::pair<std::string, std::int64_t>> texts;
    std::optional<std::pair<std::int64_t, StoredSample>> last;
  };

  std::int64_t project_key(const std::string& oms, const std::string& project_id,
                           PendingWrite& pending) {
    std::string key = project_cache_key(oms, project_id);
    if (auto it = project_key_cache.find(key); it != project_key_cache.end()) return it->second;
    std::int64_t id = 0;
    {
      ResetOnExit done(find_project);
      find_project.bind(1, oms);
      find_project.bind(2, project_id);
      if (find_project.step()) id = find_project.column_int64(0);
    }
    if (id == 0) {
      insert_project.bind(1, oms);
      insert_project.bind(2, project_id);
      if (auto done = insert_project.run(); !done) throw StorageError(done.error());
      id = db.last_insert_rowid();
      pending.projects.emplace_back(std::move(key), id);
    } else {
      project_key_cache.emplace(std::move(key), id);
    }
    return id;
  }

  // The key of a text, or NULL for "".
  std::optional<std::int64_t> text_key(const std::string& text, PendingWrite& pending) {
    if (text.empty()) return std::nullopt;
    if (auto it = text_cache.find(text); it != text_cache.end()) return it->second;
    for (const auto& [t, id] : pending.texts) {
      if (t == text) return id;
    }
    std::int64_t id = 0;
    {
      ResetOnExit done(find_text);
      find_text.bind(1, text);
      if (find_text.step()) id = find_text.column_int64(0);
    }
    if (id == 0) {
      insert_text.bind(1, text);
      if (auto done = insert_text.run(); !done) throw StorageError(done.error());
      id = db.last_insert_rowid();
      pending.texts.emplace_back(text, id);
    } else {
      cache_text(text, id);
    }
    return id;
  }

  void cache_text(const std::string& text, std::int64_t id) {
    if (text_cache.size() >= kMaxCachedTexts) text_cache.clear();
    text_cache.emplace(text, id);
  }

  // The project's latest stored sample: from memory, or read once from the
  // file. nullptr when the project has none.
  const StoredSample* last_stored(std::int64_t project) {
    if (auto it = last_stored_cache.find(project); it != last_stored_cache.end()) {
      return it->second ? &*it->second : nullptr;
    }
    std::optional<StoredSample> found;
    {
      ResetOnExit done(last_sample);
      last_sample.bind(1, project);
      if (last_sample.step()) {
        StoredSample s;
        s.observed_at = last_sample.column_int64(0);
        s.outcome = outcome_text(last_sample.column_int64(1));
        s.status = last_sample.column_string(2);
        s.alarm_level = last_sample.column_string(3);
        s.current_step = last_sample.column_string(4);
        s.struct_progress = last_sample.column_optional_int(5);
        s.full_progress = last_sample.column_optional_int(6);
        s.incr_checkpoint = last_sample.column_string(7);
        s.incr_lag_s = last_sample.column_optional_int64(8);
        s.reverse_checkpoint = last_sample.column_string(9);
        s.reverse_lag_s = last_sample.column_optional_int64(10);
        s.error_hash = error_hash(last_sample.column_text(11));
        found = std::move(s);
      }
    }
    auto [it, inserted] = last_stored_cache.emplace(project, std::move(found));
    return it->second ? &*it->second : nullptr;
  }

  // The sample keys of a project id, one per OMS, ordered by OMS.
  std::vector<std::pair<std::int64_t, std::string>> keys_of(const std::string& project_id) {
    std::vector<std::pair<std::int64_t, std::string>> keys;
    ResetOnExit done(project_keys);
    project_keys.bind(1, project_id);
    while (project_keys.step()) {
      keys.emplace_back(project_keys.column_int64(0), project_keys.column_string(1));
    }
    return keys;
  }

  // The text of a key, "" for NULL. Keys are never reused, so a read-only
  // store may cache them as well.
  std::string text_of(std::optional<std::int64_t> id) {
    if (!id) return "";
    if (auto it = text_of_key_cache.find(*id); it != text_of_key_cache.end()) return it->second;
    ResetOnExit done(text_of_id);
    text_of_id.bind(1, *id);
    std::string text = text_of_id.step() ? text_of_id.column_string(0) : std::string();
    if (text_of_key_cache.size() >= kMaxCachedTexts) text_of_key_cache.clear();
    text_of_key_cache.emplace(*id, text);
    return text;
  }

  // Commits the group of quiet writes, if one is open. When that fails, the
  // caches may name rows the file does not have: they are emptied, to be read
  // again from the file.
  Expected<void> commit_group() {
    if (!group) return {};
    Transaction tx = std::move(*group);
    group.reset();
    // SQLite rolls a transaction back by itself after some failures (a full
    // disk, an I/O error).
    Expected<void> committed = db.in_transaction()
                                   ? tx.commit()
                                   : Expected<void>(make_error("SQLite rolled the writes back"));
    if (!committed) {
      ungrouped = true;
      project_key_cache.clear();
      text_cache.clear();
      text_of_key_cache.clear();
      last_stored_cache.clear();
    }
    return committed;
  }

  // For the calls that return plain values (and throw StorageError).
  void commit_group_or_throw() {
    if (auto committed = commit_group(); !committed) {
      throw StorageError("could not commit the latest polls: " + committed.error());
    }
  }

  void commit_pending(PendingWrite& pending) {
    for (auto& [key, id] : pending.projects) project_key_cache.emplace(std::move(key), id);
    for (auto& [text, id] : pending.texts) cache_text(text, id);
    if (pending.last) last_stored_cache[pending.last->first] = std::move(pending.last->second);
  }

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
  Statement insert_sample;
  Statement find_project;
  Statement insert_project;
  Statement find_text;
  Statement insert_text;
  Statement last_sample;
  Statement next_project;
  Statement prune_samples;
  Statement old_events;
  Statement count_deliveries_of_event;
  Statement delete_deliveries_of_event;
  Statement delete_event;
  Statement project_keys;
  Statement sample_at;
  Statement run_start;
  Statement timeline_rows;
  Statement run_end;
  Statement last_polled_at;
  Statement text_of_id;
  Statement upsert_project_state;
  Statement upsert_oms_state;
  Statement insert_event;
  Statement insert_delivery;
  Statement due_deliveries;
  Statement next_due_at;
  Statement pending_count;
  Statement mark_delivered;
  Statement mark_retry;
  Statement mark_final;
  Statement load_project_states;
  Statement load_oms_state;
  Statement latest_rows;
  Statement polled_at;
  Statement open_condition_counts;
  Statement history_of_key;
  Statement events_of_project;
  Statement events_of_all;
  Statement deliveries_of_event;
  Statement savepoint;
  Statement release_savepoint;
  Statement rollback_to_savepoint;
};

Expected<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
  StoreOptions every_sample;
  every_sample.sample_every = std::chrono::milliseconds(0);
  return open(path, mode, every_sample);
}

Expected<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode,
                                             const StoreOptions& options) {
  if (path.empty()) return make_error("no database path given");
  try {
    auto db = mode == OpenMode::read_write ? open_read_write(path) : open_read_only(path);
    if (!db) return make_error(db.error());
    int version = 0;
    if (mode == OpenMode::read_write) {
      auto migrated = migrate(*db);
      if (!migrated) return make_error(migrated.error());
      version = *migrated;
    } else {
      auto found = user_version(*db);
      if (!found) return make_error(found.error());
      version = *found;
      if (version == 0) {
        return make_error("database " + path +
                          " holds no omswatch schema (is it an omswatch database? the daemon "
                          "creates it on its first start)");
      }
      if (version > latest_schema_version()) return make_error(newer_schema_message(path, version));
      if (version < latest_schema_version()) {
        return make_error("database " + path + " has schema version " + std::to_string(version) +
                          ", older than version " + std::to_string(latest_schema_version()) +
                          " of this omswatch; it is migrated when this version of the daemon "
                          "opens it");
      }
    }
    auto impl = std::make_unique<Impl>(std::move(*db), mode, version, options);
    return std::unique_ptr<Store>(new Store(std::move(impl)));
  } catch (const StorageError& e) {
    return make_error("database " + path + ": " + e.what());
  }
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

int Store::schema_version() const { return impl_->version; }

Expected<void> Store::record(const ObservationWrite& write) {
  Impl& s = *impl_;
  auto failure = [&](const std::string& what, const std::string& why) {
    std::string subject =
        write.project_id.empty() ? "OMS " + write.oms : write.project_id + " on " + write.oms;
    return make_error("could not store the poll of " + subject + ": " + what + ": " + why);
  };
  try {
    // After a failed commit, each write commits on its own until one
    // succeeds: then a record() that returns success is stored, and whoever
    // waits for the database to accept writes again is told the truth.
    const bool grouped =
        s.options.commit_delay.count() > 0 && s.mode == OpenMode::read_write && !s.ungrouped;
    std::optional<Transaction> own;
    if (grouped) {
      if (!s.group) {
        auto tx = Transaction::begin(s.db);
        if (!tx) return failure("begin", tx.error());
        s.group.emplace(std::move(*tx));
        s.group_opened = std::chrono::steady_clock::now();
        if (s.options.on_group_opened) s.options.on_group_opened();
      }
      // A failed write rolls back to here: the group's earlier writes stay.
      if (auto done = s.savepoint.run(); !done) return failure("savepoint", done.error());
    } else {
      auto tx = Transaction::begin(s.db);
      if (!tx) return failure("begin", tx.error());
      own.emplace(std::move(*tx));
    }

    Impl::PendingWrite pending;
    auto write_all = [&]() -> Expected<void> {
      if (write.sample) {
        const Sample& x = *write.sample;
        auto outcome = outcome_code(x.outcome);
        if (!outcome) {
          return failure("sample", "outcome '" + x.outcome + "' is not ok, unavailable or error");
        }
        const std::string_view error = bounded(x.error);
        std::int64_t project = 0;
        try {
          project = s.project_key(x.oms, x.project_id, pending);
        } catch (const StorageError& e) {
          return failure("sample", e.what());
        }
        StoredSample next = stored_form(x, error);
        if (worth_storing(next, s.last_stored(project), s.options.sample_every)) {
          Statement& st = s.insert_sample;
          st.bind(1, project);
          st.bind(2, x.observed_at);
          st.bind(3, *outcome);
          st.bind(4, s.text_key(x.status, pending));
          st.bind(5, s.text_key(x.alarm_level, pending));
          st.bind(6, s.text_key(x.current_step, pending));
          st.bind(7, x.struct_progress);
          st.bind(8, x.full_progress);
          bind_checkpoint(st, 9, x.incr_checkpoint);
          st.bind(10, x.incr_lag_s);
          bind_checkpoint(st, 11, x.reverse_checkpoint);
          st.bind(12, x.reverse_lag_s);
          st.bind(13, x.latency_us);
          if (error.empty()) {
            st.bind_null(14);
          } else {
            st.bind(14, error);
          }
          if (auto done = st.run(); !done) return failure("sample", done.error());
          pending.last.emplace(project, std::move(next));
        }
      }
      if (write.project_state_json) {
        Statement& st = s.upsert_project_state;
        st.bind(1, write.oms);
        st.bind(2, write.project_id);
        st.bind(3, *write.project_state_json);
        st.bind(4, write.now);
        if (auto done = st.run(); !done) return failure("project state", done.error());
      }
      if (write.oms_state_json) {
        Statement& st = s.upsert_oms_state;
        st.bind(1, write.oms);
        st.bind(2, *write.oms_state_json);
        st.bind(3, write.now);
        if (auto done = st.run(); !done) return failure("OMS state", done.error());
      }
      for (const EventRecord& e : write.events) {
        Statement& st = s.insert_event;
        st.bind(1, e.id);
        st.bind(2, e.oms);
        bind_text_or_null(st, 3, e.project_id);
        st.bind(4, e.kind);
        st.bind(5, e.state);
        st.bind(6, e.severity);
        bind_text_or_null(st, 7, e.alarm_level);
        st.bind(8, e.summary);
        st.bind(9, e.details_json.empty() ? std::string_view("{}") : e.details_json);
        st.bind(10, e.progress_json.empty() ? std::string_view("{}") : e.progress_json);
        st.bind(11, e.observed_at);
        bind_text_or_null(st, 12, e.project_name);
        if (auto done = st.run(); !done) return failure("event " + e.id, done.error());
      }
      for (const ObservationWrite::Delivery& d : write.deliveries) {
        Statement& st = s.insert_delivery;
        st.bind(1, d.event_id);
        st.bind(2, d.receiver);
        st.bind(3, write.now);
        st.bind(4, std::max(write.now, d.due_at));
        if (auto done = st.run(); !done) {
          return failure("delivery of " + d.event_id + " to " + d.receiver, done.error());
        }
      }
      return {};
    };
    Expected<void> written;
    try {
      written = write_all();
    } catch (const StorageError& e) {
      written = failure("unexpected failure", e.what());
    }
    if (!written) {
      if (grouped) {
        (void)s.rollback_to_savepoint.run();
        (void)s.release_savepoint.run();
      }
      return written;
    }
    if (grouped) {
      if (auto done = s.release_savepoint.run(); !done) return failure("savepoint", done.error());
    } else if (auto committed = own->commit(); !committed) {
      return failure("commit", committed.error());
    } else {
      s.ungrouped = false;
    }
    if (write.sample) ++(pending.last ? s.counts.stored : s.counts.skipped);
    s.commit_pending(pending);
    const bool quiet = write.events.empty() && write.deliveries.empty();
    if (grouped &&
        (!quiet || std::chrono::steady_clock::now() - s.group_opened >= s.options.commit_delay)) {
      if (auto committed = s.commit_group(); !committed) {
        return failure("commit", committed.error());
      }
    }
    return {};
  } catch (const StorageError& e) {
    return failure("unexpected failure", e.what());
  }
}

Expected<void> Store::flush() {
  try {
    return impl_->commit_group();
  } catch (const StorageError& e) {
    return make_error(e.what());
  }
}

SampleCounts Store::sample_counts() const { return impl_->counts; }

void Store::set_history_options(const StoreOptions& options) {
  impl_->options.sample_every = options.sample_every;
  impl_->options.keep_samples = options.keep_samples;
  impl_->options.keep_events = options.keep_events;
}

Expected<PruneResult> Store::prune(TimeMs now, int max_rows) {
  Impl& s = *impl_;
  PruneResult result;
  if (max_rows <= 0) return result;
  if (s.mode == OpenMode::read_only) return make_error("cannot prune a read-only database");
  try {
    if (auto committed = s.commit_group(); !committed) {
      return make_error("cannot prune: " + committed.error());
    }
    auto tx = Transaction::begin(s.db);
    if (!tx) return make_error("cannot prune old history: " + tx.error());
    std::int64_t budget = max_rows;

    bool samples_done = true;
    if (s.options.keep_samples.count() > 0) {
      samples_done = false;
      const TimeMs cutoff = now - s.options.keep_samples.count();
      for (int visited = 0; budget > 0 && visited < max_rows; ++visited) {
        std::optional<std::int64_t> project;
        {
          ResetOnExit done(s.next_project);
          s.next_project.bind(1, s.prune_cursor);
          if (s.next_project.step()) project = s.next_project.column_int64(0);
        }
        if (!project) {
          samples_done = true;
          s.prune_cursor = 0;
          break;
        }
        Statement& st = s.prune_samples;
        st.bind(1, *project);
        st.bind(2, cutoff);
        st.bind(3, budget - 1);
        if (auto done = st.run(); !done) return make_error("cannot prune samples: " + done.error());
        const int removed = s.db.changes();
        result.removed += removed;
        budget -= removed;
        // A full batch may have left rows of this project: it is visited again.
        if (budget > 0) s.prune_cursor = *project;
      }
    }

    bool events_done = true;
    if (s.options.keep_events.count() > 0 && budget > 0) {
      std::vector<std::string> ids;
      {
        ResetOnExit done(s.old_events);
        s.old_events.bind(1, now - s.options.keep_events.count());
        s.old_events.bind(2, budget);
        while (s.old_events.step()) ids.push_back(s.old_events.column_string(0));
      }
      events_done = static_cast<std::int64_t>(ids.size()) < budget;
      for (const std::string& id : ids) {
        // An event goes whole, with its deliveries, and within the batch,
        // unless it alone is more than a batch.
        std::int64_t rows = 1;
        {
          ResetOnExit done(s.count_deliveries_of_event);
          s.count_deliveries_of_event.bind(1, id);
          if (s.count_deliveries_of_event.step()) {
            rows += s.count_deliveries_of_event.column_int64(0);
          }
        }
        if (rows > budget && result.removed > 0) {
          events_done = false;
          break;
        }
        for (Statement* st : {&s.delete_deliveries_of_event, &s.delete_event}) {
          st->bind(1, id);
          if (auto done = st->run(); !done) {
            return make_error("cannot prune event " + id + ": " + done.error());
          }
          result.removed += s.db.changes();
          budget -= s.db.changes();
        }
        if (budget <= 0) {
          events_done = false;
          break;
        }
      }
    } else if (s.options.keep_events.count() > 0) {
      events_done = false;
    }

    if (auto committed = tx->commit(); !committed) {
      return make_error("cannot prune old history: " + committed.error());
    }
    result.more = !(samples_done && events_done);
    return result;
  } catch (const StorageError& e) {
    return make_error(std::string("cannot prune old history: ") + e.what());
  }
}

Expected<VacuumResult> Store::vacuum_step(int pages) {
  Impl& s = *impl_;
  if (s.mode == OpenMode::read_only) return make_error("cannot vacuum a read-only database");
  auto pragma_int = [&](std::string_view pragma) {
    Statement st(s.db, pragma);
    return st.step() ? st.column_int64(0) : 0;
  };
  try {
    if (auto committed = s.commit_group(); !committed) {
      return make_error("cannot give free space back: " + committed.error());
    }
    VacuumResult result;
    const std::int64_t before = pragma_int("PRAGMA freelist_count");
    if (pages > 0 && before > 0) {
      auto tx = Transaction::begin(s.db);
      if (!tx) return make_error("cannot give free space back: " + tx.error());
      auto done = s.db.exec("PRAGMA incremental_vacuum(" + std::to_string(pages) + ")");
      if (done) done = tx->commit();
      if (!done) return make_error("cannot give free space back: " + done.error());
    }
    result.free_pages = pragma_int("PRAGMA freelist_count");
    result.page_count = pragma_int("PRAGMA page_count");
    result.released = before - result.free_pages;
    return result;
  } catch (const StorageError& e) {
    return make_error(std::string("cannot give free space back: ") + e.what());
  }
}

std::vector<ProjectState> Store::load_project_states() {
  Statement& st = impl_->load_project_states;
  ResetOnExit done(st);
  std::vector<ProjectState> out;
  while (st.step()) {
    out.push_back(ProjectState{st.column_string(0), st.column_string(1), st.column_string(2),
                               st.column_int64(3)});
  }
  return out;
}

std::optional<std::string> Store::load_oms_state(const std::string& oms) {
  Statement& st = impl_->load_oms_state;
  ResetOnExit done(st);
  st.bind(1, oms);
  if (!st.step()) return std::nullopt;
  return st.column_string(0);
}

std::vector<EventRecord> Store::open_conditions_delivered_to(const std::string& receiver) {
  // Rare (a daemon start): prepared per call rather than cached.
  Statement st(impl_->db, R"sql(
SELECT e.id, e.oms, e.project_id, e.kind, e.state, e.severity, e.alarm_level, e.summary,
       e.details_json, e.progress_json, e.observed_at, e.project_name
  FROM open_conditions AS c JOIN events AS e ON e.id = c.event_id
 WHERE EXISTS (SELECT 1 FROM outbox AS o WHERE o.event_id = e.id AND o.receiver = ?1)
 ORDER BY e.observed_at)sql");
  st.bind(1, receiver);
  std::vector<EventRecord> out;
  while (st.step()) out.push_back(read_event(st, 0));
  return out;
}

Expected<std::int64_t> Store::add_silence(const Silence& x) {
  if (x.oms.empty() && x.project_id.empty() && x.kind.empty()) {
    return make_error("a silence needs an OMS, a project or a kind to match");
  }
  if (x.ends_at <= x.starts_at) return make_error("a silence must end after it starts");
  if (auto committed = impl_->commit_group(); !committed) {
    return make_error("cannot store the silence: " + committed.error());
  }
  Statement st(impl_->db, R"sql(
INSERT INTO silences (oms, project_id, kind, comment, created_by, created_at, starts_at, ends_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql");
  bind_text_or_null(st, 1, x.oms);
  bind_text_or_null(st, 2, x.project_id);
  bind_text_or_null(st, 3, x.kind);
  st.bind(4, bounded(x.comment));
  st.bind(5, bounded(x.created_by));
  st.bind(6, x.created_at);
  st.bind(7, x.starts_at);
  st.bind(8, x.ends_at);
  if (auto done = st.run(); !done) return make_error("cannot store the silence: " + done.error());
  Statement id(impl_->db, "SELECT last_insert_rowid()");
  id.step();
  return id.column_int64(0);
}

std::vector<Silence> Store::silences(std::optional<TimeMs> active_at) {
  Statement st(impl_->db, R"sql(
SELECT id, oms, project_id, kind, comment, created_by, created_at, starts_at, ends_at
  FROM silences
 WHERE ?1 IS NULL OR (starts_at <= ?1 AND ends_at > ?1)
 ORDER BY id DESC)sql");
  if (active_at) {
    st.bind(1, *active_at);
  } else {
    st.bind(1, std::optional<std::int64_t>());
  }
  std::vector<Silence> out;
  while (st.step()) {
    Silence x;
    x.id = st.column_int64(0);
    x.oms = st.column_string(1);
    x.project_id = st.column_string(2);
    x.kind = st.column_string(3);
    x.comment = st.column_string(4);
    x.created_by = st.column_string(5);
    x.created_at = st.column_int64(6);
    x.starts_at = st.column_int64(7);
    x.ends_at = st.column_int64(8);
    out.push_back(std::move(x));
  }
  return out;
}

Expected<bool> Store::expire_silence(std::int64_t id, TimeMs now) {
  if (auto committed = impl_->commit_group(); !committed) {
    return make_error("cannot expire the silence: " + committed.error());
  }
  Statement st(
      impl_->db,
      "UPDATE silences SET ends_at = max(starts_at + 1, ?2) WHERE id = ?1 AND ends_at > ?2");
  st.bind(1, id);
  st.bind(2, now);
  if (auto done = st.run(); !done) return make_error("cannot expire the silence: " + done.error());
  Statement changed(impl_->db, "SELECT changes()");
  changed.step();
  return changed.column_int64(0) > 0;
}

std::vector<PendingDelivery> Store::due_deliveries(TimeMs now, int limit) {
  if (limit <= 0) return {};
  Statement& st = impl_->due_deliveries;
  ResetOnExit done(st);
  st.bind(1, now);
  st.bind(2, limit);
  std::vector<PendingDelivery> out;
  while (st.step()) {
    PendingDelivery d;
    d.id = st.column_int64(0);
    d.receiver = st.column_string(1);
    d.attempts = st.column_int(2);
    d.created_at = st.column_int64(3);
    d.next_attempt_at = st.column_int64(4);
    d.event = read_event(st, 5);
    out.push_back(std::move(d));
  }
  return out;
}

std::optional<TimeMs> Store::next_due_at() {
  Statement& st = impl_->next_due_at;
  ResetOnExit done(st);
  if (!st.step()) return std::nullopt;
  return st.column_optional_int64(0);
}

std::int64_t Store::pending_count() {
  Statement& st = impl_->pending_count;
  ResetOnExit done(st);
  return st.step() ? st.column_int64(0) : 0;
}

Expected<void> Store::mark_delivered(const std::vector<std::int64_t>& ids, TimeMs now) {
  return impl_->update_each(impl_->mark_delivered, ids, "mark deliveries as delivered",
                            [&](Statement& st) { st.bind(2, now); });
}

Expected<void> Store::mark_retry(const std::vector<std::int64_t>& ids, TimeMs next_attempt_at,
                                 const std::string& error) {
  return impl_->update_each(impl_->mark_retry, ids, "schedule a retry of deliveries",
                            [&](Statement& st) {
                              st.bind(2, next_attempt_at);
                              bind_error_text(st, 3, error);
                            });
}

Expected<void> Store::mark_final(const std::vector<std::int64_t>& ids, const std::string& status,
                                 const std::string& reason, TimeMs now) {
  if (status != "failed" && status != "silenced") {
    return make_error("cannot close deliveries with status '" + status +
                      "': it must be failed or silenced");
  }
  return impl_->update_each(impl_->mark_final, ids, "mark deliveries as " + status,
                            [&](Statement& st) {
                              st.bind(2, status);
                              bind_error_text(st, 3, reason);
                              st.bind(4, now);
                            });
}

std::vector<ProjectStatus> Store::latest_status() {
  Impl& s = *impl_;
  // One snapshot for the three reads. The daemon's store may hold a group of
  // quiet writes open: its connection then reads them, consistently, already.
  std::optional<Transaction> tx;
  if (!s.db.in_transaction()) {
    auto begun = Transaction::begin(s.db, Transaction::Mode::deferred);
    if (!begun) throw StorageError("cannot read the latest status: " + begun.error());
    tx.emplace(std::move(*begun));
  }
  std::vector<ProjectStatus> out;
  {
    Statement& st = s.latest_rows;
    ResetOnExit done(st);
    while (st.step()) {
      ProjectStatus& p = out.emplace_back();
      p.oms = st.column_string(0);
      p.project_id = st.column_string(1);
      p.observed_at = st.column_int64(2);
      p.outcome = outcome_text(st.column_int64(3));
      p.status = s.text_of(st.column_optional_int64(4));
      p.alarm_level = s.text_of(st.column_optional_int64(5));
      p.current_step = s.text_of(st.column_optional_int64(6));
      p.struct_progress = st.column_optional_int(7);
      p.full_progress = st.column_optional_int(8);
      p.incr_lag_s = st.column_optional_int64(9);
      p.error = st.column_string(10);
      p.last_polled_at = p.observed_at;
    }
  }
  // Walks `st`'s rows, ordered by (oms, project_id) in columns 0 and 1, along
  // `out`, calling `apply` for each project both have.
  auto merge = [&](Statement& st, auto apply) {
    ResetOnExit done(st);
    auto it = out.begin();
    while (it != out.end() && st.step()) {
      const std::string_view oms = st.column_text(0);
      const std::string_view project_id = st.column_text(1);
      auto before = [&](const ProjectStatus& p) {
        const int c = std::string_view(p.oms).compare(oms);
        return c != 0 ? c < 0 : std::string_view(p.project_id) < project_id;
      };
      while (it != out.end() && before(*it)) ++it;
      if (it != out.end() && it->oms == oms && it->project_id == project_id) apply(*it, st);
    }
  };
  merge(s.polled_at, [](ProjectStatus& p, const Statement& st) {
    p.last_polled_at = std::max(p.observed_at, st.column_int64(2));
  });
  merge(s.open_condition_counts,
        [](ProjectStatus& p, const Statement& st) { p.open_conditions = st.column_int64(2); });
  return out;
}

std::vector<Sample> Store::history(const std::string& project_id, std::optional<TimeMs> since,
                                   std::optional<TimeMs> until, int limit) {
  Impl& s = *impl_;
  s.commit_group_or_throw();
  auto tx = Transaction::begin(s.db, Transaction::Mode::deferred);
  if (!tx) throw StorageError("cannot read the history: " + tx.error());
  std::vector<Sample> out;
  for (const auto& [key, oms] : s.keys_of(project_id)) {
    Statement& st = s.history_of_key;
    ResetOnExit done(st);
    st.bind(1, key);
    st.bind(2, since.value_or(kMinTime));
    st.bind(3, until.value_or(kMaxTime));
    st.bind(4, sql_limit(limit));
    while (st.step()) {
      Sample x;
      x.oms = oms;
      x.project_id = project_id;
      x.observed_at = st.column_int64(0);
      x.outcome = outcome_text(st.column_int64(1));
      x.status = s.text_of(st.column_optional_int64(2));
      x.alarm_level = s.text_of(st.column_optional_int64(3));
      x.current_step = s.text_of(st.column_optional_int64(4));
      x.struct_progress = st.column_optional_int(5);
      x.full_progress = st.column_optional_int(6);
      x.incr_checkpoint = st.column_string(7);
      x.incr_lag_s = st.column_optional_int64(8);
      x.reverse_checkpoint = st.column_string(9);
      x.reverse_lag_s = st.column_optional_int64(10);
      x.latency_us = st.column_int64(11);
      x.error = st.column_string(12);
      out.push_back(std::move(x));
    }
  }
  // Oldest first, by time then OMS; of several OMS, the most recent `limit`.
  std::sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) {
    return a.observed_at != b.observed_at ? a.observed_at < b.observed_at : a.oms < b.oms;
  });
  if (limit > 0 && out.size() > static_cast<std::size_t>(limit)) {
    out.erase(out.begin(), out.end() - limit);
  }
  return out;
}

std::vector<StatusInterval> Store::status_timeline(const std::string& project_id,
                                                   std::optional<TimeMs> since,
                                                   std::optional<TimeMs> until) {
  Impl& s = *impl_;
  s.commit_group_or_throw();
  const TimeMs end = until.value_or(kMaxTime);
  // One snapshot for every statement below.
  auto tx = Transaction::begin(s.db, Transaction::Mode::deferred);
  if (!tx) throw StorageError("cannot read the status timeline: " + tx.error());

  const auto keys = s.keys_of(project_id);
  auto bind_run = [](Statement& st, std::int64_t outcome, std::optional<std::int64_t> status) {
    st.bind(3, outcome);
    st.bind(4, status);
  };

  std::vector<StatusInterval> out;
  for (const auto& [key, oms] : keys) {
    struct Run {
      TimeMs from;
      std::int64_t outcome;
      std::optional<std::int64_t> status;
    };
    std::vector<Run> runs;
    // The run in force at `since` keeps its real start.
    TimeMs scan_from = since.value_or(kMinTime);
    if (since) {
      ResetOnExit done(s.sample_at);
      s.sample_at.bind(1, key);
      s.sample_at.bind(2, *since);
      if (s.sample_at.step()) {
        const TimeMs at = s.sample_at.column_int64(0);
        const std::int64_t outcome = s.sample_at.column_int64(1);
        const auto status = s.sample_at.column_optional_int64(2);
        ResetOnExit done_start(s.run_start);
        s.run_start.bind(1, key);
        s.run_start.bind(2, at);
        bind_run(s.run_start, outcome, status);
        if (s.run_start.step()) scan_from = s.run_start.column_optional_int64(0).value_or(at);
      }
    }
    {
      ResetOnExit done(s.timeline_rows);
      s.timeline_rows.bind(1, key);
      s.timeline_rows.bind(2, scan_from);
      s.timeline_rows.bind(3, end);
      while (s.timeline_rows.step()) {
        const std::int64_t outcome = s.timeline_rows.column_int64(1);
        const auto status = s.timeline_rows.column_optional_int64(2);
        if (runs.empty() || runs.back().outcome != outcome || runs.back().status != status) {
          runs.push_back(Run{s.timeline_rows.column_int64(0), outcome, status});
        }
      }
    }
    if (runs.empty()) continue;
    // The last run ends where a different sample follows, at or after `until`;
    // without one it lasts until the latest poll.
    std::optional<TimeMs> last_end;
    if (until) {
      ResetOnExit done(s.run_end);
      s.run_end.bind(1, key);
      s.run_end.bind(2, *until);
      bind_run(s.run_end, runs.back().outcome, runs.back().status);
      if (s.run_end.step()) last_end = s.run_end.column_optional_int64(0);
    }
    TimeMs latest_poll = runs.back().from;
    if (!last_end) {
      ResetOnExit done(s.last_polled_at);
      s.last_polled_at.bind(1, key);
      s.last_polled_at.bind(2, oms);
      s.last_polled_at.bind(3, project_id);
      if (s.last_polled_at.step()) latest_poll = s.last_polled_at.column_int64(0);
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
      StatusInterval interval;
      interval.oms = oms;
      interval.project_id = project_id;
      interval.outcome = outcome_text(runs[i].outcome);
      interval.status = s.text_of(runs[i].status);
      interval.from = runs[i].from;
      if (i + 1 < runs.size()) {
        interval.to = runs[i + 1].from;
      } else if (last_end) {
        interval.to = *last_end;
      } else {
        interval.to = std::max(latest_poll, runs[i].from);
        interval.ongoing = true;
      }
      out.push_back(std::move(interval));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const StatusInterval& a, const StatusInterval& b) {
    return a.from != b.from ? a.from < b.from : a.oms < b.oms;
  });
  return out;
}

std::vector<EventWithDeliveries> Store::events(const EventFilter& filter) {
  int min_rank = 0;
  if (!filter.min_severity.empty()) {
    auto severity = parse_severity(filter.min_severity);
    if (!severity) {
      throw std::invalid_argument("min_severity must be info, warning or critical, not '" +
                                  filter.min_severity + "'");
    }
    min_rank = static_cast<int>(*severity);
  }
  Impl& s = *impl_;
  s.commit_group_or_throw();
  // One snapshot for the events and their deliveries.
  auto tx = Transaction::begin(s.db, Transaction::Mode::deferred);
  if (!tx) throw StorageError("cannot read events: " + tx.error());

  std::vector<EventWithDeliveries> out;
  {
    Statement& st = filter.project_id.empty() ? s.events_of_all : s.events_of_project;
    ResetOnExit done(st);
    if (filter.project_id.empty()) {
      st.bind_null(1);
    } else {
      st.bind(1, filter.project_id);
    }
    if (filter.kind.empty()) {
      st.bind_null(2);
    } else {
      st.bind(2, filter.kind);
    }
    st.bind(3, min_rank);
    st.bind(4, filter.since.value_or(kMinTime));
    st.bind(5, filter.until.value_or(kMaxTime));
    st.bind(6, sql_limit(filter.limit));
    while (st.step()) out.push_back(EventWithDeliveries{read_event(st, 0), {}});
  }
  Statement& st = s.deliveries_of_event;
  for (auto& e : out) {
    ResetOnExit done(st);
    st.bind(1, e.event.id);
    while (st.step()) {
      e.deliveries.push_back(EventWithDeliveries::Delivery{st.column_string(0), st.column_string(1),
                                                           st.column_int(2), st.column_string(3),
                                                           st.column_optional_int64(4)});
    }
  }
  return out;
}

}  // namespace omswatch::storage
