#include "daemon/detect/state_json.h"

#include <boost/json.hpp>
#include <charconv>

#include "common/json_text.h"

namespace omswatch::daemon {
namespace json = boost::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

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
  void open_array() {
    out_ += '[';
    first_ = true;
  }
  void close_array() {
    out_ += ']';
    first_ = false;
  }
  // Separates the elements of an array.
  void element() {
    if (!first_) out_ += ',';
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

// Migration progress: written only when set, so that the state of a project
// without it stays as short as before.
void write_migration(StateWriter& w, const ProjectState& s) {
  auto opt_int = [&](std::string_view k, const std::optional<std::int64_t>& v) {
    if (v) w.field(k, *v);
  };
  auto opt_time = [&](std::string_view k, const std::optional<TimePoint>& v) {
    if (v) w.field(k, ms(*v));
  };
  auto text = [&](std::string_view k, const std::string& v) {
    if (!v.empty()) w.field(k, v);
  };
  if (!s.transfer_step.empty()) {
    w.field("transfer_step", s.transfer_step);
    w.field("transfer_seen_at", ms(s.transfer_seen_at));
  }
  opt_time("transfer_start", s.transfer_start);
  opt_int("transfer_dst_rps", s.transfer_dst_rps);
  opt_int("transfer_dst_rps_ref", s.transfer_dst_rps_ref);
  opt_int("transfer_processed", s.transfer_processed);
  opt_int("transfer_capacity", s.transfer_capacity);
  opt_time("slow_since", s.slow_since);
  if (s.verify_seen) w.field_bool("verify_seen", true);
  if (s.verify_finished) w.field_bool("verify_finished", true);
  if (s.verify_differences != 0) w.field("verify_differences", s.verify_differences);
  if (s.verify_tables_differing != 0) {
    w.field("verify_tables_differing", s.verify_tables_differing);
  }
  if (!s.verify_worst.empty()) {
    w.key("verify_worst");
    w.open_array();
    for (const auto& t : s.verify_worst) {
      w.element();
      w.open();
      w.field("table", t.table);
      w.field("source_only", t.source_only);
      w.field("dest_only", t.dest_only);
      w.field("mismatched", t.mismatched);
      w.close();
    }
    w.close_array();
  }
  opt_time("ready_since", s.ready_since);
  if (s.ready_announced) w.field_bool("ready_announced", true);
  opt_time("creating_since", s.creating_since);
  opt_time("failed_since", s.failed_since);
  text("failed_from", s.failed_from);
  text("failed_step", s.failed_step);
  text("failed_error_code", s.failed_error_code);
  text("failed_error_msg", s.failed_error_msg);
}

std::optional<std::int64_t> get_optional_int64(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  return std::nullopt;
}
std::optional<TimePoint> get_optional_time(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v && v->is_int64()) return at_ms(v->as_int64());
  return std::nullopt;
}

void read_migration(const json::object& o, ProjectState& s) {
  s.transfer_step = get_string(o, "transfer_step");
  s.transfer_seen_at = at_ms(get_int(o, "transfer_seen_at"));
  s.transfer_start = get_optional_time(o, "transfer_start");
  s.transfer_dst_rps = get_optional_int64(o, "transfer_dst_rps");
  s.transfer_dst_rps_ref = get_optional_int64(o, "transfer_dst_rps_ref");
  s.transfer_processed = get_optional_int64(o, "transfer_processed");
  s.transfer_capacity = get_optional_int64(o, "transfer_capacity");
  s.slow_since = get_optional_time(o, "slow_since");
  s.verify_seen = get_bool(o, "verify_seen");
  s.verify_finished = get_bool(o, "verify_finished");
  s.verify_differences = get_int(o, "verify_differences");
  s.verify_tables_differing = get_int(o, "verify_tables_differing");
  if (auto* a = o.if_contains("verify_worst"); a && a->is_array()) {
    for (const auto& item : a->as_array()) {
      if (!item.is_object()) continue;
      const json::object& t = item.as_object();
      s.verify_worst.push_back({get_string(t, "table"), get_int(t, "source_only"),
                                get_int(t, "dest_only"), get_int(t, "mismatched")});
    }
  }
  s.ready_since = get_optional_time(o, "ready_since");
  s.ready_announced = get_bool(o, "ready_announced");
  s.creating_since = get_optional_time(o, "creating_since");
  s.failed_since = get_optional_time(o, "failed_since");
  s.failed_from = get_string(o, "failed_from");
  s.failed_step = get_string(o, "failed_step");
  s.failed_error_code = get_string(o, "failed_error_code");
  s.failed_error_msg = get_string(o, "failed_error_msg");
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
  write_migration(w, s);
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
  read_migration(o, s);
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

boost::json::array worst_tables_json(const std::vector<VerifyWorst>& worst) {
  boost::json::array out;
  for (const auto& t : worst) {
    out.push_back(boost::json::object{{"table", t.table},
                                      {"source_only", t.source_only},
                                      {"dest_only", t.dest_only},
                                      {"mismatched", t.mismatched}});
  }
  return out;
}

}  // namespace omswatch::daemon
