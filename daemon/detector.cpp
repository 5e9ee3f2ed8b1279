#include "daemon/detector.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <charconv>

#include "config/duration.h"
#include "daemon/json_text.h"

namespace omswatch::daemon {
namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string or_none(const std::string& s) { return s.empty() ? std::string("(none)") : s; }

constexpr std::string_view kProjectFailed = "project_failed";
constexpr std::string_view kProjectSuspended = "project_suspended";
constexpr std::string_view kIncrStalled = "incr_stalled";
constexpr std::string_view kIncrLagging = "incr_lagging";
constexpr std::string_view kReverseIncrStalled = "reverse_incr_stalled";
constexpr std::string_view kProjectUnavailable = "project_unavailable";
constexpr std::string_view kOmsUnreachable = "oms_unreachable";

std::string human(Duration d) { return config::format_duration(d); }

std::int64_t whole_seconds(Duration d) { return duration_cast<seconds>(d).count(); }

// Emits and tracks firing / repeat / resolved for conditions of one subject.
class Conditions {
 public:
  Conditions(std::map<std::string, FiringCondition, std::less<>>& firing, std::vector<Finding>& out,
             TimePoint now, Duration repeat)
      : firing_(firing), out_(out), now_(now), repeat_(repeat) {}

  bool is_firing(std::string_view kind) const { return firing_.find(kind) != firing_.end(); }

  // `holds`: the condition's rule is true now. `summary`/`details` describe it
  // for a firing or a repeat; `resolved_summary` for the resolution.
  void evaluate(std::string_view kind, Severity severity, bool holds, const std::string& summary,
                json::object details, const std::string& resolved_summary) {
    auto it = firing_.find(kind);
    if (holds) {
      if (it == firing_.end()) {
        firing_.emplace(std::string(kind), FiringCondition{now_, now_, 0, severity});
        out_.push_back({std::string(kind), "firing", severity, summary, std::move(details)});
      } else if (now_ - it->second.last_sent >= repeat_) {
        it->second.last_sent = now_;
        ++it->second.repeats;
        details["repeat"] = it->second.repeats;
        details["firing_for_s"] = whole_seconds(duration_cast<Duration>(now_ - it->second.since));
        out_.push_back({std::string(kind), "firing", it->second.severity,
                        summary + " (still, for " +
                            human(duration_cast<Duration>(now_ - it->second.since)) + ")",
                        std::move(details)});
      }
    } else if (it != firing_.end()) {
      resolve(it, resolved_summary, std::move(details));
    }
  }

  // Resolves `kind` if it is firing (used where the rule cannot be evaluated
  // and the condition is known to be over, e.g. a project that left RUNNING).
  void resolve_if_firing(std::string_view kind, const std::string& resolved_summary) {
    auto it = firing_.find(kind);
    if (it != firing_.end()) resolve(it, resolved_summary, {});
  }

 private:
  void resolve(std::map<std::string, FiringCondition, std::less<>>::iterator it,
               const std::string& resolved_summary, json::object details) {
    auto lasted = duration_cast<Duration>(now_ - it->second.since);
    details["duration_s"] = whole_seconds(lasted);
    out_.push_back({it->first, "resolved", it->second.severity,
                    resolved_summary + " after " + human(lasted), std::move(details)});
    firing_.erase(it);
  }

  std::map<std::string, FiringCondition, std::less<>>& firing_;
  std::vector<Finding>& out_;
  TimePoint now_;
  Duration repeat_;
};

bool reached_100(const std::optional<bool>& enabled, const std::optional<int>& before,
                 const std::optional<int>& after) {
  if (enabled.has_value() && !*enabled) return false;
  return after.value_or(0) >= 100 && before.value_or(0) < 100;
}

std::string failed_summary(const std::string& id, const Observation& obs) {
  std::string s = id + " FAILED";
  const std::string& step = obs.failed_step && !obs.failed_step->name.empty()
                                ? obs.failed_step->name
                                : obs.progress.current_step;
  if (!step.empty()) s += " in " + step;
  if (obs.failed_step) {
    const auto& e = obs.failed_step->error;
    // OMS messages often repeat the code ("ORA-01555: snapshot too old").
    std::string why = e.error_msg.starts_with(e.error_code) ? e.error_msg : e.error_code;
    if (!e.error_msg.empty() && why != e.error_msg) why += (why.empty() ? "" : " ") + e.error_msg;
    if (!why.empty()) s += ": " + why;
  }
  return s;
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
    // No reply is no evidence about the project: nothing raised, nothing resolved.
    return result;
  }

