#pragma once
// A migration's outlook, from its own history: when the full transfer will
// finish (an ETA, with its basis and range) and where incremental sync is
// heading (catching up or falling behind, and when it will reach zero lag or
// cross max_lag). Pure: the caller keeps the bounded windows of points in
// memory, adds each observation with a `remember_*` call and asks for the
// figures with the time it passes in. docs/alerts.md ("How the ETA and the
// trend are computed") explains the method and the constants below.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omswatch::daemon {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::milliseconds;

// The windows: at most this many points each.
inline constexpr std::size_t kOutlookMaxPoints = 64;
// Points closer than this to the one before the newest replace the newest, so
// a fast poll does not flood a window (64 transfer points cover an hour at
// the usual one read a minute; 64 lag points at least 21 minutes).
inline constexpr Duration kTransferSpacing = std::chrono::seconds(10);
inline constexpr Duration kLagSpacing = std::chrono::seconds(20);
// A point older than the newest is ignored; one older by more than this (the
// clock was set back) restarts the window with it.
inline constexpr Duration kOutlookClockStep = std::chrono::minutes(5);
// Too little history: fewer points, or a shorter span, gives no figure.
inline constexpr std::size_t kOutlookMinPoints = 3;
inline constexpr Duration kOutlookMinSpan = std::chrono::minutes(2);
// ETA: the rate is fitted over this window (at least the last
// kOutlookMinPoints points), its spread measured over stretches of this length.
inline constexpr Duration kEtaWindow = std::chrono::minutes(15);
inline constexpr Duration kEtaStretch = std::chrono::minutes(2);
// No new record over this long is a stall (no ETA). A percentage, which moves
// in whole points, stalls only with no change over the whole kEtaWindow.
inline constexpr Duration kEtaStallSpan = std::chrono::minutes(5);
// The slow end of the range assumes at least this share of the fitted rate.
inline constexpr double kEtaSlowestShare = 0.25;
// No figure is longer than this.
inline constexpr Duration kOutlookLongest = std::chrono::hours(24 * 365);
// The ETA's spans above are those of transfer readings taken once a minute
// (the default [detect] steps_every). Readings taken at another cadence
// scale them alike, so the ETA needs the same number of readings whatever
// the cadence: a demo or a test reading every second gets its first figure
// after seconds, not minutes.
struct EtaSpans {
  Duration spacing = kTransferSpacing;
  Duration min_span = kOutlookMinSpan;
  Duration window = kEtaWindow;
  Duration stretch = kEtaStretch;
  Duration stall = kEtaStallSpan;
};
inline constexpr Duration kEtaReadingEvery = std::chrono::minutes(1);
// The spans for readings every `reading_every` (the defaults at a minute).
EtaSpans eta_spans(Duration reading_every);

// Trend: the lag is fitted over this window (at least the last
// kOutlookMinPoints points); a fitted change smaller than kTrendBand over the
// points' span is OMS's checkpoint sampling (about every 10 s, so a lag
// jitters by 10-20 s), not a trend.
inline constexpr Duration kTrendWindow = std::chrono::minutes(10);
inline constexpr Duration kTrendBand = std::chrono::seconds(30);

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
  std::vector<TransferPoint> transfer;  // of the step named below; cleared when the step changes
  std::string transfer_step;
  std::vector<LagPoint> lag;
};

// Adds a point, keeping the window bounded: when the newest point is closer
// than the window's spacing (kTransferSpacing, kLagSpacing) to the one before
// it, the new point replaces it, else it is appended; past kOutlookMaxPoints
// the oldest fall out. A point at the newest point's time replaces it; an
// earlier one is ignored (see kOutlookClockStep). remember_transfer() starts
// a new window when `step` differs from the window's step.
void remember_transfer(OutlookHistory& history, std::string_view step, const TransferPoint& point,
                       Duration spacing = kTransferSpacing);
void remember_lag(OutlookHistory& history, const LagPoint& point);
// Incremental sync is not running (or its lag is unknown): its window restarts.
void forget_lag(OutlookHistory& history);

struct Eta {
  enum class Basis { records, percent };
  Basis basis = Basis::records;
  Duration low{0};  // the remaining time, as a range: low <= high (whole seconds)
  Duration high{0};
  double rate = 0;             // records per second (basis records) or percent per second, smoothed
  std::int64_t remaining = 0;  // records (or percentage points) still to go at the newest point
  TimePoint at;                // when this estimate was made: the finish is at + low .. at + high
};
std::string_view to_string(Eta::Basis basis);

// Basis records while the newest point has processed < capacity (the newest
// capacity counts); else basis percent while the newest point has a percent
// under 100. Absent while there is too little history (too few points, too
// short a span, no reading within kEtaWindow of `now`), when nothing remains
// (a capacity reached: OMS's total was short, nobody knows by how much) or when
// the transfer stalls (no rate: a stall is not an ETA of "infinity").
std::optional<Eta> estimate_eta(const std::vector<TransferPoint>& points, TimePoint now,
                                const EtaSpans& spans = {});

struct Trend {
  enum class Direction { catching_up, falling_behind, steady };
  Direction direction = Direction::steady;
  double rate = 0;  // seconds of lag gained per second, fitted (negative: catching up)
  std::optional<Duration> to_zero;     // catching up: when the lag reaches zero at this rate
  std::optional<Duration> to_max_lag;  // falling behind and under max_lag: when it crosses it
  Duration lag{0};                     // the latest lag
};
std::string_view to_string(Trend::Direction direction);

// Absent with too little history (as estimate_eta, within kTrendWindow). A
// change of the lag within OMS's own checkpoint sampling (kTrendBand) is
// steady, not a trend. max_lag <= 0: no to_max_lag.
std::optional<Trend> lag_trend(const std::vector<LagPoint>& points, Duration max_lag,
                               TimePoint now);

// What the watcher attaches to an observation for the detector and the store.
struct Outlook {
  std::optional<Eta> eta;
  std::optional<Trend> trend;
};

}  // namespace omswatch::daemon
