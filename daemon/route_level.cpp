#include "daemon/route_level.h"

#include "notifiers/router.h"

namespace omswatch::daemon {

std::string level_or_medium(const std::string& level) {
  return level.empty() ? "MEDIUM" : level;
}

std::string oms_route_level(const std::vector<std::string>& project_levels) {
  std::vector<std::string> levels;
  levels.reserve(project_levels.size());
  for (const auto& l : project_levels) levels.push_back(level_or_medium(l));
  return notifiers::highest_alarm_level(levels);
}

DetectThresholds thresholds_for(const config::Config& config, const std::string& level) {
  config::Thresholds t = config.thresholds_for(level);
  DetectThresholds d;
  d.stall_after = t.stall_after;
  d.max_lag = t.max_lag;
  d.unavailable_after = t.unavailable_after;
  d.unreachable_after = t.unreachable_after;
  d.repeat = config.route_for(level).repeat;
  d.steps_every = t.steps_every;
  d.slow_share = t.slow_share;
  d.slow_for = t.slow_for;
  d.slow_grace = t.slow_grace;
  d.max_eta = t.max_eta;
  d.behind_horizon = t.behind_horizon;
  d.cutover_max_lag = t.cutover_max_lag;
  d.cutover_for = t.cutover_for;
  d.creating_grace = t.creating_grace;
  d.failed_grace = t.failed_grace;
  return d;
}

}  // namespace omswatch::daemon
