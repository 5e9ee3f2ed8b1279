#pragma once
// Which route (and so which thresholds) a poll's events follow. Pure.

#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/detect/state.h"

namespace omswatch::daemon {

// A project's alarm level, MEDIUM while it has none.
std::string level_or_medium(const std::string& level);

// The route an OMS-level event (oms_unreachable) follows: the highest of the
// alarm levels of the OMS's watched projects (HIGH > MEDIUM > LOW > IGNORE;
// a project without one counts as MEDIUM), MEDIUM when it watches none.
std::string oms_route_level(const std::vector<std::string>& project_levels);

// The detector's thresholds for a project at `level`: [detect] with the
// overrides of [routes.LEVEL], and that route's repeat.
DetectThresholds thresholds_for(const config::Config& config, const std::string& level);

}  // namespace omswatch::daemon
