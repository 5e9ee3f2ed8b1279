#pragma once
// A migration's outlook, from its own history: when the full transfer will
// finish (an ETA, with its basis and range) and where incremental sync is
// heading (catching up or falling behind, and when it will reach zero lag or
// cross max_lag). Pure: the caller keeps the bounded windows of points in
// memory, adds each observation with a `remember_*` call and asks for the
// figures with the time it passes in.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

#include <string>

namespace omswatch::daemon {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::milliseconds;

// One reading of a full transfer (or full verification) step.
struct TransferPoint {
  TimePoint at;
  std::optional<std::int64_t> processed;  // processedRecords
  std::optional<std::int64_t> capacity;   // OMS's estimate of the total rows (it may revise it)
  std::optional<int> percent;             // the step's (or the project's) progress, 0..100
  friend bool operator==(const TransferPoint&, const TransferPoint&) = default;
};

// One reading of the incremental lag (OMS's clock minus the checkpoint).
struct LagPoint {
  TimePoint at;
  Duration lag;
  friend bool operator==(const LagPoint&, const LagPoint&) = default;
};

// The bounded histories of one project, kept by the watcher between polls.
struct OutlookHistory {
  std::deque<TransferPoint> transfer;  // of the step named below; cleared when the step changes
  std::string transfer_step;
  std::deque<LagPoint> lag;
};

// Adds a point, keeping the window bounded (points closer together than the
// window's spacing replace the newest; the oldest fall out).
void remember_transfer(OutlookHistory& history, std::string_view step, const TransferPoint& point);
void remember_lag(OutlookHistory& history, const LagPoint& point);
// Incremental sync is not running (or its lag is unknown): its window restarts.
void forget_lag(OutlookHistory& history);

struct Eta {
  enum class Basis { records, percent };
  Basis basis = Basis::records;
  Duration low{0};   // the remaining time, as a range: low <= high
  Duration high{0};
  double rate = 0;   // records per second (basis records) or percent per second, smoothed
  std::int64_t remaining = 0;  // records (or percentage points) still to go
  TimePoint at;      // when this estimate was made: the finish is at + low .. at + high
};
std::string_view to_string(Eta::Basis basis);

// Absent while there is too little history (too few points, too short a span,
// no progress at all) or when the transfer stalls (no rate: a stall is not an
// ETA of "infinity").
std::optional<Eta> estimate_eta(const std::deque<TransferPoint>& points, TimePoint now);

struct Trend {
  enum class Direction { catching_up, falling_behind, steady };
  Direction direction = Direction::steady;
  double rate = 0;  // seconds of lag gained per second (negative: catching up)
  std::optional<Duration> to_zero;     // catching up: when the lag reaches zero at this rate
  std::optional<Duration> to_max_lag;  // falling behind and under max_lag: when it crosses it
  Duration lag{0};                     // the latest lag
};
std::string_view to_string(Trend::Direction direction);

// Absent with too little history. A change of the lag within OMS's own
// checkpoint sampling (it samples about every 10 s, so 10-20 s of lag is
// noise) is steady, not a trend.
std::optional<Trend> lag_trend(const std::deque<LagPoint>& points, Duration max_lag, TimePoint now);

// What the watcher attaches to an observation for the detector and the store.
struct Outlook {
  std::optional<Eta> eta;
  std::optional<Trend> trend;
};

}  // namespace omswatch::daemon
