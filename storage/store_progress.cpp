// Migration progress: the step readings of full transfers and verifications
// (step_sample_rows), each project's latest verification (verifications) and
// its latest outlook (project_outlook): written by record() in its
// transaction, read by latest_status() and step_history().

#include <algorithm>

#include "storage/store.h"
#include "storage/store_impl.h"

namespace omswatch::storage {

namespace detail {

namespace {

constexpr std::string_view kStepColumns = R"sql(observed_at, step, step_status, progress,
       processed, capacity, src_rps, dst_rps, src_rps_ref, dst_rps_ref, src_rt, dst_rt,
       src_rt_ref, dst_rt_ref, src_iops, dst_iops, src_iops_ref, eta_low_s, eta_high_s,
       eta_basis, rate)sql";

// A second reading of a project at the same millisecond replaces the first.
constexpr std::string_view kInsertStep = R"sql(
INSERT OR REPLACE INTO step_sample_rows (project, observed_at, step, step_status, progress,
       processed, capacity, src_rps, dst_rps, src_rps_ref, dst_rps_ref, src_rt, dst_rt,
       src_rt_ref, dst_rt_ref, src_iops, dst_iops, src_iops_ref, eta_low_s, eta_high_s,
       eta_basis, rate)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
        ?20, ?21, ?22))sql";

constexpr std::string_view kUpsertVerification = R"sql(
INSERT INTO verifications (oms, project_id, observed_at, finished, different_number, tables,
                           worst_tables_json)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (oms, project_id) DO UPDATE SET observed_at = excluded.observed_at,
       finished = excluded.finished, different_number = excluded.different_number,
       tables = excluded.tables, worst_tables_json = excluded.worst_tables_json)sql";

constexpr std::string_view kUpsertOutlook = R"sql(
INSERT INTO project_outlook (oms, project_id, outlook_json, updated_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (oms, project_id) DO UPDATE SET outlook_json = excluded.outlook_json,
                                            updated_at = excluded.updated_at)sql";
constexpr std::string_view kDeleteOutlook =
    "DELETE FROM project_outlook WHERE oms = ?1 AND project_id = ?2";

// `omswatch status` merges these with the latest samples, each ordered by
// (oms, project_id). The latest reading of each project is one primary-key
// seek per project that has readings.
constexpr std::string_view kLatestSteps = R"sql(
SELECT p.oms, p.project_id, r.observed_at, r.step, r.step_status, r.progress, r.processed,
       r.capacity, r.src_rps, r.dst_rps, r.src_rps_ref, r.dst_rps_ref, r.src_rt, r.dst_rt,
       r.src_rt_ref, r.dst_rt_ref, r.src_iops, r.dst_iops, r.src_iops_ref, r.eta_low_s,
       r.eta_high_s, r.eta_basis, r.rate
  FROM sample_projects AS p INDEXED BY sample_projects_by_oms
  JOIN step_sample_rows AS r
    ON r.project = p.id
   AND r.observed_at = (SELECT max(x.observed_at) FROM step_sample_rows AS x
                         WHERE x.project = p.id)
 ORDER BY p.oms, p.project_id)sql";

constexpr std::string_view kVerifications = R"sql(
SELECT oms, project_id, observed_at, finished, different_number, tables, worst_tables_json
  FROM verifications ORDER BY oms, project_id)sql";
constexpr std::string_view kOutlooks =
    "SELECT oms, project_id, outlook_json FROM project_outlook ORDER BY oms, project_id";

std::string steps_of_key_sql() {
  std::string sql = "SELECT ";
  sql += kStepColumns;
  sql += R"sql(
  FROM step_sample_rows
 WHERE project = ?1 AND observed_at >= ?2 AND observed_at < ?3
 ORDER BY observed_at DESC
 LIMIT ?4)sql";
  return sql;
}

// As prune's samples: the ?3 + 1 oldest readings of project ?1 before ?2,
// never its latest.
constexpr std::string_view kPruneSteps = R"sql(
DELETE FROM step_sample_rows
 WHERE project = ?1
   AND observed_at < ?2
   AND observed_at < (SELECT max(x.observed_at) FROM step_sample_rows AS x WHERE x.project = ?1)
   AND observed_at <= coalesce((SELECT y.observed_at FROM step_sample_rows AS y
                                 WHERE y.project = ?1 AND y.observed_at < ?2
                                 ORDER BY y.observed_at LIMIT 1 OFFSET ?3), ?2))sql";

}  // namespace

ProgressStatements::ProgressStatements(Database& db)
    : insert_step(db, kInsertStep),
      upsert_verification(db, kUpsertVerification),
      upsert_outlook(db, kUpsertOutlook),
      delete_outlook(db, kDeleteOutlook),
      latest_steps(db, kLatestSteps),
      verifications(db, kVerifications),
      outlooks(db, kOutlooks),
      steps_of_key(db, steps_of_key_sql()),
      prune_steps(db, kPruneSteps) {}

