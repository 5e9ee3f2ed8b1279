#include "daemon/rows.h"

#include <boost/json.hpp>

#include "common/json_text.h"
#include "common/time.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace {

Cell time_cell(storage::TimeMs ms) {
  std::string text;
  append_rfc3339(text, ms);
  return Cell::of(std::move(text));
}

Cell text_or_null(const std::string& s) { return s.empty() ? Cell{} : Cell::of(s); }

template <class T>
Cell int_or_null(const std::optional<T>& v) {
  return v ? Cell::of(static_cast<std::int64_t>(*v)) : Cell{};
}

// The stored details object; the text itself if it is not one (never
// expected: written by omswatch), {} when there is none.
Cell details_cell(const std::string& text) {
  if (text.empty()) return Cell::json("{}", "{}");
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return Cell::of(text);
  std::string compact = boost::json::serialize(v);
  return Cell::json(compact, compact);
}

Cell deliveries_cell(const std::vector<storage::EventWithDeliveries::Delivery>& deliveries) {
  std::string json = "[";
  std::string shown;
  for (const auto& d : deliveries) {
    if (json.size() > 1) json += ',';
    json += "{\"receiver\":";
    append_json_string(json, d.receiver);
    json += ",\"status\":";
    append_json_string(json, d.status);
    json += ",\"attempts\":" + std::to_string(d.attempts) + ",\"last_error\":";
    if (d.last_error.empty()) {
      json += "null";
    } else {
      append_json_string(json, d.last_error);
    }
    json += ",\"delivered_at\":";
    if (d.delivered_at) {
      json += '"';
      append_rfc3339(json, *d.delivered_at);
      json += '"';
    } else {
      json += "null";
    }
    json += '}';
    if (!shown.empty()) shown += ", ";
    shown += d.receiver + ":" + d.status;
  }
  json += ']';
  return Cell::json(std::move(json), std::move(shown));
}

}  // namespace

Table sample_table() {
  return {{"observed_at", "oms", "project_id", "outcome", "status", "step", "alarm_level",
           "struct_progress", "full_progress", "incr_checkpoint", "incr_lag_s",
           "reverse_checkpoint", "reverse_lag_s", "latency_ms", "error"},
          {},
          {}};
}

std::vector<Cell> sample_cells(const storage::Sample& s) {
  return {time_cell(s.observed_at),     Cell::of(s.oms),
          Cell::of(s.project_id),       Cell::of(s.outcome),
          text_or_null(s.status),       text_or_null(s.current_step),
          text_or_null(s.alarm_level),  int_or_null(s.struct_progress),
          int_or_null(s.full_progress), text_or_null(s.incr_checkpoint),
          int_or_null(s.incr_lag_s),    text_or_null(s.reverse_checkpoint),
          int_or_null(s.reverse_lag_s), Cell::of(s.latency_us / 1000),
          text_or_null(s.error)};
}

Table event_table() {
  return {{"observed_at", "oms", "project_id", "kind", "state", "severity", "alarm_level",
           "summary", "deliveries", "id", "details"},
          {},
          {10}};
}

std::vector<Cell> event_cells(const storage::EventWithDeliveries& e) {
  const storage::EventRecord& r = e.event;
  return {time_cell(r.observed_at),
          Cell::of(r.oms),
          text_or_null(r.project_id),
          Cell::of(r.kind),
          Cell::of(r.state),
          Cell::of(r.severity),
          text_or_null(r.alarm_level),
          Cell::of(r.summary),
          deliveries_cell(e.deliveries),
          Cell::of(r.id),
          details_cell(r.details_json)};
}

Table condition_table() {
  return {{"oms", "project_id", "kind", "severity", "alarm_level", "since", "last_fired_at",
           "summary", "event_id"},
          {},
          {}};
}

std::vector<Cell> condition_cells(const storage::OpenCondition& c) {
  const storage::EventRecord& r = c.event;
  return {Cell::of(r.oms),         text_or_null(r.project_id), Cell::of(r.kind),
          Cell::of(r.severity),    text_or_null(r.alarm_level), time_cell(c.since),
          time_cell(r.observed_at), Cell::of(r.summary),        Cell::of(r.id)};
}

}  // namespace omswatch::daemon
