// The reads: detector states at start-up, `omswatch status` (latest_status),
// a project's samples (history) and status intervals (status_timeline), and
// the events with their deliveries.

#include <algorithm>
#include <stdexcept>

#include "common/severity.h"
#include "storage/store.h"
#include "storage/store_impl.h"

namespace omswatch::storage {

namespace detail {

namespace {

constexpr std::string_view kLoadProjectStates =
    "SELECT oms, project_id, state_json, updated_at FROM project_state ORDER BY oms, project_id";
constexpr std::string_view kLoadOmsState = "SELECT state_json FROM oms_state WHERE oms = ?1";

// `omswatch status` reads three sets (and the migration progress of
// store_progress.cpp), each ordered by (oms, project_id), and merges them in
// memory, which costs less than one query joining them per
// project: each project's latest sample (latest_sample_rows, in the order of
// sample_projects_by_oms), when each project was last polled (its detector
// state is saved with every poll), and the conditions firing now.
//
// Only the columns `omswatch status` shows: not through read_sample_row(),
// whose checkpoints SQLite would turn from INTEGER into text, one string each,
// for 10,000 rows that never show them.
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

// The status timeline, one project key at a time.
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

}  // namespace

QueryStatements::QueryStatements(Database& db)
    : project_keys(db, kProjectKeys),
      text_of_id(db, kTextOfId),
      load_project_states(db, kLoadProjectStates),
      load_oms_state(db, kLoadOmsState),
      latest_rows(db, kLatestRows),
      polled_at(db, kPolledAt),
      open_condition_counts(db, kOpenConditionCounts),
      history_of_key(db, kHistoryOfKey),
      sample_at(db, kSampleAt),
      run_start(db, kRunStart),
      timeline_rows(db, kTimelineRows),
      run_end(db, kRunEnd),
      last_polled_at(db, kLastPolledAt),
      events_of_project(db, kEventsOfProject),
      events_of_all(db, kEventsOfAll),
      deliveries_of_event(db, kDeliveriesOfEvent) {}

}  // namespace detail

namespace {

using detail::ResetOnExit;
using detail::Statement;
using detail::Transaction;

}  // namespace

std::vector<std::pair<std::int64_t, std::string>> Store::Impl::keys_of(
    const std::string& project_id) {
  std::vector<std::pair<std::int64_t, std::string>> keys;
  ResetOnExit done(query.project_keys);
  query.project_keys.bind(1, project_id);
  while (query.project_keys.step()) {
    keys.emplace_back(query.project_keys.column_int64(0), query.project_keys.column_string(1));
  }
  return keys;
}

Expected<std::vector<ProjectState>> Store::load_project_states() {
  return detail::guarded([&]() -> std::vector<ProjectState> {
    Statement& st = impl_->query.load_project_states;
    ResetOnExit done(st);
    std::vector<ProjectState> out;
    while (st.step()) {
      out.push_back(ProjectState{st.column_string(0), st.column_string(1), st.column_string(2),
                                 st.column_int64(3)});
    }
    return out;
  });
}

Expected<std::optional<std::string>> Store::load_oms_state(const std::string& oms) {
  return detail::guarded([&]() -> std::optional<std::string> {
    Statement& st = impl_->query.load_oms_state;
    ResetOnExit done(st);
    st.bind(1, oms);
    if (!st.step()) return std::nullopt;
    return st.column_string(0);
  });
}

Expected<std::vector<ProjectStatus>> Store::latest_status() {
  return detail::guarded([&]() -> std::vector<ProjectStatus> {
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
      Statement& st = s.query.latest_rows;
      ResetOnExit done(st);
      while (st.step()) {
        ProjectStatus& p = out.emplace_back();
        p.oms = st.column_string(0);
        p.project_id = st.column_string(1);
        p.observed_at = st.column_int64(2);
        p.outcome = detail::outcome_text(st.column_int64(3));
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
    merge(s.query.polled_at, [](ProjectStatus& p, const Statement& st) {
      p.last_polled_at = std::max(p.observed_at, st.column_int64(2));
    });
    merge(s.query.open_condition_counts,
          [](ProjectStatus& p, const Statement& st) { p.open_conditions = st.column_int64(2); });
    merge(s.progress.latest_steps,
          [](ProjectStatus& p, const Statement& st) { p.step = detail::read_step_row(st, 2); });
    merge(s.progress.verifications,
          [](ProjectStatus& p, const Statement& st) { p.verify = detail::read_verify_row(st, 2); });
    merge(s.progress.outlooks,
          [](ProjectStatus& p, const Statement& st) { p.outlook_json = st.column_string(2); });
    return out;
  });
}

Expected<std::vector<Sample>> Store::history(const std::string& project_id,
                                             std::optional<TimeMs> since,
                                             std::optional<TimeMs> until, int limit) {
  return detail::guarded([&]() -> std::vector<Sample> {
    Impl& s = *impl_;
    s.commit_group_or_throw();
    auto tx = Transaction::begin(s.db, Transaction::Mode::deferred);
    if (!tx) throw StorageError("cannot read the history: " + tx.error());
    std::vector<Sample> out;
    for (const auto& [key, oms] : s.keys_of(project_id)) {
      Statement& st = s.query.history_of_key;
      ResetOnExit done(st);
      st.bind(1, key);
      st.bind(2, since.value_or(detail::kMinTime));
      st.bind(3, until.value_or(detail::kMaxTime));
      st.bind(4, detail::sql_limit(limit));
      while (st.step()) {
        Sample& x = out.emplace_back(s.read_sample_row(st, 0));
        x.oms = oms;
        x.project_id = project_id;
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
  });
}

Expected<std::vector<StatusInterval>> Store::status_timeline(const std::string& project_id,
                                                             std::optional<TimeMs> since,
                                                             std::optional<TimeMs> until) {
  return detail::guarded([&]() -> std::vector<StatusInterval> {
    Impl& s = *impl_;
    s.commit_group_or_throw();
    const TimeMs end = until.value_or(detail::kMaxTime);
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
      TimeMs scan_from = since.value_or(detail::kMinTime);
      if (since) {
        ResetOnExit done(s.query.sample_at);
        s.query.sample_at.bind(1, key);
        s.query.sample_at.bind(2, *since);
        if (s.query.sample_at.step()) {
          const TimeMs at = s.query.sample_at.column_int64(0);
          const std::int64_t outcome = s.query.sample_at.column_int64(1);
          const auto status = s.query.sample_at.column_optional_int64(2);
          ResetOnExit done_start(s.query.run_start);
          s.query.run_start.bind(1, key);
          s.query.run_start.bind(2, at);
          bind_run(s.query.run_start, outcome, status);
          if (s.query.run_start.step())
            scan_from = s.query.run_start.column_optional_int64(0).value_or(at);
        }
      }
      {
        ResetOnExit done(s.query.timeline_rows);
        s.query.timeline_rows.bind(1, key);
        s.query.timeline_rows.bind(2, scan_from);
        s.query.timeline_rows.bind(3, end);
        while (s.query.timeline_rows.step()) {
          const std::int64_t outcome = s.query.timeline_rows.column_int64(1);
          const auto status = s.query.timeline_rows.column_optional_int64(2);
          if (runs.empty() || runs.back().outcome != outcome || runs.back().status != status) {
            runs.push_back(Run{s.query.timeline_rows.column_int64(0), outcome, status});
          }
        }
      }
      if (runs.empty()) continue;
      // The last run ends where a different sample follows, at or after `until`;
      // without one it lasts until the latest poll.
      std::optional<TimeMs> last_end;
      if (until) {
        ResetOnExit done(s.query.run_end);
        s.query.run_end.bind(1, key);
        s.query.run_end.bind(2, *until);
        bind_run(s.query.run_end, runs.back().outcome, runs.back().status);
        if (s.query.run_end.step()) last_end = s.query.run_end.column_optional_int64(0);
      }
      TimeMs latest_poll = runs.back().from;
      if (!last_end) {
        ResetOnExit done(s.query.last_polled_at);
        s.query.last_polled_at.bind(1, key);
        s.query.last_polled_at.bind(2, oms);
        s.query.last_polled_at.bind(3, project_id);
        if (s.query.last_polled_at.step()) latest_poll = s.query.last_polled_at.column_int64(0);
      }
      for (std::size_t i = 0; i < runs.size(); ++i) {
        StatusInterval interval;
        interval.oms = oms;
        interval.project_id = project_id;
        interval.outcome = detail::outcome_text(runs[i].outcome);
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
  });
}

Expected<std::vector<EventWithDeliveries>> Store::events(const EventFilter& filter) {
  return detail::guarded([&]() -> std::vector<EventWithDeliveries> {
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
      Statement& st = filter.project_id.empty() ? s.query.events_of_all : s.query.events_of_project;
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
      st.bind(4, filter.since.value_or(detail::kMinTime));
      st.bind(5, filter.until.value_or(detail::kMaxTime));
      st.bind(6, detail::sql_limit(filter.limit));
      while (st.step()) out.push_back(EventWithDeliveries{detail::read_event(st, 0), {}});
    }
    Statement& st = s.query.deliveries_of_event;
    for (auto& e : out) {
      ResetOnExit done(st);
      st.bind(1, e.event.id);
      while (st.step()) {
        e.deliveries.push_back(EventWithDeliveries::Delivery{
            st.column_string(0), st.column_string(1), st.column_int(2), st.column_string(3),
            st.column_optional_int64(4)});
      }
    }
    return out;
  });
}

}  // namespace omswatch::storage
