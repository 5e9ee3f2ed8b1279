#include "storage/store.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "common/severity.h"
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

constexpr std::string_view kInsertSample = R"sql(
INSERT INTO samples (oms, project_id, observed_at, outcome, status, alarm_level, current_step,
                     struct_progress, full_progress, incr_checkpoint, incr_lag_s,
                     reverse_checkpoint, reverse_lag_s, latency_us, error)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15))sql";

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

constexpr std::string_view kLatestStatus = R"sql(
SELECT l.oms, l.project_id, l.observed_at, l.outcome, l.status, l.alarm_level, l.current_step,
       l.struct_progress, l.full_progress, l.incr_lag_s, l.error,
       (SELECT count(*) FROM open_conditions AS c
         WHERE c.oms = l.oms AND c.project_id = l.project_id)
  FROM latest_samples AS l
 ORDER BY l.oms, l.project_id)sql";

// The most recent ?4 rows of the window, returned oldest first.
constexpr std::string_view kHistory = R"sql(
SELECT oms, project_id, observed_at, outcome, error, status, alarm_level, current_step,
       struct_progress, full_progress, incr_checkpoint, reverse_checkpoint, incr_lag_s,
       reverse_lag_s, latency_us
  FROM (SELECT * FROM samples
         WHERE project_id = ?1 AND observed_at >= ?2 AND observed_at < ?3
         ORDER BY observed_at DESC, id DESC
         LIMIT ?4)
 ORDER BY observed_at, id)sql";

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
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return make_error("no database at " + path + ": the file does not exist" +
                      (ec ? " (" + ec.message() + ")" : std::string()));
  }
  auto db = Database::open(path, sqlite::kOpenReadOnly);
  if (!db) return db;
  db->set_busy_timeout(kBusyTimeout);
  auto set = db->exec("PRAGMA query_only = 1");
  if (!set) return make_error("database " + path + ": " + set.error());
  return db;
}

}  // namespace

struct Store::Impl {
  Impl(Database database, OpenMode open_mode, int schema_version)
      : db(std::move(database)),
        mode(open_mode),
        version(schema_version),
        insert_sample(db, kInsertSample),
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
        latest_status(db, kLatestStatus),
        history(db, kHistory),
        events_of_project(db, kEventsOfProject),
        events_of_all(db, kEventsOfAll),
        deliveries_of_event(db, kDeliveriesOfEvent) {}

  ~Impl() {
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

  Database db;
  OpenMode mode;
  int version;
  Statement insert_sample;
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
  Statement latest_status;
  Statement history;
  Statement events_of_project;
  Statement events_of_all;
  Statement deliveries_of_event;
};

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

Expected<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
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
    auto impl = std::make_unique<Impl>(std::move(*db), mode, version);
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
    auto tx = Transaction::begin(s.db);
    if (!tx) return failure("begin", tx.error());

    if (write.sample) {
      const Sample& x = *write.sample;
      Statement& st = s.insert_sample;
      st.bind(1, x.oms);
      st.bind(2, x.project_id);
      st.bind(3, x.observed_at);
      st.bind(4, x.outcome);
      bind_text_or_null(st, 5, x.status);
      bind_text_or_null(st, 6, x.alarm_level);
      bind_text_or_null(st, 7, x.current_step);
      st.bind(8, x.struct_progress);
      st.bind(9, x.full_progress);
      bind_text_or_null(st, 10, x.incr_checkpoint);
      st.bind(11, x.incr_lag_s);
      bind_text_or_null(st, 12, x.reverse_checkpoint);
      st.bind(13, x.reverse_lag_s);
      st.bind(14, x.latency_us);
      bind_error_text(st, 15, x.error);
      if (auto done = st.run(); !done) return failure("sample", done.error());
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
    if (auto committed = tx->commit(); !committed) return failure("commit", committed.error());
    return {};
  } catch (const StorageError& e) {
    return failure("unexpected failure", e.what());
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
  Statement& st = impl_->latest_status;
  ResetOnExit done(st);
  std::vector<ProjectStatus> out;
  while (st.step()) {
    ProjectStatus p;
    p.oms = st.column_string(0);
    p.project_id = st.column_string(1);
    p.observed_at = st.column_int64(2);
    p.outcome = st.column_string(3);
    p.status = st.column_string(4);
    p.alarm_level = st.column_string(5);
    p.current_step = st.column_string(6);
    p.struct_progress = st.column_optional_int(7);
    p.full_progress = st.column_optional_int(8);
    p.incr_lag_s = st.column_optional_int64(9);
    p.error = st.column_string(10);
    p.open_conditions = st.column_int64(11);
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<Sample> Store::history(const std::string& project_id, std::optional<TimeMs> since,
                                   std::optional<TimeMs> until, int limit) {
  Statement& st = impl_->history;
  ResetOnExit done(st);
  st.bind(1, project_id);
  st.bind(2, since.value_or(kMinTime));
  st.bind(3, until.value_or(kMaxTime));
  st.bind(4, sql_limit(limit));
  std::vector<Sample> out;
  while (st.step()) {
    Sample x;
    x.oms = st.column_string(0);
    x.project_id = st.column_string(1);
    x.observed_at = st.column_int64(2);
    x.outcome = st.column_string(3);
    x.error = st.column_string(4);
    x.status = st.column_string(5);
    x.alarm_level = st.column_string(6);
    x.current_step = st.column_string(7);
    x.struct_progress = st.column_optional_int(8);
    x.full_progress = st.column_optional_int(9);
    x.incr_checkpoint = st.column_string(10);
    x.reverse_checkpoint = st.column_string(11);
    x.incr_lag_s = st.column_optional_int64(12);
    x.reverse_lag_s = st.column_optional_int64(13);
    x.latency_us = st.column_int64(14);
    out.push_back(std::move(x));
  }
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
