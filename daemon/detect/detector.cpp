#include "daemon/detect/detector.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>

#include "common/duration.h"
#include "daemon/detect/conditions.h"
#include "daemon/detect/event_kind.h"
#include "daemon/detect/migration_rules.h"

namespace omswatch::daemon {
namespace json = boost::json;
using detail::Conditions;
using detail::Said;
using detail::human;
using detail::whole_seconds;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string or_none(const std::string& s) { return s.empty() ? std::string("(none)") : s; }

bool reached_100(const std::optional<bool>& enabled, const std::optional<int>& before,
                 const std::optional<int>& after) {
  if (enabled.has_value() && !*enabled) return false;
  return after.value_or(0) >= 100 && before.value_or(0) < 100;
}

std::string failed_summary(const std::string& id, const std::optional<oms::ProjectStep>& failed,
                           const std::string& current_step) {
  std::string s = id + " FAILED";
  const std::string& step = failed && !failed->name.empty() ? failed->name : current_step;
  if (!step.empty()) s += " in " + step;
  if (failed) {
    const auto& e = failed->error;
    // OMS messages often repeat the code ("ORA-01555: snapshot too old").
    std::string why = e.error_msg.starts_with(e.error_code) ? e.error_msg : e.error_code;
    if (!e.error_msg.empty() && why != e.error_msg) why += (why.empty() ? "" : " ") + e.error_msg;
    if (!why.empty()) s += ": " + why;
  }
  return s;
}

// A FAILED full transfer may be retried by OMS itself: from the poll that
// sees it enter FAILED (not the first sight of the project), it is held for
// failed_grace. While held, neither its status notice nor project_failed is
// raised; a retry within the grace leaves no event at all.
void start_failure_hold(ProjectState& s, const Observation& obs, bool first_sight, TimePoint now,
                        const DetectThresholds& t) {
  const oms::ProjectProgress& p = obs.progress;
  if (p.status != "FAILED" || first_sight || s.status == "FAILED" || s.failed_since ||
      t.failed_grace <= Duration::zero()) {
    return;
  }
  const std::string& step = obs.failed_step ? obs.failed_step->name : p.current_step;
  if (!is_full_transfer_step(step)) return;
  s.failed_since = now;
  s.failed_from = s.status;
  s.failed_step = step;
  s.failed_error_code = obs.failed_step ? obs.failed_step->error.error_code : "";
  s.failed_error_msg = obs.failed_step ? obs.failed_step->error.error_msg : "";
}

void end_failure_hold(ProjectState& s) {
  s.failed_since.reset();
  s.failed_from.clear();
  s.failed_step.clear();
  s.failed_error_code.clear();
  s.failed_error_msg.clear();
}

// Tracks one checkpoint: when its raw value last changed and whether it
// advanced since the project entered its current status.
void track_checkpoint(const oms::Checkpoint& cp, bool first_sight, bool status_changed,
                      TimePoint now, std::string& raw, TimePoint& seen_at, bool& advanced) {
  if (status_changed) advanced = false;
  if (cp.raw != raw) {
    if (!first_sight && !raw.empty() && cp.present()) advanced = true;
    raw = cp.raw;
    seen_at = now;
  }
}

}  // namespace

bool is_running_status(std::string_view status) {
  return status == "RUNNING" || status == "RUNNING_MODIFYING" || status == "RUNNING_MERGING";
}

bool is_incremental_step(std::string_view step) {
  static constexpr std::array<std::string_view, 8> kSteps = {
      "INCR_SYNC",          "INCR_TRANSFER",       "INCR_LOG_PULL", "TRANSFER_INCR_LOG_PULL",
      "SYNC_INCR_LOG_PULL", "CONNECTOR_INCR_SYNC", "INCR_VERIFIER", "APP_SWITCH"};
  for (auto s : kSteps) {
    if (s == step) return true;
  }
  return false;
}

bool is_full_transfer_step(std::string_view step) {
  return step == "FULL_TRANSFER" || step == "FULL_MIGRATION";
}

bool is_full_verify_step(std::string_view step) {
  return step == "FULL_VERIFIER" || step == "FULL_VALIDATION";
}

namespace {
bool is_reverse_step(std::string_view step) {
  return step == "REVERSE_INCR_SYNC" || step == "REVERSE_INCR_TRANSFER" || step == "APP_SWITCH" ||
         step == "TRANSFER_APP_SWITCH";
}
}  // namespace

