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
#include "daemon/detect/outlook.h"
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
  // The running full transfer or full verification step, read from
  // DescribeProjectSteps at most every [detect] steps_every while such a step
  // runs; empty on the polls in between.
  std::optional<oms::ProjectStep> transfer_step;
  // ListProjectFullVerifyResult, read at steps_every while full verification
  // runs and once when it ends; empty on the polls in between.
  std::optional<oms::VerifyResult> verify;
  // With `verify`: the verification had ended when it was read (its step
  // FINISHED, or RUNNING at 100 %, or the project past it).
  bool verify_finished = false;
  // The ETA and the incremental trend, from the watcher's history of this
  // project (daemon/detect/outlook.h), as of this poll.
  Outlook outlook;
};

struct DetectThresholds {
  Duration stall_after = defaults::kStallAfter;
  Duration max_lag = defaults::kMaxLag;
  int unavailable_after = defaults::kUnavailableAfter;
  int unreachable_after = defaults::kUnreachableAfter;
  Duration repeat = defaults::kRepeat;
  // Migration progress ([detect], docs/alerts.md).
  Duration steps_every = defaults::kStepsEvery;          // DescribeProjectSteps cadence
  double slow_share = defaults::kSlowShare;              // dst RPS below this share of its baseline
  Duration slow_for = defaults::kSlowFor;                // ... for this long: full_transfer_slow
  Duration slow_grace = defaults::kSlowGrace;            // not in a step's first minutes
  Duration max_eta = defaults::kMaxEta;                  // 0: no bound on the ETA
  Duration behind_horizon = defaults::kBehindHorizon;    // incr_falling_behind: crossing within
  Duration cutover_max_lag = defaults::kCutoverMaxLag;   // cutover_ready: lag under this
  Duration cutover_for = defaults::kCutoverFor;          // ... for this long
  Duration creating_grace = defaults::kCreatingGrace;    // GHANA-OPERIE000000 is no failure before
  Duration failed_grace = defaults::kFailedGrace;        // a FAILED full transfer OMS may retry
};

// A condition that holds now.
struct FiringCondition {
  TimePoint since;      // when it fired
  TimePoint last_sent;  // when it fired or last repeated
  int repeats = 0;
  Severity severity = Severity::info;
};

// One table of a verification with differences, as kept for its alert.
struct VerifyWorst {
  std::string table;  // "schema.table" of the source
  std::int64_t source_only = 0;
  std::int64_t dest_only = 0;
  std::int64_t mismatched = 0;
  friend bool operator==(const VerifyWorst&, const VerifyWorst&) = default;
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

  // Migration progress (daemon/detect/migration_rules.h). All of them read
  // back as their defaults from a state saved before they existed.
  // The running full transfer step (full_transfer_slow): its name (empty:
  // none), when the detector first saw it, OMS's startTime of it, the
  // figures of its latest sample, and since when it has been slow.
  std::string transfer_step;
  TimePoint transfer_seen_at;
  std::optional<TimePoint> transfer_start;
  std::optional<std::int64_t> transfer_dst_rps;
  std::optional<std::int64_t> transfer_dst_rps_ref;
  std::optional<std::int64_t> transfer_processed;
  std::optional<std::int64_t> transfer_capacity;
  std::optional<TimePoint> slow_since;
  // Full verification (verify_mismatch, cutover_ready): whether the project
  // has one, whether the latest result is of a finished run, the rows that
  // differ, how many tables differ and the worst of them (at most 5).
  bool verify_seen = false;
  bool verify_finished = false;
  std::int64_t verify_differences = 0;
  std::int64_t verify_tables_differing = 0;
  std::vector<VerifyWorst> verify_worst;
  // cutover_ready: since when the project has been ready, and whether this
  // readiness period was announced.
  std::optional<TimePoint> ready_since;
  bool ready_announced = false;
  // When GHANA-OPERIE000000 (transfer instance being created) was first seen.
  std::optional<TimePoint> creating_since;
  // A FAILED full transfer held for failed_grace: since when, the status
  // before it, and the failing step with its error.
  std::optional<TimePoint> failed_since;
  std::string failed_from;
  std::string failed_step;
  std::string failed_error_code;
  std::string failed_error_msg;
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
