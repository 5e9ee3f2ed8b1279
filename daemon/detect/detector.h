#pragma once
// The detector: pure rules that turn one observation of a project (or of an
// OMS) into events. No I/O and no clock of its own: the caller passes `now`,
// the previous state, and gets back the new state and the events, which it
// stores in one transaction (docs/design.md, "Flow of one poll", step 3).
// The rules that decide when a project stops being watched and which step
// failed are in daemon/detect/lifecycle.h; the state's JSON form is in
// daemon/detect/state_json.h.

#include <string>
#include <string_view>

#include "daemon/detect/state.h"

namespace omswatch::daemon {

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
// FULL_TRANSFER, FULL_MIGRATION.
bool is_full_transfer_step(std::string_view step);
// FULL_VERIFIER, FULL_VALIDATION.
bool is_full_verify_step(std::string_view step);

}  // namespace omswatch::daemon
