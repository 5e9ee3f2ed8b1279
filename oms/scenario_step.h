#pragma once
// A step of a simulated project, as the scenarios (scenarios.cpp,
// migration_scenarios.cpp) build them. Private to the simulator.

#include <optional>
#include <string>

#include "oms/model.h"

namespace omswatch::oms {

inline ProjectStep scenario_step(int order, std::string name, std::string description,
                                 std::string status, std::optional<int> progress = std::nullopt) {
  ProjectStep s;
  s.order = order;
  s.name = std::move(name);
  s.description = std::move(description);
  s.status = std::move(status);
  s.progress = progress;
  return s;
}

}  // namespace omswatch::oms
