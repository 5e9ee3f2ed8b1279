#include "notifiers/router.h"

namespace omswatch::notifiers {

std::vector<std::string> route_event(const config::Config& config, std::string_view alarm_level,
                                     Severity severity) {
  const config::Route& route = config.route_for(alarm_level);
  if (severity < route.min_severity) return {};
  return route.receivers;
}

namespace {
int rank(std::string_view level) {
  if (level == "HIGH") return 3;
  if (level == "MEDIUM") return 2;
  if (level == "LOW") return 1;
  if (level == "IGNORE") return 0;
  return 2;  // unknown levels are treated as MEDIUM
}
}  // namespace

std::string highest_alarm_level(const std::vector<std::string>& project_levels) {
  if (project_levels.empty()) return "MEDIUM";
  const std::string* best = &project_levels.front();
  for (const auto& l : project_levels) {
    if (rank(l) > rank(*best)) best = &l;
  }
  return rank(*best) == 2 ? std::string("MEDIUM") : *best;
}

}  // namespace omswatch::notifiers
