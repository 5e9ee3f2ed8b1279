#include "daemon/detect/migration_rules.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "daemon/detect/detector.h"
#include "daemon/detect/event_kind.h"
#include "daemon/detect/state_json.h"

namespace omswatch::daemon::detail {
namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::seconds;

namespace {

constexpr std::string_view kCreatingCode = "GHANA-OPERIE000000";
constexpr std::string_view kNoSuchProjectCode = "GHANA-PROJECT000001";
constexpr std::size_t kWorstTables = 5;  // in the details
constexpr std::size_t kNamedTables = 3;  // in the summary

bool step_done(const oms::ProjectStep& step) {
  return step.status == "FINISHED" || step.status == "FAILED";
}

std::string eta_text(const Eta& eta) {
  if (eta.low == eta.high) return "ETA " + human(eta.high);
  return "ETA " + human(eta.low) + " to " + human(eta.high);
}

std::string percent(double share) { return std::to_string(std::lround(share * 100)) + "%"; }

// The rows that differ by what a verification reports: differentNumber, or
// the tables' counts when that is absent or zero while they are not.
std::int64_t differences_of(const oms::VerifyResult& v) {
  std::int64_t sum = 0;
  for (const auto& t : v.tables) sum += t.source_only + t.dest_only + t.mismatched;
  return std::max(v.different_number.value_or(0), sum);
}

// A step that ends or changes: what the state knew of the previous one goes.
void forget_transfer(ProjectState& s) {
  s.transfer_step.clear();
  s.transfer_seen_at = {};
  s.transfer_start.reset();
  s.transfer_dst_rps.reset();
  s.transfer_dst_rps_ref.reset();
  s.transfer_processed.reset();
  s.transfer_capacity.reset();
  s.slow_since.reset();
}

}  // namespace

bool still_creating(ProjectState& s, const Observation& obs, TimePoint now,
                    const DetectThresholds& t) {
  if (obs.outcome != Observation::Outcome::unavailable || !obs.error.starts_with(kCreatingCode)) {
    return false;
  }
  if (!s.creating_since) s.creating_since = now;
  return now - *s.creating_since < t.creating_grace;
}

std::string unavailable_summary(const std::string& id, const std::string& error) {
  if (error.starts_with(kNoSuchProjectCode)) {
    return id + " does not exist on this OMS (" + std::string(kNoSuchProjectCode) + ")";
  }
  return id + " unavailable: " + error;
}

void detect_full_transfer(ProjectState& s, const std::string& id, const Observation& obs,
                          const ProgressFacts& facts, const DetectThresholds& t,
                          Conditions& conditions) {
  const oms::ProjectProgress& p = obs.progress;
  // The step's own reading decides whether it runs; between readings, the
  // project's current step does.
  const oms::ProjectStep* sample =
      obs.transfer_step && is_full_transfer_step(obs.transfer_step->name) ? &*obs.transfer_step
                                                                          : nullptr;
  const bool step_runs =
      facts.running && (sample ? !step_done(*sample) : is_full_transfer_step(p.current_step));
  if (!step_runs) {
    conditions.resolve_if_firing(event_kind::full_transfer_slow,
                                 [&] { return Said{id + " full transfer is no longer running"}; });
    forget_transfer(s);
    return;
  }
  const std::string& name = sample ? sample->name : p.current_step;
  if (name != s.transfer_step) {
    forget_transfer(s);
    s.transfer_step = name;
    s.transfer_seen_at = conditions.now();
  }
  if (sample) {
    if (sample->start_time) s.transfer_start = TimePoint(seconds(*sample->start_time));
    s.transfer_dst_rps = sample->transfer.dst_rps;
    s.transfer_dst_rps_ref = sample->transfer.dst_rps_ref;
    s.transfer_processed = sample->transfer.processed_records;
    s.transfer_capacity = sample->transfer.capacity;
  }
  const std::optional<Eta>& eta = obs.outlook.eta;
  // Judged only when there is something new to judge by.
  if (!sample && !eta) return;

  const TimePoint now = conditions.now();
  // OMS writes startTime by its own clock; the first sight is by ours.
  const Duration age = s.transfer_start ? duration_cast<Duration>(facts.oms_now - *s.transfer_start)
                                        : duration_cast<Duration>(now - s.transfer_seen_at);
  const bool rps_low = s.transfer_dst_rps && s.transfer_dst_rps_ref &&
                       *s.transfer_dst_rps_ref > 0 &&
                       static_cast<double>(*s.transfer_dst_rps) <
                           t.slow_share * static_cast<double>(*s.transfer_dst_rps_ref);
  const bool eta_long = t.max_eta > Duration::zero() && eta && eta->high > t.max_eta;
  if ((rps_low || eta_long) && age >= t.slow_grace) {
    if (!s.slow_since) s.slow_since = now;
  } else {
    s.slow_since.reset();
  }
  const bool slow = s.slow_since && now - *s.slow_since >= t.slow_for;

  const auto firing = [&] {
    Said said{id + " full transfer is slow: ", {{"step", s.transfer_step}}};
    json::object& details = said.details;
    if (s.transfer_dst_rps) details["dst_rps"] = *s.transfer_dst_rps;
    if (s.transfer_dst_rps_ref) details["dst_rps_ref"] = *s.transfer_dst_rps_ref;
    details["slow_share"] = t.slow_share;
    if (eta) {
      details["eta_low_s"] = whole_seconds(eta->low);
      details["eta_high_s"] = whole_seconds(eta->high);
      details["eta_basis"] = to_string(eta->basis);
    }
    if (t.max_eta > Duration::zero()) details["max_eta_s"] = whole_seconds(t.max_eta);
    if (s.transfer_processed) details["processed"] = *s.transfer_processed;
    if (s.transfer_capacity) details["capacity"] = *s.transfer_capacity;
    if (s.slow_since)
      details["slow_for_s"] = whole_seconds(duration_cast<Duration>(now - *s.slow_since));

    std::string why;
    if (rps_low) {
      why = std::to_string(*s.transfer_dst_rps) + " rows/s written, under " +
            percent(t.slow_share) + " of OMS's baseline " +
            std::to_string(*s.transfer_dst_rps_ref) + " rows/s";
    }
    if (eta_long) {
      why += (why.empty() ? "" : "; ") + eta_text(*eta) + ", over max_eta " + human(t.max_eta);
    } else if (eta) {
      why += (why.empty() ? "" : "; ") + eta_text(*eta);
    }
    said.summary += why;
    return said;
  };
  const auto resolved = [&] {
    std::string now_text = s.transfer_dst_rps
                               ? " (" + std::to_string(*s.transfer_dst_rps) + " rows/s" +
                                     (eta ? ", " + eta_text(*eta) : std::string()) + ")"
                               : (eta ? " (" + eta_text(*eta) + ")" : std::string());
    return Said{id + " full transfer is no longer slow" + now_text};
  };
  conditions.evaluate(event_kind::full_transfer_slow, Severity::warning, slow, firing, resolved);
}

void detect_verification(ProjectState& s, const std::string& id, const Observation& obs,
                         Conditions& conditions) {
  const oms::ProjectProgress& p = obs.progress;
  const bool verifier_step = obs.transfer_step && is_full_verify_step(obs.transfer_step->name);
  if (verifier_step || obs.verify || is_full_verify_step(p.current_step)) s.verify_seen = true;
  if (obs.verify) {
    const bool finished = obs.verify_finished;
    const std::int64_t differences = differences_of(*obs.verify);
    s.verify_finished = finished;
    // A run that has found nothing yet clears no differences: only a finished
    // one does.
    if (differences > 0 || finished) {
      s.verify_differences = differences;
      std::vector<const oms::VerifyTable*> differing;
      for (const auto& table : obs.verify->tables) {
        if (table.source_only + table.dest_only + table.mismatched > 0) differing.push_back(&table);
      }
      std::stable_sort(differing.begin(), differing.end(), [](const auto* a, const auto* b) {
        return a->source_only + a->dest_only + a->mismatched >
               b->source_only + b->dest_only + b->mismatched;
      });
      s.verify_tables_differing = static_cast<std::int64_t>(differing.size());
      s.verify_worst.clear();
      for (std::size_t i = 0; i < differing.size() && i < kWorstTables; ++i) {
        const auto& table = *differing[i];
        s.verify_worst.push_back({table.source_schema + "." + table.source_table, table.source_only,
                                  table.dest_only, table.mismatched});
      }
    }
  }

  const auto firing = [&] {
    Said said{id + " verification found " + std::to_string(s.verify_differences) +
                  " rows that differ",
              {{"differences", s.verify_differences},
               {"tables_differing", s.verify_tables_differing},
               {"tables", worst_tables_json(s.verify_worst)},
               {"finished", s.verify_finished}}};
    std::string& summary = said.summary;
    if (s.verify_tables_differing > 0) {
      summary += " in " + std::to_string(s.verify_tables_differing) + " table" +
                 (s.verify_tables_differing == 1 ? "" : "s") + ": ";
      for (std::size_t i = 0; i < s.verify_worst.size() && i < kNamedTables; ++i) {
        const auto& w = s.verify_worst[i];
        summary += (i ? ", " : "") + w.table + " (" +
                   std::to_string(w.source_only + w.dest_only + w.mismatched) + ")";
      }
      if (s.verify_tables_differing > static_cast<std::int64_t>(kNamedTables)) summary += ", ...";
    }
    if (obs.verify) said.details["total_tables"] = obs.verify->total_tables;
    return said;
  };
  conditions.evaluate(event_kind::verify_mismatch, Severity::warning, s.verify_differences > 0,
                      firing,
                      [&] { return Said{id + " verification finished with no differences"}; });
}

void detect_falling_behind(const std::string& id, const Observation& obs, const ProgressFacts& f,
                           const DetectThresholds& t, Conditions& conditions) {
  if (!f.incr_armed) {
    conditions.resolve_if_firing(event_kind::incr_falling_behind, [&] {
      return Said{id + " incremental sync is no longer running"};
    });
    return;
  }
  if (conditions.is_firing(event_kind::incr_lagging)) {
    // The prediction came true: incr_lagging takes over.
    conditions.resolve_if_firing(event_kind::incr_falling_behind, [&] {
      return Said{
          id + " incremental lag crossed max_lag " + human(t.max_lag) + " (incr_lagging fired)",
          {{"crossed_max_lag", true}}};
    });
    return;
  }
  const std::optional<Trend>& trend = obs.outlook.trend;
  const bool behind = f.lag && *f.lag < t.max_lag && trend &&
                      trend->direction == Trend::Direction::falling_behind && trend->to_max_lag &&
                      *trend->to_max_lag <= t.behind_horizon;
  const auto firing = [&] {
    const auto per_minute = Duration(std::llround(trend->rate * 60'000));
    return Said{id + " incremental sync is falling behind: lag " + human(*f.lag) + " grows " +
                    human(per_minute) + " a minute and would cross max_lag " + human(t.max_lag) +
                    " in " + human(*trend->to_max_lag),
                {{"lag_s", whole_seconds(*f.lag)},
                 {"max_lag_s", whole_seconds(t.max_lag)},
                 {"rate", trend->rate},
                 {"to_max_lag_s", whole_seconds(*trend->to_max_lag)},
                 {"behind_horizon_s", whole_seconds(t.behind_horizon)}}};
  };
  conditions.evaluate(event_kind::incr_falling_behind, Severity::warning, behind, firing, [&] {
    return Said{id + " incremental sync is no longer falling behind" +
                (f.lag ? " (lag " + human(*f.lag) + ")" : std::string())};
  });
}

void detect_cutover(ProjectState& s, const std::string& id, const ProgressFacts& f,
                    const DetectThresholds& t, Conditions& conditions) {
  const bool verified = !s.verify_seen || (s.verify_finished && s.verify_differences == 0);
  const bool ready = f.running && f.incr_armed && f.lag && *f.lag < t.cutover_max_lag &&
                     !conditions.any_firing() && verified;
  if (!ready) {
    // Readiness lost: the next one is a new period, announced again.
    s.ready_since.reset();
    s.ready_announced = false;
    return;
  }
  const TimePoint now = conditions.now();
  if (!s.ready_since) s.ready_since = now;
  const auto ready_for = duration_cast<Duration>(now - *s.ready_since);
  if (s.ready_announced || ready_for < t.cutover_for || f.first_sight) return;
  s.ready_announced = true;
  const std::string verification =
      s.verify_seen ? "full verification finished with no differences" : "no full verification";
  conditions.notice(event_kind::cutover_ready,
                    id + " is ready for cutover: incremental lag " + human(*f.lag) + ", under " +
                        human(t.cutover_max_lag) + " for " + human(ready_for) + "; " + verification,
                    {{"lag_s", whole_seconds(*f.lag)},
                     {"cutover_max_lag_s", whole_seconds(t.cutover_max_lag)},
                     {"since", duration_cast<seconds>(s.ready_since->time_since_epoch()).count()},
                     {"ready_for_s", whole_seconds(ready_for)},
                     {"verification", verification}});
}

}  // namespace omswatch::daemon::detail