  if (obs.outcome == Observation::Outcome::unavailable) {
    ++s.unavailable_streak;
    json::object details{{"error", obs.error}, {"consecutive", s.unavailable_streak}};
    conditions.evaluate(kProjectUnavailable, Severity::warning,
                        s.unavailable_streak >= t.unavailable_after,
                        id + " unavailable: " + obs.error, std::move(details), "");
    return result;
  }

  const oms::ProjectProgress& p = obs.progress;
  const bool first_sight = !s.seen;
  s.unavailable_streak = 0;
  conditions.evaluate(kProjectUnavailable, Severity::warning, false, "", {},
                      id + " is available again");

  // Notices: changes since the last observation. The first sight is the baseline.
  const bool status_changed = first_sight || p.status != s.status;
  if (!first_sight) {
    if (p.status != s.status) {
      out.push_back({"status_changed",
                     "notice",
                     Severity::info,
                     id + " status " + or_none(s.status) + " -> " + or_none(p.status),
                     {{"from", s.status}, {"to", p.status}}});
    }
    if (p.current_step != s.current_step) {
      out.push_back({"step_changed",
                     "notice",
                     Severity::info,
                     id + " step " + or_none(s.current_step) + " -> " + or_none(p.current_step),
                     {{"from", s.current_step}, {"to", p.current_step}}});
    }
    if (!p.alarm_level.empty() && p.alarm_level != s.alarm_level) {
      out.push_back({"alarm_level_changed",
                     "notice",
                     Severity::info,
                     id + " alarm level " + or_none(s.alarm_level) + " -> " + p.alarm_level,
                     {{"from", s.alarm_level}, {"to", p.alarm_level}}});
    }
    if (reached_100(p.enable_struct_transfer, s.struct_progress, p.struct_transfer_progress)) {
      out.push_back({"struct_transfer_done",
                     "notice",
                     Severity::info,
                     id + " finished its schema transfer",
                     {}});
    }
    if (reached_100(p.enable_full_transfer, s.full_progress, p.full_transfer_progress)) {
      out.push_back({"full_transfer_done",
                     "notice",
                     Severity::info,
                     id + " finished its full data transfer",
                     {}});
    }
  }

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
  {
    json::object details{{"status", p.status}, {"step", p.current_step}};
    if (obs.failed_step) {
      details["failed_step"] = obs.failed_step->name;
      details["error_code"] = obs.failed_step->error.error_code;
      details["error_message"] = obs.failed_step->error.error_msg;
    }
    conditions.evaluate(kProjectFailed, Severity::critical, p.status == "FAILED",
                        failed_summary(id, obs), std::move(details),
                        id + " is no longer FAILED (now " + p.status + ")");
  }
  conditions.evaluate(kProjectSuspended, Severity::warning, p.status == "SUSPEND",
                      id + " is suspended", {{"step", p.current_step}},
                      id + " is no longer suspended (now " + p.status + ")");

  const bool running = is_running_status(p.status);
  const bool incr_armed = running && p.enable_incr_sync.value_or(false) &&
                          p.incr_sync_checkpoint.present() &&
                          (s.incr_advanced || is_incremental_step(p.current_step));
  const TimePoint oms_now = obs.server_time.value_or(now);

  if (incr_armed) {
    auto frozen = duration_cast<Duration>(now - s.incr_seen_at);
    conditions.evaluate(kIncrStalled, Severity::critical, frozen >= t.stall_after,
                        id + " incremental sync stalled: checkpoint " + s.incr_checkpoint +
                            " unchanged for " + human(frozen),
                        {{"checkpoint", s.incr_checkpoint}, {"unchanged_s", whole_seconds(frozen)}},
                        id + " incremental sync advances again");
    if (p.incr_sync_checkpoint.unix_seconds) {
      auto lag = duration_cast<Duration>(oms_now -
                                         TimePoint(seconds(*p.incr_sync_checkpoint.unix_seconds)));
      bool lagging = conditions.is_firing(kIncrLagging)
                         ? lag * 5 >= t.max_lag * 4  // clears below 80%
                         : lag > t.max_lag;
      conditions.evaluate(
          kIncrLagging, Severity::warning, lagging,
          id + " incremental sync lags " + human(lag) + " (over " + human(t.max_lag) + ")",
          {{"lag_s", whole_seconds(lag)}, {"max_lag_s", whole_seconds(t.max_lag)}},
          id + " incremental lag is back to " + human(lag));
    }
  } else {
    // Not armed (left RUNNING, sync disabled, not yet in the incremental
    // phase): a stall or lag cannot hold.
    conditions.resolve_if_firing(kIncrStalled, id + " incremental sync is no longer running");
    conditions.resolve_if_firing(kIncrLagging, id + " incremental sync is no longer running");
  }