ProjectDetection detect(const ProjectState& previous, const std::string& id, const Observation& obs,
                        TimePoint now, const DetectThresholds& t) {
  ProjectDetection result{previous, {}};
  ProjectState& s = result.state;
  auto& out = result.findings;
  Conditions conditions(s.firing, out, now, t.repeat);

  if (obs.outcome == Observation::Outcome::failed) {
    // No reply is no evidence about the project: nothing raised, nothing
    // resolved. Readiness for cutover not yet announced must be seen to last
    // for cutover_for: its window starts again.
    if (!s.ready_announced) s.ready_since.reset();
    return result;
  }

  if (obs.outcome == Observation::Outcome::unavailable) {
    // OMS still creating the transfer instance is no failure, for a while.
    if (detail::still_creating(s, obs, now, t)) return result;
    ++s.unavailable_streak;
    conditions.evaluate(
        event_kind::project_unavailable, Severity::warning,
        s.unavailable_streak >= t.unavailable_after,
        [&] {
          return Said{detail::unavailable_summary(id, obs.error),
                      {{"error", obs.error}, {"consecutive", s.unavailable_streak}}};
        },
        [] { return Said{}; });
    if (conditions.any_firing()) {
      s.ready_since.reset();
      s.ready_announced = false;
    }
    return result;
  }

  const oms::ProjectProgress& p = obs.progress;
  const bool first_sight = !s.seen;
  s.unavailable_streak = 0;
  conditions.resolve_if_firing(event_kind::project_unavailable,
                               [&] { return Said{id + " is available again"}; });

  start_failure_hold(s, obs, first_sight, now, t);
  const bool holding =
      s.failed_since && p.status == "FAILED" && now - *s.failed_since < t.failed_grace;
  // The failing step of a hold, for the alert once the grace is over.
  std::optional<oms::ProjectStep> failing = obs.failed_step;
  if (!failing && s.failed_since) {
    failing = oms::ProjectStep{};
    failing->name = s.failed_step;
    failing->error = {s.failed_error_code, s.failed_error_msg};
  }
  const std::optional<TimePoint> held_since = s.failed_since;

  // Notices: changes since the last observation. The first sight is the baseline.
  const bool status_changed = first_sight || p.status != s.status;
  if (!first_sight) {
    // While a failure is held (or just ended), the status last announced is the one before it.
    const std::string& announced = s.failed_since ? s.failed_from : s.status;
    if (p.status != announced && !holding) {
      conditions.notice(event_kind::status_changed,
                        id + " status " + or_none(announced) + " -> " + or_none(p.status),
                        {{"from", announced}, {"to", p.status}});
    }
    if (p.current_step != s.current_step) {
      conditions.notice(event_kind::step_changed,
                        id + " step " + or_none(s.current_step) + " -> " + or_none(p.current_step),
                        {{"from", s.current_step}, {"to", p.current_step}});
    }
    if (!p.alarm_level.empty() && p.alarm_level != s.alarm_level) {
      conditions.notice(event_kind::alarm_level_changed,
                        id + " alarm level " + or_none(s.alarm_level) + " -> " + p.alarm_level,
                        {{"from", s.alarm_level}, {"to", p.alarm_level}});
    }
    if (reached_100(p.enable_struct_transfer, s.struct_progress, p.struct_transfer_progress)) {
      conditions.notice(event_kind::struct_transfer_done, id + " finished its schema transfer");
    }
    if (reached_100(p.enable_full_transfer, s.full_progress, p.full_transfer_progress)) {
      conditions.notice(event_kind::full_transfer_done, id + " finished its full data transfer");
    }
  }
  if (!holding) end_failure_hold(s);

  s.seen = true;
  if (status_changed) s.status_since = now;
  s.status = p.status;
  s.current_step = p.current_step;
  if (!p.alarm_level.empty()) s.alarm_level = p.alarm_level;
  s.struct_progress = p.struct_transfer_progress;
  s.full_progress = p.full_transfer_progress;
  track_checkpoint(p.incr_sync_checkpoint, first_sight, status_changed, now, s.incr_checkpoint,
                   s.incr_seen_at, s.incr_advanced);
  track_checkpoint(p.reverse_incr_transfer_checkpoint, first_sight, status_changed, now,
                   s.reverse_checkpoint, s.reverse_seen_at, s.reverse_advanced);

  // Conditions.
  conditions.evaluate(
      event_kind::project_failed, Severity::critical, p.status == "FAILED" && !holding,
      [&] {
        Said said{failed_summary(id, failing, p.current_step),
                  {{"status", p.status}, {"step", p.current_step}}};
        if (failing) {
          said.details["failed_step"] = failing->name;
          said.details["error_code"] = failing->error.error_code;
          said.details["error_message"] = failing->error.error_msg;
        }
        if (held_since) {
          const auto held = duration_cast<Duration>(now - *held_since);
          said.details["failed_for_s"] = whole_seconds(held);
          said.summary += " (FAILED for " + human(held) + ": OMS did not retry it)";
        }
        return said;
      },
      [&] { return Said{id + " is no longer FAILED (now " + p.status + ")"}; });
  conditions.evaluate(
      event_kind::project_suspended, Severity::warning, p.status == "SUSPEND",
      [&] { return Said{id + " is suspended", {{"step", p.current_step}}}; },
      [&] { return Said{id + " is no longer suspended (now " + p.status + ")"}; });

  detail::ProgressFacts facts;
  facts.first_sight = first_sight;
  facts.running = is_running_status(p.status);
  facts.incr_armed = facts.running && p.enable_incr_sync.value_or(false) &&
                     p.incr_sync_checkpoint.present() &&
                     (s.incr_advanced || is_incremental_step(p.current_step));
  facts.oms_now = obs.server_time.value_or(now);

  if (facts.incr_armed) {
    auto frozen = duration_cast<Duration>(now - s.incr_seen_at);
    conditions.evaluate(
        event_kind::incr_stalled, Severity::critical, frozen >= t.stall_after,
        [&] {
          return Said{id + " incremental sync stalled: checkpoint " + s.incr_checkpoint +
                          " unchanged for " + human(frozen),
                      {{"checkpoint", s.incr_checkpoint}, {"unchanged_s", whole_seconds(frozen)}}};
        },
        [&] { return Said{id + " incremental sync advances again"}; });
    if (p.incr_sync_checkpoint.unix_seconds) {
      auto lag = duration_cast<Duration>(facts.oms_now -
                                         TimePoint(seconds(*p.incr_sync_checkpoint.unix_seconds)));
      facts.lag = lag;
      bool lagging = conditions.is_firing(event_kind::incr_lagging)
                         ? lag * 5 >= t.max_lag * 4  // clears below 80%
                         : lag > t.max_lag;
      conditions.evaluate(
          event_kind::incr_lagging, Severity::warning, lagging,
          [&] {
            return Said{
                id + " incremental sync lags " + human(lag) + " (over " + human(t.max_lag) + ")",
                {{"lag_s", whole_seconds(lag)}, {"max_lag_s", whole_seconds(t.max_lag)}}};
          },
          [&] { return Said{id + " incremental lag is back to " + human(lag)}; });
    }
  } else {
    // Not armed (left RUNNING, sync disabled, not yet in the incremental
    // phase): a stall or lag cannot hold.
    const auto not_running = [&] { return Said{id + " incremental sync is no longer running"}; };
    conditions.resolve_if_firing(event_kind::incr_stalled, not_running);
    conditions.resolve_if_firing(event_kind::incr_lagging, not_running);
  }
  detail::detect_falling_behind(id, obs, facts, t, conditions);

  const bool reverse_armed = facts.running && p.enable_reverse_incr_transfer.value_or(false) &&
                             p.reverse_incr_transfer_checkpoint.present() &&
                             (s.reverse_advanced || is_reverse_step(p.current_step));
  if (reverse_armed) {
    auto frozen = duration_cast<Duration>(now - s.reverse_seen_at);
    conditions.evaluate(
        event_kind::reverse_incr_stalled, Severity::warning, frozen >= t.stall_after,
        [&] {
          return Said{
              id + " reverse incremental sync stalled: checkpoint " + s.reverse_checkpoint +
                  " unchanged for " + human(frozen),
              {{"checkpoint", s.reverse_checkpoint}, {"unchanged_s", whole_seconds(frozen)}}};
        },
        [&] { return Said{id + " reverse incremental sync advances again"}; });
  } else {
    conditions.resolve_if_firing(event_kind::reverse_incr_stalled, [&] {
      return Said{id + " reverse incremental sync is no longer running"};
    });
  }

  detail::detect_full_transfer(s, id, obs, facts, t, conditions);
  detail::detect_verification(s, id, obs, conditions);
  detail::detect_cutover(s, id, facts, t, conditions);
  return result;
}

