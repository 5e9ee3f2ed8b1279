// Migration progress in rows: the outlook's JSON (written by the watcher,
// read by `status` and the API), the status columns of ETA, trend,
// throughput and verification, and the rows of step readings.

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "common/duration.h"
#include "common/json_text.h"
#include "daemon/rows.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace {

std::int64_t whole_seconds(Duration d) {
  return static_cast<std::int64_t>(std::llround(static_cast<double>(d.count()) / 1000.0));
}

std::optional<std::int64_t> int_member(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  if (v->is_double() && std::isfinite(v->as_double())) {
    return static_cast<std::int64_t>(std::llround(v->as_double()));
  }
  return std::nullopt;
}

std::optional<double> number_member(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

std::optional<std::string> string_member(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

std::string seconds_text(std::int64_t s) { return format_duration(std::chrono::seconds(s)); }

// One decimal, without a trailing ".0": 2.1, 3, 0.4.
std::string one_decimal(double v) {
  const double rounded = std::round(v * 10.0) / 10.0;
  if (rounded == std::round(rounded)) return std::to_string(static_cast<std::int64_t>(rounded));
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, rounded, std::chars_format::fixed, 1);
  return std::string(buf, end);
}

Cell number_cell(std::optional<double> v) {
  if (!v) return Cell{};
  return Cell::number(number_text(*v));
}

Cell text_or_null(const std::string& s) { return s.empty() ? Cell{} : Cell::of(s); }

template <class T>
Cell int_or_null(const std::optional<T>& v) {
  return v ? Cell::of(static_cast<std::int64_t>(*v)) : Cell{};
}

Cell time_cell(std::int64_t ms) {
  std::string text;
  append_rfc3339(text, ms);
  return Cell::of(std::move(text));
}

}  // namespace

std::string number_text(double value) {
  if (!std::isfinite(value)) return "0";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

std::string outlook_json(const Outlook& outlook) {
  std::string out = "{";
  if (outlook.eta) {
    const Eta& e = *outlook.eta;
    out += "\"eta\":{\"low_s\":" + std::to_string(whole_seconds(e.low)) +
           ",\"high_s\":" + std::to_string(whole_seconds(e.high)) + ",\"basis\":";
    append_json_string(out, to_string(e.basis));
    out += ",\"rate\":" + number_text(e.rate) + ",\"remaining\":" + std::to_string(e.remaining) +
           ",\"at\":" +
           std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(e.at.time_since_epoch())
                   .count()) +
           "}";
  }
  if (outlook.trend) {
    const Trend& t = *outlook.trend;
    if (out.size() > 1) out += ',';
    out += "\"trend\":{\"direction\":";
    append_json_string(out, to_string(t.direction));
    out += ",\"rate\":" + number_text(t.rate);
    if (t.to_zero) out += ",\"to_zero_s\":" + std::to_string(whole_seconds(*t.to_zero));
    if (t.to_max_lag) out += ",\"to_max_lag_s\":" + std::to_string(whole_seconds(*t.to_max_lag));
    out += ",\"lag_s\":" + std::to_string(whole_seconds(t.lag)) + "}";
  }
  out += '}';
  return out;
}

OutlookFigures parse_outlook_json(std::string_view json) {
  OutlookFigures figures;
  if (json.empty()) return figures;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return figures;
  const auto& root = v.as_object();
  if (const auto* eta = root.if_contains("eta"); eta && eta->is_object()) {
    const auto& o = eta->as_object();
    auto low = int_member(o, "low_s");
    auto high = int_member(o, "high_s");
    if (low && high) {
      OutlookFigures::EtaPart e;
      e.low_s = *low;
      e.high_s = *high;
      e.basis = string_member(o, "basis").value_or("");
      e.rate = number_member(o, "rate").value_or(0);
      e.remaining = int_member(o, "remaining").value_or(0);
      e.at = int_member(o, "at").value_or(0);
      figures.eta = std::move(e);
    }
  }
  if (const auto* trend = root.if_contains("trend"); trend && trend->is_object()) {
    const auto& o = trend->as_object();
    if (auto direction = string_member(o, "direction")) {
      OutlookFigures::TrendPart t;
      t.direction = std::move(*direction);
      t.rate = number_member(o, "rate").value_or(0);
      t.to_zero_s = int_member(o, "to_zero_s");
      t.to_max_lag_s = int_member(o, "to_max_lag_s");
      t.lag_s = int_member(o, "lag_s").value_or(0);
      figures.trend = std::move(t);
    }
  }
  return figures;
}

