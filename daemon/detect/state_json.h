#pragma once
// The detector's state as JSON text (the project_state / oms_state columns)
// and a project's progress as the JSON object of an event's payload.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "daemon/detect/state.h"

namespace omswatch::daemon {

// Persistence of the states (JSON text in project_state / oms_state).
std::string to_json(const ProjectState& state);
Expected<ProjectState> project_state_from_json(std::string_view text);
std::string to_json(const OmsState& state);
Expected<OmsState> oms_state_from_json(std::string_view text);

// The progress as the JSON object of an event's payload (camelCase keys, as OMS sends them).
boost::json::object progress_to_json(const oms::ProjectProgress& progress);

// The worst tables of a verification, as verify_mismatch's details and the
// stored verification list them:
// [{"table": "schema.table", "source_only", "dest_only", "mismatched"}, ...].
boost::json::array worst_tables_json(const std::vector<VerifyWorst>& worst);

}  // namespace omswatch::daemon
