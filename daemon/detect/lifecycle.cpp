#include "daemon/detect/lifecycle.h"

#include <algorithm>
#include <set>

#include "common/duration.h"
#include "daemon/detect/event_kind.h"

namespace omswatch::daemon {

bool is_gone_status(std::string_view status) { return status == "RELEASED" || status == "DELETED"; }

std::optional<std::string> removal_reason(const Observation& obs) {
  if (obs.outcome != Observation::Outcome::ok || !is_gone_status(obs.progress.status)) {
    return std::nullopt;
  }
  return "status is " + obs.progress.status;
}

bool discovery_wants(const oms::ProjectSummary& item, const std::vector<std::string>& types,
                     const std::vector<std::string>& labels) {
  if (item.id.empty() || is_gone_status(item.status)) return false;
  if (!types.empty() && std::find(types.begin(), types.end(), item.type) == types.end()) {
    return false;
  }
  return labels.empty() || std::any_of(item.labels.begin(), item.labels.end(), [&](auto& l) {
           return std::find(labels.begin(), labels.end(), l) != labels.end();
         });
}

ListingChanges follow_listing(const std::map<std::string, WatchedBy>& watched,
                              std::vector<oms::ProjectSummary> listed,
                              const std::vector<std::string>& types,
                              const std::vector<std::string>& labels) {
  ListingChanges out;
  std::set<std::string> wanted;
  for (auto& item : listed) {
    if (!discovery_wants(item, types, labels)) continue;
    wanted.insert(item.id);
    out.wanted.push_back(std::move(item));
  }
  for (const auto& [id, by] : watched) {
    if (!by.discovered || wanted.count(id)) continue;
    out.unlisted.push_back(id);
    if (!by.configured) out.removed.push_back(id);
  }
  return out;
}

std::vector<std::string> dropped_by_reload(const std::map<std::string, WatchedBy>& watched,
                                           const std::vector<std::string>& configured,
                                           bool discover) {
  const std::set<std::string> still(configured.begin(), configured.end());
  std::vector<std::string> out;
  for (const auto& [id, by] : watched) {
    if (!still.count(id) && !(by.discovered && discover)) out.push_back(id);
  }
  return out;
}

void finish_project(const std::string& id, ProjectState& state, const std::string& reason,
                    TimePoint now, std::vector<Finding>& findings) {
  for (const auto& [kind, c] : state.firing) {
    auto lasted = std::chrono::duration_cast<Duration>(now - c.since);
    findings.push_back(
        {kind,
         "resolved",
         c.severity,
         id + " is no longer watched (" + reason + ") after " + format_duration(lasted),
         {{"duration_s", std::chrono::duration_cast<std::chrono::seconds>(lasted).count()},
          {"reason", reason}}});
  }
  state.firing.clear();
  findings.push_back({std::string(event_kind::project_removed),
                      "notice",
                      Severity::info,
                      id + " is no longer watched: " + reason,
                      {{"reason", reason}}});
}

bool needs_failed_step(const ProjectState& state, const oms::ProjectProgress& progress) {
  return progress.status == "FAILED" && state.status != "FAILED";
}

std::optional<oms::ProjectStep> choose_failed_step(const std::vector<oms::ProjectStep>& steps) {
  const oms::ProjectStep* found = nullptr;
  for (const auto& s : steps) {
    if (s.status == "FAILED") return s;
    if (!found && (!s.error.error_code.empty() || !s.error.error_msg.empty())) found = &s;
  }
  if (!found) return std::nullopt;
  return *found;
}

}  // namespace omswatch::daemon
