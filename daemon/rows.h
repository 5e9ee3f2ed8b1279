#pragma once
// The rows of `omswatch history` and `omswatch events`, and of the HTTP
// API's /api/v1/projects/{id}/history and /api/v1/events: one definition
// of their columns (name, order, type) and of how an absent value is
// written (JSON null; "-" in a table, an empty field in CSV), so that the
// CLI's --format json and the API serve the same objects. Described in
// docs/http-api.md.

#include "daemon/table.h"

namespace omswatch::storage {
struct Sample;
struct EventWithDeliveries;
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

}  // namespace omswatch::daemon
