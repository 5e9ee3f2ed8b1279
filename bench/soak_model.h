#pragma once
// The soak's ground truth and its comparison with what the receiver got
// (bench/soak.cpp runs the soak; the rules are stated in its header comment).
// Pure: no clock, no I/O. All times are Unix milliseconds of the system clock,
// the clock of the database's observed_at.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oms/simulator.h"

namespace omswatch::bench::soak {

using TimeMs = std::int64_t;

// How a project's incremental checkpoint moves.
enum class IncrMode {
  advancing,  // kAdvancingLagS behind the clock
  lagging,    // kLaggingLagS behind the clock, advancing
  frozen,     // stands still at `frozen_checkpoint`
};
inline constexpr std::int64_t kAdvancingLagS = 2;
inline constexpr std::int64_t kLaggingLagS = 90;

// What the simulator serves for one project from `at` on.
struct Served {
  TimeMs at = 0;
  std::string status;
  IncrMode incr = IncrMode::advancing;
  std::int64_t frozen_checkpoint = 0;  // Unix seconds, when frozen
  int freeze = 0;                      // which freeze (a new one is a new stall)
};

struct FaultChange {
  TimeMs at = 0;
  oms::Fault fault = oms::Fault::none;
};

// One life of the daemon: spawned, polling from its first request on, ended
// by SIGKILL (killed) or by the final SIGTERM.
struct DaemonRun {
  TimeMs spawned = 0;
  std::optional<TimeMs> first_request;
  TimeMs ended = 0;
  bool killed = false;
};

struct Truth {
  std::vector<std::string> projects;
  std::map<std::string, std::vector<Served>> served;  // by project, in time order, from the start
  std::map<std::string, std::vector<FaultChange>> project_faults;  // by project, in time order
  std::vector<FaultChange> global_faults;                          // in time order
  std::vector<DaemonRun> runs;
  TimeMs transitions_from = 0;  // before it: the baseline, first seen by the daemon
  TimeMs end = 0;               // the end of the last run
};

// An event as stored in the database, with the receiver's deliveries of it.
struct Event {
  std::string id;
  std::string project_id;  // "" for OMS-level events
  std::string kind;
  std::string state;     // firing, resolved, notice
  std::string from, to;  // status_changed details
  TimeMs observed_at = 0;
};

struct Delivery {
  TimeMs received_at = 0;
  std::string webhook_id;
  std::vector<std::string> event_ids;
};

// Thresholds as configured for the daemon, and the soak's margins.
struct Rules {
  TimeMs interval = 1000;
  TimeMs timeout = 2000;  // a hanging poll blocks its project this long
  TimeMs margin = 1000;   // settle margin on top of what the rules need
  TimeMs stall_after = 5000;
  TimeMs max_lag = 30000;
  int unavailable_after = 3;
  int unreachable_after = 3;
  TimeMs in_flight_window = 1000;  // a first delivery this close before a kill was in flight
  TimeMs step = 100;               // the check grid
};

struct TrackFigures {
  std::size_t transitions = 0;  // required runs the daemon had to announce
  std::size_t notified = 0;     // ... announced within the run's settle time
  std::size_t late = 0;         // ... announced, but later
  std::size_t missed = 0;       // ... never announced while they lasted
  std::size_t steady_checks = 0;
  std::size_t contradicted = 0;  // the receiver's view turned wrong while the truth held
};

struct Finding {
  std::string what;  // missed, late, contradicted, false event, inconsistent, ...
  std::string text;
};

struct Verdict {
  std::map<std::string, TrackFigures> tracks;  // by track name
  std::vector<Finding> errors;                 // each makes the soak fail
  std::vector<Finding> notes;                  // late announcements: reported, not failures
  std::size_t deliveries = 0;                  // accepted messages
  std::size_t event_deliveries = 0;            // events in them
  std::size_t events = 0;                      // events in the database
  std::size_t duplicates_in_flight = 0;
  std::size_t duplicates_unexplained = 0;
  std::size_t undelivered = 0;  // in the database, never received (or not delivered there)
  std::size_t unknown = 0;      // received, not in the database
  std::size_t false_events = 0;
  std::size_t inconsistent = 0;
  // From a restart (spawn) to the poll that showed a change made while the
  // daemon was down, one figure per such change.
  std::vector<TimeMs> detect_after_restart;
  std::vector<TimeMs> startup;  // spawn to first request, per run
  // From the poll that showed an event to its first arrival at the receiver
  // (group_wait 0; receiver 503s, kills and downtimes included).
  std::vector<TimeMs> delivery_latency;
};

// `pending_outbox`: ids of events with an outbox row not `delivered`.
Verdict check(const Truth& truth, const std::vector<Event>& events,
              const std::vector<Delivery>& deliveries,
              const std::vector<std::string>& pending_outbox, const Rules& rules);

bool is_running(const std::string& status);
std::string to_string(oms::Fault fault);

}  // namespace omswatch::bench::soak