  const bool reverse_armed = running && p.enable_reverse_incr_transfer.value_or(false) &&
                             p.reverse_incr_transfer_checkpoint.present() &&
                             (s.reverse_advanced || is_reverse_step(p.current_step));
  if (reverse_armed) {
    auto frozen = duration_cast<Duration>(now - s.reverse_seen_at);
    conditions.evaluate(
        kReverseIncrStalled, Severity::warning, frozen >= t.stall_after,
        id + " reverse incremental sync stalled: checkpoint " + s.reverse_checkpoint +
            " unchanged for " + human(frozen),
        {{"checkpoint", s.reverse_checkpoint}, {"unchanged_s", whole_seconds(frozen)}},
        id + " reverse incremental sync advances again");
  } else {
    conditions.resolve_if_firing(kReverseIncrStalled,
                                 id + " reverse incremental sync is no longer running");
  }
  return result;
}

OmsDetection detect_oms(const OmsState& previous, const std::string& oms_name, bool ok,
                        const std::string& error, std::size_t watched_projects, TimePoint now,
                        const DetectThresholds& t) {
  OmsDetection result{previous, {}};
  OmsState& s = result.state;
  std::map<std::string, FiringCondition, std::less<>> firing;
  if (s.unreachable) firing.emplace(std::string(kOmsUnreachable), *s.unreachable);
  Conditions conditions(firing, result.findings, now, t.repeat);

  if (ok) {
    s.failures_since_success = 0;
    conditions.evaluate(kOmsUnreachable, Severity::critical, false, "", {},
                        "OMS " + oms_name + " answers again");
  } else {
    ++s.failures_since_success;
    s.last_error = error;
    const std::int64_t needed =
        static_cast<std::int64_t>(t.unreachable_after) *
        static_cast<std::int64_t>(std::max<std::size_t>(1, watched_projects));
    if (s.failures_since_success >= needed || s.unreachable) {
      conditions.evaluate(kOmsUnreachable, Severity::critical, true,
                          "OMS " + oms_name + " unreachable: " + error,
                          {{"error", error}, {"failed_polls", s.failures_since_success}}, "");
    }
  }
  auto it = firing.find(kOmsUnreachable);
  s.unreachable = it == firing.end() ? std::nullopt : std::optional(it->second);
  return result;
}

// --- persistence