StepSample read_step_row(const Statement& st, int first) {
  StepSample x;
  int i = first;
  x.observed_at = st.column_int64(i++);
  x.step = st.column_string(i++);
  x.step_status = st.column_string(i++);
  x.progress = st.column_optional_int(i++);
  for (auto* field : {&x.processed, &x.capacity, &x.src_rps, &x.dst_rps, &x.src_rps_ref,
                      &x.dst_rps_ref, &x.src_rt, &x.dst_rt, &x.src_rt_ref, &x.dst_rt_ref,
                      &x.src_iops, &x.dst_iops, &x.src_iops_ref, &x.eta_low_s, &x.eta_high_s}) {
    *field = st.column_optional_int64(i++);
  }
  x.eta_basis = st.column_string(i++);
  if (!st.is_null(i)) x.rate = st.column_double(i);
  return x;
}

VerifyRecord read_verify_row(const Statement& st, int first) {
  VerifyRecord v;
  v.observed_at = st.column_int64(first);
  v.finished = st.column_int64(first + 1) != 0;
  v.different_number = st.column_optional_int64(first + 2);
  v.tables = st.column_int64(first + 3);
  v.worst_tables_json = st.column_string(first + 4);
  return v;
}

}  // namespace detail

using detail::ResetOnExit;
using detail::Statement;
using detail::Transaction;

Expected<void> Store::Impl::write_progress(const ObservationWrite& w, PendingWrite& pending) {
  auto failure = [&](const std::string& what, const std::string& why) {
    return make_error("could not store the poll of " + w.project_id + " on " + w.oms + ": " + what +
                      ": " + why);
  };
  if ((w.step_sample || w.verify || w.outlook_json) && w.project_id.empty()) {
    return make_error("could not store the poll of OMS " + w.oms +
                      ": a step reading, verification or outlook needs a project");
  }
  if (w.step_sample) {
    const StepSample& x = *w.step_sample;
    std::int64_t project = 0;
    try {
      project = project_key(w.oms, w.project_id, pending);
    } catch (const StorageError& e) {
      return failure("step reading", e.what());
    }
    Statement& st = progress.insert_step;
    int i = 1;
    st.bind(i++, project);
    st.bind(i++, x.observed_at);
    st.bind(i++, x.step);
    detail::bind_text_or_null(st, i++, x.step_status);
    st.bind(i++, x.progress);
    for (const auto* field :
         {&x.processed, &x.capacity, &x.src_rps, &x.dst_rps, &x.src_rps_ref, &x.dst_rps_ref,
          &x.src_rt, &x.dst_rt, &x.src_rt_ref, &x.dst_rt_ref, &x.src_iops, &x.dst_iops,
          &x.src_iops_ref, &x.eta_low_s, &x.eta_high_s}) {
      st.bind(i++, *field);
    }
    detail::bind_text_or_null(st, i++, x.eta_basis);
    st.bind(i++, x.rate);
    if (auto done = st.run(); !done) return failure("step reading", done.error());
  }
  if (w.verify) {
    const VerifyRecord& v = *w.verify;
    Statement& st = progress.upsert_verification;
    st.bind(1, w.oms);
    st.bind(2, w.project_id);
    st.bind(3, v.observed_at);
    st.bind(4, v.finished ? 1 : 0);
    st.bind(5, v.different_number);
    st.bind(6, v.tables);
    st.bind(7, v.worst_tables_json.empty() ? std::string_view("[]") : v.worst_tables_json);
    if (auto done = st.run(); !done) return failure("verification", done.error());
  }
  if (w.outlook_json) {
    Statement& st = w.outlook_json->empty() ? progress.delete_outlook : progress.upsert_outlook;
    st.bind(1, w.oms);
    st.bind(2, w.project_id);
    if (!w.outlook_json->empty()) {
      st.bind(3, *w.outlook_json);
      st.bind(4, w.now);
    }
    if (auto done = st.run(); !done) return failure("outlook", done.error());
  }
  return {};
}

Expected<std::vector<ProjectStepSample>> Store::step_history(const std::string& project_id,
                                                             std::optional<TimeMs> since,
                                                             std::optional<TimeMs> until,
                                                             int limit) {
  return detail::guarded([&]() -> std::vector<ProjectStepSample> {
    Impl& s = *impl_;
    s.commit_group_or_throw();
    auto tx = Transaction::begin(s.db, Transaction::Mode::deferred);
    if (!tx) throw StorageError("cannot read the step readings: " + tx.error());
    std::vector<ProjectStepSample> out;
    for (const auto& [key, oms] : s.keys_of(project_id)) {
      Statement& st = s.progress.steps_of_key;
      ResetOnExit done(st);
      st.bind(1, key);
      st.bind(2, since.value_or(detail::kMinTime));
      st.bind(3, until.value_or(detail::kMaxTime));
      st.bind(4, detail::sql_limit(limit));
      while (st.step()) out.push_back({oms, project_id, detail::read_step_row(st, 0)});
    }
    std::sort(out.begin(), out.end(), [](const ProjectStepSample& a, const ProjectStepSample& b) {
      return a.sample.observed_at != b.sample.observed_at
                 ? a.sample.observed_at < b.sample.observed_at
                 : a.oms < b.oms;
    });
    if (limit > 0 && out.size() > static_cast<std::size_t>(limit)) {
      out.erase(out.begin(), out.end() - limit);
    }
    return out;
  });
}

}  // namespace omswatch::storage