OmsDetection detect_oms(const OmsState& previous, const std::string& oms_name, bool ok,
                        const std::string& error, std::size_t watched_projects, TimePoint now,
                        const DetectThresholds& t) {
  OmsDetection result{previous, {}};
  OmsState& s = result.state;
  std::map<std::string, FiringCondition, std::less<>> firing;
  if (s.unreachable) firing.emplace(std::string(event_kind::oms_unreachable), *s.unreachable);
  Conditions conditions(firing, result.findings, now, t.repeat);

  if (ok) {
    s.failures_since_success = 0;
    conditions.resolve_if_firing(event_kind::oms_unreachable,
                                 [&] { return Said{"OMS " + oms_name + " answers again"}; });
  } else {
    ++s.failures_since_success;
    s.last_error = error;
    const std::int64_t needed =
        static_cast<std::int64_t>(t.unreachable_after) *
        static_cast<std::int64_t>(std::max<std::size_t>(1, watched_projects));
    if (s.failures_since_success >= needed || s.unreachable) {
      conditions.evaluate(
          event_kind::oms_unreachable, Severity::critical, true,
          [&] {
            return Said{"OMS " + oms_name + " unreachable: " + error,
                        {{"error", error}, {"failed_polls", s.failures_since_success}}};
          },
          [] { return Said{}; });
    }
  }
  auto it = firing.find(event_kind::oms_unreachable);
  s.unreachable = it == firing.end() ? std::nullopt : std::optional(it->second);
  return result;
}

}  // namespace omswatch::daemon