std::string trend_text(const OutlookFigures::TrendPart& t) {
  const std::string per_minute = one_decimal(std::abs(t.rate) * 60.0) + "s/min";
  if (t.direction == "catching_up") {
    std::string text = "catching up " + per_minute;
    if (t.to_zero_s) text += ", zero in " + seconds_text(*t.to_zero_s);
    return text;
  }
  if (t.direction == "falling_behind") {
    std::string text = "falling behind " + per_minute;
    if (t.to_max_lag_s) text += ", max_lag in " + seconds_text(*t.to_max_lag_s);
    return text;
  }
  return t.direction;
}

const std::vector<std::string>& progress_columns() {
  static const std::vector<std::string> columns = {"eta",
                                                   "eta_low_s",
                                                   "eta_high_s",
                                                   "eta_basis",
                                                   "eta_rate",
                                                   "eta_at",
                                                   "trend",
                                                   "trend_direction",
                                                   "trend_rate",
                                                   "trend_to_zero_s",
                                                   "trend_to_max_lag_s",
                                                   "processed",
                                                   "capacity",
                                                   "src_rps",
                                                   "dst_rps",
                                                   "dst_rps_ref",
                                                   "verify_finished",
                                                   "verify_differences"};
  return columns;
}

bool progress_column_in_table(std::size_t index) { return index == 0 || index == 6 || index == 17; }

void append_progress_cells(std::vector<Cell>& cells, const storage::ProjectStatus& s) {
  const OutlookFigures o = parse_outlook_json(s.outlook_json);
  if (o.eta) {
    cells.push_back(Cell::of(format_duration_range(o.eta->low_s, o.eta->high_s)));
    cells.push_back(Cell::of(o.eta->low_s));
    cells.push_back(Cell::of(o.eta->high_s));
    cells.push_back(text_or_null(o.eta->basis));
    cells.push_back(number_cell(o.eta->rate));
    cells.push_back(o.eta->at > 0 ? time_cell(o.eta->at) : Cell{});
  } else {
    cells.insert(cells.end(), 6, Cell{});
  }
  if (o.trend) {
    cells.push_back(Cell::of(trend_text(*o.trend)));
    cells.push_back(Cell::of(o.trend->direction));
    cells.push_back(number_cell(o.trend->rate));
    cells.push_back(Cell::of(o.trend->to_zero_s));
    cells.push_back(Cell::of(o.trend->to_max_lag_s));
  } else {
    cells.insert(cells.end(), 5, Cell{});
  }
  if (s.step) {
    cells.push_back(Cell::of(s.step->processed));
    cells.push_back(Cell::of(s.step->capacity));
    cells.push_back(Cell::of(s.step->src_rps));
    cells.push_back(Cell::of(s.step->dst_rps));
    cells.push_back(Cell::of(s.step->dst_rps_ref));
  } else {
    cells.insert(cells.end(), 5, Cell{});
  }
  if (s.verify) {
    cells.push_back(Cell::of(std::int64_t{s.verify->finished ? 1 : 0}));
    cells.push_back(Cell::of(s.verify->different_number));
  } else {
    cells.insert(cells.end(), 2, Cell{});
  }
}

Table step_table() {
  return {{"observed_at", "oms", "project_id", "step", "step_status", "progress", "processed",
           "capacity", "src_rps", "dst_rps", "src_rps_ref", "dst_rps_ref", "src_rt", "dst_rt",
           "eta", "eta_low_s", "eta_high_s", "eta_basis", "rate"},
          {},
          {2, 12, 13, 15, 16, 17, 18}};
}

std::vector<Cell> step_cells(const storage::ProjectStepSample& p) {
  const storage::StepSample& x = p.sample;
  Cell eta;
  if (x.eta_low_s && x.eta_high_s)
    eta = Cell::of(format_duration_range(*x.eta_low_s, *x.eta_high_s));
  return {time_cell(x.observed_at),
          Cell::of(p.oms),
          Cell::of(p.project_id),
          Cell::of(x.step),
          text_or_null(x.step_status),
          int_or_null(x.progress),
          Cell::of(x.processed),
          Cell::of(x.capacity),
          Cell::of(x.src_rps),
          Cell::of(x.dst_rps),
          Cell::of(x.src_rps_ref),
          Cell::of(x.dst_rps_ref),
          Cell::of(x.src_rt),
          Cell::of(x.dst_rt),
          eta,
          Cell::of(x.eta_low_s),
          Cell::of(x.eta_high_s),
          text_or_null(x.eta_basis),
          number_cell(x.rate)};
}

}  // namespace omswatch::daemon
