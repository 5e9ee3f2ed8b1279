#pragma once
// Routing by alarm level (docs/configuration.md, "[routes.LEVEL]").

#include <string>
#include <string_view>
#include <vector>

#include "common/severity.h"
#include "config/config.h"

namespace omswatch::notifiers {

// The receivers that get an event of `severity` from a project at `alarm_level`:
// the level's route (MEDIUM for an unknown level), if the severity reaches its
// min_severity. Resolutions and repeats go where the firing went, so callers
// pass the condition's own severity for them too.
std::vector<std::string> route_event(const config::Config& config, std::string_view alarm_level,
                                     Severity severity);

// The alarm level whose route an OMS-level event (oms_unreachable) follows:
// the highest among `project_levels` (HIGH > MEDIUM > LOW > IGNORE); MEDIUM when empty.
std::string highest_alarm_level(const std::vector<std::string>& project_levels);

}  // namespace omswatch::notifiers