namespace {

std::int64_t ms(TimePoint t) { return duration_cast<milliseconds>(t.time_since_epoch()).count(); }
TimePoint at_ms(std::int64_t v) { return TimePoint(milliseconds(v)); }

FiringCondition condition_from_json(const json::object& o) {
  FiringCondition c;
  if (auto* v = o.if_contains("since"); v && v->is_int64()) c.since = at_ms(v->as_int64());
  if (auto* v = o.if_contains("last_sent"); v && v->is_int64()) c.last_sent = at_ms(v->as_int64());
  if (auto* v = o.if_contains("repeats"); v && v->is_int64())
    c.repeats = static_cast<int>(v->as_int64());
  if (auto* v = o.if_contains("severity"); v && v->is_string()) {
    c.severity = parse_severity(std::string_view(v->as_string())).value_or(Severity::warning);
  }
  return c;
}

std::string get_string(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::int64_t get_int(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}
std::optional<int> get_optional_int(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_int64()) return static_cast<int>(v->as_int64());
  return std::nullopt;
}
bool get_bool(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

Expected<json::object> parse_object(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(std::string(what) + " is not a JSON object");
  return std::move(v.as_object());
}

}  // namespace

namespace {

// The detector's state is written on every poll: written directly, it costs
// a fifth of building a json::object and serializing it, and reads the same.
class StateWriter {
 public:
  StateWriter() { out_.reserve(512); }
  void open() {
    out_ += '{';
    first_ = true;
  }
  void close() {
    out_ += '}';
    first_ = false;
  }
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;  // keys are this file's literals: nothing to escape
    out_ += "\":";
  }
  void key_escaped(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    string(k);
    out_ += ':';
  }
  void field(std::string_view k, std::string_view v) {
    key(k);
    string(v);
  }
  void field(std::string_view k, std::int64_t v) {
    key(k);
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
  }
  void field_bool(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void string(std::string_view v) { append_json_string(out_, v); }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  bool first_ = true;
};

void write_condition(StateWriter& w, const FiringCondition& c) {
  w.open();
  w.field("since", ms(c.since));
  w.field("last_sent", ms(c.last_sent));
  w.field("repeats", static_cast<std::int64_t>(c.repeats));
  w.field("severity", to_string(c.severity));
  w.close();
}

}  // namespace

std::string to_json(const ProjectState& s) {
  StateWriter w;
  w.open();
  w.field("v", std::int64_t{1});
  w.field_bool("seen", s.seen);
  w.field("status", s.status);
  w.field("step", s.current_step);
  w.field("alarm_level", s.alarm_level);
  w.field("status_since", ms(s.status_since));
  w.field("incr_checkpoint", s.incr_checkpoint);
  w.field("incr_seen_at", ms(s.incr_seen_at));
  w.field_bool("incr_advanced", s.incr_advanced);
  w.field("reverse_checkpoint", s.reverse_checkpoint);
  w.field("reverse_seen_at", ms(s.reverse_seen_at));
  w.field_bool("reverse_advanced", s.reverse_advanced);
  w.field("unavailable_streak", static_cast<std::int64_t>(s.unavailable_streak));
  if (s.struct_progress) w.field("struct_progress", static_cast<std::int64_t>(*s.struct_progress));
  if (s.full_progress) w.field("full_progress", static_cast<std::int64_t>(*s.full_progress));
  w.key("firing");
  w.open();
  for (const auto& [kind, c] : s.firing) {
    w.key_escaped(kind);
    write_condition(w, c);
  }
  w.close();
  w.close();
  return w.take();
}

Expected<ProjectState> project_state_from_json(std::string_view text) {
  auto parsed = parse_object(text, "project state");
  if (!parsed) return Error{parsed.error()};
  const json::object& o = *parsed;
  ProjectState s;
  s.seen = get_bool(o, "seen");
  s.status = get_string(o, "status");
  s.current_step = get_string(o, "step");
  s.alarm_level = get_string(o, "alarm_level");
  s.status_since = at_ms(get_int(o, "status_since"));
  s.struct_progress = get_optional_int(o, "struct_progress");
  s.full_progress = get_optional_int(o, "full_progress");
  s.incr_checkpoint = get_string(o, "incr_checkpoint");
  s.incr_seen_at = at_ms(get_int(o, "incr_seen_at"));
  s.incr_advanced = get_bool(o, "incr_advanced");
  s.reverse_checkpoint = get_string(o, "reverse_checkpoint");
  s.reverse_seen_at = at_ms(get_int(o, "reverse_seen_at"));
  s.reverse_advanced = get_bool(o, "reverse_advanced");
  s.unavailable_streak = static_cast<int>(get_int(o, "unavailable_streak"));
  if (auto* f = o.if_contains("firing"); f && f->is_object()) {
    for (const auto& [kind, c] : f->as_object()) {
      if (c.is_object()) s.firing[std::string(kind)] = condition_from_json(c.as_object());
    }
  }
  return s;
}

std::string to_json(const OmsState& s) {
  StateWriter w;
  w.open();
  w.field("v", std::int64_t{1});
  w.field("failures_since_success", s.failures_since_success);
  w.field("last_error", s.last_error);
  if (s.unreachable) {
    w.key("unreachable");
    write_condition(w, *s.unreachable);
  }
  w.close();
  return w.take();
}

Expected<OmsState> oms_state_from_json(std::string_view text) {
  auto parsed = parse_object(text, "OMS state");
  if (!parsed) return Error{parsed.error()};
  const json::object& o = *parsed;
  OmsState s;
  s.failures_since_success = get_int(o, "failures_since_success");
  s.last_error = get_string(o, "last_error");
  if (auto* u = o.if_contains("unreachable"); u && u->is_object()) {
    s.unreachable = condition_from_json(u->as_object());
  }
  return s;
}

json::object progress_to_json(const oms::ProjectProgress& p) {
  json::object o;
  o["projectId"] = p.project_id;
  o["status"] = p.status;
  o["alarmLevel"] = p.alarm_level;
  o["currentStep"] = p.current_step;
  auto opt_bool = [&](std::string_view k, const std::optional<bool>& v) {
    o[k] = v ? json::value(*v) : json::value(nullptr);
  };
  auto opt_int = [&](std::string_view k, const std::optional<int>& v) {
    o[k] = v ? json::value(*v) : json::value(nullptr);
  };
  auto checkpoint = [&](std::string_view k, const oms::Checkpoint& c) {
    if (c.unix_seconds) {
      o[k] = *c.unix_seconds;
    } else if (c.present()) {
      o[k] = c.raw;
    } else {
      o[k] = nullptr;
    }
  };
  opt_bool("enableIncrSync", p.enable_incr_sync);
  checkpoint("incrSyncCheckpoint", p.incr_sync_checkpoint);
  opt_bool("enableStructTransfer", p.enable_struct_transfer);
  opt_bool("enableFullTransfer", p.enable_full_transfer);
  opt_int("structTransferProgress", p.struct_transfer_progress);
  opt_int("fullTransferProgress", p.full_transfer_progress);
  opt_bool("enableReverseIncrTransfer", p.enable_reverse_incr_transfer);
  checkpoint("reverseIncrTransferCheckpoint", p.reverse_incr_transfer_checkpoint);
  return o;
}

}  // namespace omswatch::daemon
