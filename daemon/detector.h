#pragma once
// The detector: pure rules that turn one observation of a project (or of an
// OMS) into events. No I/O and no clock of its own: the caller passes `now`,
// the previous state, and gets back the new state and the events, which it
// stores in one transaction (DESIGN.md, "Flow of one poll", step 3).

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/expected.h"
#include "common/severity.h"
#include "oms/model.h"

namespace omswatch::daemon {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::milliseconds;

struct Observation {
  enum class Outcome {
    ok,           // a reply with success:true and data
    unavailable,  // OMS answered success:false for this project
    failed,       // no usable reply: network, HTTP error, unparseable
  };
  Outcome outcome = Outcome::failed;
  oms::ProjectProgress progress;  // when ok
  std::string error;              // when unavailable ("CODE: message") or failed
  std::optional<TimePoint> server_time;  // OMS's own clock (the reply's Date header)
  // The failing step, fetched from DescribeProjectSteps when the project
  // enters FAILED; empty when that call failed or found none.
  std::optional<oms::ProjectStep> failed_step;
};

struct DetectThresholds {
  Duration stall_after = std::chrono::minutes(5);
  Duration max_lag = std::chrono::minutes(10);
  int unavailable_after = 3;
  int unreachable_after = 3;
  Duration repeat = std::chrono::hours(4);
};

// A condition that holds now.
struct FiringCondition {
  TimePoint since;      // when it fired
  TimePoint last_sent;  // when it fired or last repeated
  int repeats = 0;
  Severity severity = Severity::info;
};

struct ProjectState {
  bool seen = false;
  std::string status;
  std::string current_step;
  std::string alarm_level;
  std::optional<int> struct_progress;
  std::optional<int> full_progress;
  TimePoint status_since;
  // Incremental sync checkpoints: the raw value, when it was first seen, and
  // whether it advanced since the project entered its current status.
  std::string incr_checkpoint;
  TimePoint incr_seen_at;
  bool incr_advanced = false;
  std::string reverse_checkpoint;
  TimePoint reverse_seen_at;
  bool reverse_advanced = false;
  int unavailable_streak = 0;
  std::map<std::string, FiringCondition, std::less<>> firing;  // by kind
};

struct OmsState {
  std::int64_t failures_since_success = 0;
  std::optional<FiringCondition> unreachable;
  std::string last_error;
};

// An event before it gets an id and is stored.
struct Finding {
  std::string kind;
  std::string state;  // firing, resolved, notice
  Severity severity = Severity::info;
  std::string summary;
  boost::json::object details;
};

struct ProjectDetection {
  ProjectState state;
  std::vector<Finding> findings;
};

ProjectDetection detect(const ProjectState& state, const std::string& project_id,
                        const Observation& observation, TimePoint now,
                        const DetectThresholds& thresholds);

// One poll of an OMS, successful or not (a success:false reply counts as a
// success here: OMS answered). The OMS is unreachable once every watched
// project's poll failed `unreachable_after` times in a row, that is after
// unreachable_after x watched_projects failed polls with no success between.
struct OmsDetection {
  OmsState state;
  std::vector<Finding> findings;
};
OmsDetection detect_oms(const OmsState& state, const std::string& oms_name, bool poll_succeeded,
                        const std::string& error, std::size_t watched_projects, TimePoint now,
                        const DetectThresholds& thresholds);

// True when the status counts as running for incremental sync.
bool is_running_status(std::string_view status);
// True for steps of the incremental phase (INCR_SYNC, INCR_TRANSFER, ...).
bool is_incremental_step(std::string_view step);

// Persistence of the states (JSON text in project_state / oms_state).
std::string to_json(const ProjectState& state);
Expected<ProjectState> project_state_from_json(std::string_view text);
std::string to_json(const OmsState& state);
Expected<OmsState> oms_state_from_json(std::string_view text);

// The progress as the JSON object of DESIGN.md's payload (camelCase keys, as OMS sends them).
boost::json::object progress_to_json(const oms::ProjectProgress& progress);

}  // namespace omswatch::daemon
