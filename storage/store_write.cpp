// The write path: record() (a poll's sample, detector states, migration
// progress (store_progress.cpp), events and deliveries in one transaction),
// thinning through storage/thinning.h, the dictionaries of project keys and
// texts, and the group commit of quiet writes (StoreOptions::commit_delay).

#include <algorithm>
#include <charconv>
#include <system_error>

#include "storage/store.h"
#include "storage/store_impl.h"

namespace omswatch::storage {

namespace detail {

namespace {

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

// The project's latest stored sample, which thinning compares with the next,
// in Store::Impl::read_sample_row() order.
constexpr std::string_view kLastSample = R"sql(
SELECT observed_at, outcome, status, alarm_level, current_step, struct_progress, full_progress,
       incr_checkpoint, incr_lag_s, reverse_checkpoint, reverse_lag_s, latency_us, error
  FROM sample_rows
 WHERE project = ?1
 ORDER BY observed_at DESC
 LIMIT 1)sql";

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

std::string project_cache_key(const std::string& oms, const std::string& project_id) {
  std::string key;
  key.reserve(oms.size() + 1 + project_id.size());
  key += oms;
  key += '\0';
  key += project_id;
  return key;
}

Error poll_failure(const ObservationWrite& write, const std::string& what, const std::string& why) {
  std::string subject =
      write.project_id.empty() ? "OMS " + write.oms : write.project_id + " on " + write.oms;
  return make_error("could not store the poll of " + subject + ": " + what + ": " + why);
}

}  // namespace

WriteStatements::WriteStatements(Database& db)
    : insert_sample(db, kInsertSample),
      find_project(db, kFindProject),
      insert_project(db, kInsertProject),
      find_text(db, kFindText),
      insert_text(db, kInsertText),
      last_sample(db, kLastSample),
      upsert_project_state(db, kUpsertProjectState),
      upsert_oms_state(db, kUpsertOmsState),
      insert_event(db, kInsertEvent),
      insert_delivery(db, kInsertDelivery),
      savepoint(db, "SAVEPOINT record"),
      release_savepoint(db, "RELEASE record"),
      rollback_to_savepoint(db, "ROLLBACK TO record") {}

}  // namespace detail

using detail::ResetOnExit;
using detail::Statement;
using detail::Transaction;

std::int64_t Store::Impl::project_key(const std::string& oms, const std::string& project_id,
                                      PendingWrite& pending) {
  std::string key = detail::project_cache_key(oms, project_id);
  if (auto it = project_key_cache.find(key); it != project_key_cache.end()) return it->second;
  std::int64_t id = 0;
  {
    ResetOnExit done(write.find_project);
    write.find_project.bind(1, oms);
    write.find_project.bind(2, project_id);
    if (write.find_project.step()) id = write.find_project.column_int64(0);
  }
  if (id == 0) {
    write.insert_project.bind(1, oms);
    write.insert_project.bind(2, project_id);
    if (auto done = write.insert_project.run(); !done) throw StorageError(done.error());
    id = db.last_insert_rowid();
    pending.projects.emplace_back(std::move(key), id);
  } else {
    project_key_cache.emplace(std::move(key), id);
  }
  return id;
}

std::optional<std::int64_t> Store::Impl::text_key(const std::string& text, PendingWrite& pending) {
  if (text.empty()) return std::nullopt;
  if (auto it = text_cache.find(text); it != text_cache.end()) return it->second;
  for (const auto& [t, id] : pending.texts) {
    if (t == text) return id;
  }
  std::int64_t id = 0;
  {
    ResetOnExit done(write.find_text);
    write.find_text.bind(1, text);
    if (write.find_text.step()) id = write.find_text.column_int64(0);
  }
  if (id == 0) {
    write.insert_text.bind(1, text);
    if (auto done = write.insert_text.run(); !done) throw StorageError(done.error());
    id = db.last_insert_rowid();
    pending.texts.emplace_back(text, id);
  } else {
    cache_text(text, id);
  }
  return id;
}

void Store::Impl::cache_text(const std::string& text, std::int64_t id) {
  if (text_cache.size() >= detail::kMaxCachedTexts) text_cache.clear();
  text_cache.emplace(text, id);
}

const StoredSample* Store::Impl::last_stored(std::int64_t project) {
  if (auto it = last_stored_cache.find(project); it != last_stored_cache.end()) {
    return it->second ? &*it->second : nullptr;
  }
  std::optional<StoredSample> found;
  {
    Statement& st = write.last_sample;
    ResetOnExit done(st);
    st.bind(1, project);
    if (st.step()) {
      const Sample x = read_sample_row(st, 0);
      found = stored_form(x, x.error);
    }
  }
  auto [it, inserted] = last_stored_cache.emplace(project, std::move(found));
  return it->second ? &*it->second : nullptr;
}

