#pragma once
// The rows of `omswatch history` and `omswatch events`, and of the HTTP
// API's /api/v1/projects/{id}/history and /api/v1/events: one definition
// of their columns (name, order, type) and of how an absent value is
// written (JSON null; "-" in a table, an empty field in CSV), so that the
// CLI's --format json and the API serve the same objects. Described in
// docs/http-api.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/detect/outlook.h"
#include "daemon/table.h"

namespace omswatch::storage {
struct Sample;
struct EventWithDeliveries;
struct ProjectStatus;
struct ProjectStepSample;
struct OpenCondition;
}  // namespace omswatch::storage

namespace omswatch::daemon {

// A table with the columns of samples and no rows: observed_at, oms,
// project_id, outcome, status, step, alarm_level, struct_progress,
// full_progress, incr_checkpoint, incr_lag_s, reverse_checkpoint,
// reverse_lag_s, latency_ms, error.
Table sample_table();
// One sample's row, in sample_table()'s column order.
std::vector<Cell> sample_cells(const storage::Sample& s);

// A table with the columns of events and no rows: observed_at, oms,
// project_id, kind, state, severity, alarm_level, summary, deliveries (an
// array of {receiver, status, attempts, last_error, delivered_at};
// "receiver:status, ..." in tables and CSV, "-" in a table when empty), id,
// details (an object, {} when there is none; left out of tables, compact
// JSON in CSV).
Table event_table();
// One event's row, in event_table()'s column order.
std::vector<Cell> event_cells(const storage::EventWithDeliveries& e);

// GET /api/v1/conditions: a table with the columns of open conditions and no
// rows: oms, project_id (null for a condition of an OMS as a whole), kind,
// severity, alarm_level, since (its first firing since it last resolved),
// last_fired_at, summary, event_id (its latest firing event).
Table condition_table();
std::vector<Cell> condition_cells(const storage::OpenCondition& c);

// --- migration progress (rows_progress.cpp)

// The outlook as the store keeps it (ObservationWrite::outlook_json) and
// `status` and /api/v1/projects read it: a JSON object with at most two
// members, each absent when unknown (docs/schema.md, "The outlook object"):
//   "eta": {"low_s", "high_s" (whole seconds), "basis" ("records" or
//           "percent"), "rate" (per second), "remaining", "at" (Unix ms)}
//   "trend": {"direction" ("catching_up", "falling_behind", "steady"),
//             "rate" (seconds of lag per second), "to_zero_s" and
//             "to_max_lag_s" (whole seconds, each only when known),
//             "lag_s"}
// An outlook with neither is "{}".
std::string outlook_json(const Outlook& outlook);

// The outlook read back from its JSON; members that are missing or of the
// wrong type leave their part absent (a malformed text gives neither).
struct OutlookFigures {
  struct EtaPart {
    std::int64_t low_s = 0, high_s = 0;
    std::string basis;
    double rate = 0;
    std::int64_t remaining = 0;
    std::int64_t at = 0;
  };
  struct TrendPart {
    std::string direction;
    double rate = 0;
    std::optional<std::int64_t> to_zero_s, to_max_lag_s;
    std::int64_t lag_s = 0;
  };
  std::optional<EtaPart> eta;
  std::optional<TrendPart> trend;
};
OutlookFigures parse_outlook_json(std::string_view json);

// "catching up 2.1s/min, zero in 14m", "falling behind 3s/min, max_lag in
// 9m", "steady".
std::string trend_text(const OutlookFigures::TrendPart& trend);
// A number as JSON writes it: the shortest text that reads back the same.
std::string number_text(double value);

// The columns `omswatch status` (and /api/v1/projects) add for migration
// progress, after the others: eta (the range as text), eta_low_s,
// eta_high_s, eta_basis, eta_rate, eta_at, trend (as text),
// trend_direction, trend_rate, trend_to_zero_s, trend_to_max_lag_s,
// processed, capacity, src_rps, dst_rps, dst_rps_ref, verify_finished (0 or
// 1), verify_differences. Null when unknown.
const std::vector<std::string>& progress_columns();
// Of those, the ones an aligned table shows: eta, trend, verify_differences.
bool progress_column_in_table(std::size_t index);
void append_progress_cells(std::vector<Cell>& cells, const storage::ProjectStatus& status);

// `omswatch history ID --steps` and /api/v1/projects/{id}/steps: a table with
// the columns of step readings and no rows: observed_at, oms, project_id,
// step, step_status, progress, processed, capacity, src_rps, dst_rps,
// src_rps_ref, dst_rps_ref, src_rt, dst_rt, eta (the range as text),
// eta_low_s, eta_high_s, eta_basis, rate.
Table step_table();
std::vector<Cell> step_cells(const storage::ProjectStepSample& s);

}  // namespace omswatch::daemon
