#pragma once
// Builders for storage tests: realistic samples, events and writes, and a
// Store that is known to be open.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/support/expected_value.h"

namespace omswatch::storage::testing {

// The value of a read that must succeed (throws with the error otherwise).
using omswatch::testing::value_of;

// 2026-11-29T04:00:00Z: a fixed instant, so tests never read the clock.
inline constexpr TimeMs kT0 = 1'795'924'800'000;
inline constexpr TimeMs kSecond = 1000;
inline constexpr TimeMs kMinute = 60 * kSecond;
inline constexpr TimeMs kHour = 60 * kMinute;

inline std::unique_ptr<Store> open_store(const std::string& path,
                                         OpenMode mode = OpenMode::read_write) {
  auto store = Store::open(path, mode);
  if (!store) throw std::runtime_error("cannot open the test store: " + store.error());
  return std::move(*store);
}

// A raw connection, for looking underneath the Store.
inline sqlite::Database open_raw(const std::string& path, int flags = sqlite::kOpenReadWrite) {
  auto db = sqlite::Database::open(path, flags);
  if (!db) throw std::runtime_error(db.error());
  db->set_busy_timeout(std::chrono::seconds(5));
  return std::move(*db);
}

inline std::int64_t count_rows(sqlite::Database& db, const std::string& table) {
  sqlite::Statement st(db, "SELECT count(*) FROM " + table);
  st.step();
  return st.column_int64(0);
}

inline Sample ok_sample(const std::string& project_id, TimeMs at, std::int64_t lag_s = 5,
                        const std::string& oms = "prod") {
  Sample s;
  s.oms = oms;
  s.project_id = project_id;
  s.observed_at = at;
  s.outcome = "ok";
  s.status = "RUNNING";
  s.alarm_level = "HIGH";
  s.current_step = "INCR_TRANSFER";
  s.struct_progress = 100;
  s.full_progress = 100;
  s.incr_checkpoint = std::to_string(at / 1000 - lag_s);
  s.incr_lag_s = lag_s;
  s.latency_us = 1800;
  return s;
}

inline Sample failed_sample(const std::string& project_id, TimeMs at,
                            const std::string& oms = "prod") {
  Sample s;
  s.oms = oms;
  s.project_id = project_id;
  s.observed_at = at;
  s.outcome = "error";
  s.error = "connect: connection refused";
  s.latency_us = 250;
  return s;
}

inline EventRecord make_event(const std::string& id, const std::string& project_id,
                              const std::string& kind, const std::string& state,
                              const std::string& severity, TimeMs at,
                              const std::string& oms = "prod") {
  EventRecord e;
  e.id = id;
  e.oms = oms;
  e.project_id = project_id;
  e.kind = kind;
  e.state = state;
  e.severity = severity;
  e.alarm_level = "HIGH";
  e.summary = (project_id.empty() ? oms : project_id) + " " + kind + " " + state;
  e.details_json = R"({"from":"RUNNING","to":"FAILED"})";
  e.progress_json = R"({"status":"FAILED"})";
  e.observed_at = at;
  return e;
}

// One poll's write: the sample, the project's state, and each event routed to
// every receiver in `receivers`.
inline ObservationWrite poll_write(Sample sample, std::vector<EventRecord> events = {},
                                   std::vector<std::string> receivers = {}) {
  ObservationWrite w;
  w.oms = sample.oms;
  w.project_id = sample.project_id;
  w.now = sample.observed_at;
  w.project_state_json = R"({"status":")" + sample.status + R"("})";
  for (const auto& e : events) {
    for (const auto& r : receivers) w.deliveries.push_back({e.id, r});
  }
  w.events = std::move(events);
  w.sample = std::move(sample);
  return w;
}

// A full transfer's step reading: `processed` of 1,000,000 rows, with
// throughput against its baseline and an ETA of 25 to 31 minutes.
inline StepSample transfer_step(TimeMs at, std::int64_t processed = 400'000) {
  StepSample x;
  x.observed_at = at;
  x.step = "FULL_TRANSFER";
  x.step_status = "RUNNING";
  x.progress = static_cast<int>(processed / 10'000);
  x.processed = processed;
  x.capacity = 1'000'000;
  x.src_rps = 12'500;
  x.dst_rps = 12'300;
  x.src_rps_ref = 15'000;
  x.dst_rps_ref = 14'000;
  x.src_rt = 3;
  x.dst_rt = 5;
  x.eta_low_s = 25 * 60;
  x.eta_high_s = 31 * 60;
  x.eta_basis = "records";
  x.rate = 12'300.5;
  return x;
}

// A verification that found differences in two tables.
inline VerifyRecord mismatched_verification(TimeMs at) {
  VerifyRecord v;
  v.observed_at = at;
  v.finished = true;
  v.different_number = 7;
  v.tables = 12;
  v.worst_tables_json = R"([{"table":"shop.orders","source_only":3,"dest_only":0,"mismatched":2},)"
                        R"({"table":"shop.items","source_only":0,"dest_only":2,"mismatched":0}])";
  return v;
}

// Records `write` and fails the calling test with the store's message if it
// is refused.
#define OMSWATCH_RECORD(store, write)                        \
  do {                                                       \
    auto recorded_ = (store).record(write);                  \
    ASSERT_TRUE(recorded_.has_value()) << recorded_.error(); \
  } while (0)

}  // namespace omswatch::storage::testing