void Store::Impl::commit_pending(PendingWrite& pending) {
  for (auto& [key, id] : pending.projects) project_key_cache.emplace(std::move(key), id);
  for (auto& [text, id] : pending.texts) cache_text(text, id);
  if (pending.last) last_stored_cache[pending.last->first] = std::move(pending.last->second);
}

Expected<void> Store::Impl::write_all(const ObservationWrite& w, PendingWrite& pending) {
  auto failure = [&](const std::string& what, const std::string& why) {
    return detail::poll_failure(w, what, why);
  };
  if (w.sample) {
    const Sample& x = *w.sample;
    auto outcome = detail::outcome_code(x.outcome);
    if (!outcome) {
      return failure("sample", "outcome '" + x.outcome + "' is not ok, unavailable or error");
    }
    const std::string_view error = detail::bounded(x.error);
    std::int64_t project = 0;
    try {
      project = project_key(x.oms, x.project_id, pending);
    } catch (const StorageError& e) {
      return failure("sample", e.what());
    }
    StoredSample next = stored_form(x, error);
    if (worth_storing(next, last_stored(project), options.sample_every)) {
      Statement& st = write.insert_sample;
      st.bind(1, project);
      st.bind(2, x.observed_at);
      st.bind(3, *outcome);
      st.bind(4, text_key(x.status, pending));
      st.bind(5, text_key(x.alarm_level, pending));
      st.bind(6, text_key(x.current_step, pending));
      st.bind(7, x.struct_progress);
      st.bind(8, x.full_progress);
      detail::bind_checkpoint(st, 9, x.incr_checkpoint);
      st.bind(10, x.incr_lag_s);
      detail::bind_checkpoint(st, 11, x.reverse_checkpoint);
      st.bind(12, x.reverse_lag_s);
      st.bind(13, x.latency_us);
      detail::bind_error_text(st, 14, x.error);
      if (auto done = st.run(); !done) return failure("sample", done.error());
      pending.last.emplace(project, std::move(next));
    }
  }
  if (w.project_state_json) {
    Statement& st = write.upsert_project_state;
    st.bind(1, w.oms);
    st.bind(2, w.project_id);
    st.bind(3, *w.project_state_json);
    st.bind(4, w.now);
    if (auto done = st.run(); !done) return failure("project state", done.error());
  }
  if (w.oms_state_json) {
    Statement& st = write.upsert_oms_state;
    st.bind(1, w.oms);
    st.bind(2, *w.oms_state_json);
    st.bind(3, w.now);
    if (auto done = st.run(); !done) return failure("OMS state", done.error());
  }
  if (auto done = write_progress(w, pending); !done) return done;
  for (const EventRecord& e : w.events) {
    Statement& st = write.insert_event;
    st.bind(1, e.id);
    st.bind(2, e.oms);
    detail::bind_text_or_null(st, 3, e.project_id);
    st.bind(4, e.kind);
    st.bind(5, e.state);
    st.bind(6, e.severity);
    detail::bind_text_or_null(st, 7, e.alarm_level);
    st.bind(8, e.summary);
    st.bind(9, e.details_json.empty() ? std::string_view("{}") : e.details_json);
    st.bind(10, e.progress_json.empty() ? std::string_view("{}") : e.progress_json);
    st.bind(11, e.observed_at);
    detail::bind_text_or_null(st, 12, e.project_name);
    if (auto done = st.run(); !done) return failure("event " + e.id, done.error());
  }
  for (const ObservationWrite::Delivery& d : w.deliveries) {
    Statement& st = write.insert_delivery;
    st.bind(1, d.event_id);
    st.bind(2, d.receiver);
    st.bind(3, w.now);
    st.bind(4, std::max(w.now, d.due_at));
    if (auto done = st.run(); !done) {
      return failure("delivery of " + d.event_id + " to " + d.receiver, done.error());
    }
  }
  return {};
}

Expected<void> Store::record(const ObservationWrite& write) {
  Impl& s = *impl_;
  auto failure = [&](const std::string& what, const std::string& why) {
    return detail::poll_failure(write, what, why);
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
      if (auto done = s.write.savepoint.run(); !done) return failure("savepoint", done.error());
    } else {
      auto tx = Transaction::begin(s.db);
      if (!tx) return failure("begin", tx.error());
      own.emplace(std::move(*tx));
    }

    Impl::PendingWrite pending;
    Expected<void> written;
    try {
      written = s.write_all(write, pending);
    } catch (const StorageError& e) {
      written = failure("unexpected failure", e.what());
    }
    if (!written) {
      if (grouped) {
        (void)s.write.rollback_to_savepoint.run();
        (void)s.write.release_savepoint.run();
      }
      return written;
    }
    if (grouped) {
      if (auto done = s.write.release_savepoint.run(); !done) {
        return failure("savepoint", done.error());
      }
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

}  // namespace omswatch::storage
