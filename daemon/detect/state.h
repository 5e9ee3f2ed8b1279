#pragma once
// What the detector reads and keeps: one observation of a project, the
// thresholds that apply to it, the state carried from one poll to the next
// and the findings (events before they get an id). Plain values.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/defaults.h"
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
  oms::ProjectProgress progress;         // when ok
  std::string error;                     // when unavailable ("CODE: message") or failed
  std::optional<TimePoint> server_time;  // OMS's own clock (the reply's Date header)
  // The failing step, fetched from DescribeProjectSteps when the project
  // enters FAILED; empty when that call failed or found none.
  std::optional<oms::ProjectStep> failed_step;
};

struct DetectThresholds {
  Duration stall_after = defaults::kStallAfter;
  Duration max_lag = defaults::kMaxLag;
  int unavailable_after = defaults::kUnavailableAfter;
  int unreachable_after = defaults::kUnreachableAfter;
  Duration repeat = defaults::kRepeat;
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

}  // namespace omswatch::daemon
