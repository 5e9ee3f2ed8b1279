#pragma once
// The detector's rules about a migration's progress (private to
// omswatch_detect; detect() in daemon/detect/detector.h calls them): a slow
// full transfer, a verification that found differences, incremental sync
// heading past max_lag, readiness for cutover, and what some OMS error codes
// and a FAILED full transfer mean. docs/alerts.md describes each for users.

#include <optional>
#include <string>
#include <string_view>

#include "daemon/detect/conditions.h"
#include "daemon/detect/state.h"

namespace omswatch::daemon::detail {

// OMS answers GHANA-OPERIE000000 while it creates a project's transfer
// instance (it takes minutes). True when `observation` is that answer within
// creating_grace of the first time the project got it (remembered in
// state.creating_since): it then does not count toward project_unavailable.
bool still_creating(ProjectState& state, const Observation& observation, TimePoint now,
                    const DetectThresholds& thresholds);

// The summary of project_unavailable; GHANA-PROJECT000001 is said plainly:
// "<id> does not exist on this OMS (GHANA-PROJECT000001)".
std::string unavailable_summary(const std::string& project_id, const std::string& error);

// What the project-wide rules of detect() found, for the rules below.
struct ProgressFacts {
  bool first_sight = false;     // the project's first observation: no notices
  bool running = false;         // is_running_status()
  bool incr_armed = false;      // as for incr_stalled and incr_lagging
  std::optional<Duration> lag;  // incremental lag, when armed and known
  TimePoint oms_now;            // OMS's clock (the reply's Date), else now
};

// full_transfer_slow, while a full transfer step runs.
void detect_full_transfer(ProjectState& state, const std::string& project_id,
                          const Observation& observation, const ProgressFacts& facts,
                          const DetectThresholds& thresholds, Conditions& conditions);

// verify_mismatch, from the latest verification result (kept in state).
void detect_verification(ProjectState& state, const std::string& project_id,
                         const Observation& observation, Conditions& conditions);

// incr_falling_behind; call after incr_lagging was evaluated.
void detect_falling_behind(const std::string& project_id, const Observation& observation,
                           const ProgressFacts& facts, const DetectThresholds& thresholds,
                           Conditions& conditions);

// cutover_ready; call last, once every condition of the poll was evaluated.
void detect_cutover(ProjectState& state, const std::string& project_id, const ProgressFacts& facts,
                    const DetectThresholds& thresholds, Conditions& conditions);

}  // namespace omswatch::daemon::detail
