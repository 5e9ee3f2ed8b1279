#pragma once
// Rules about a project's watch rather than its progress: when a project
// stops being watched (it was released or deleted, or discovery no longer
// lists it), what its removal raises, and which step of a FAILED project to
// report. Pure, as the detector: the watcher does the calls and the writes.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/detect/state.h"
#include "oms/model.h"

namespace omswatch::daemon {

// RELEASED and DELETED: the project is gone from OMS and is no longer watched.
bool is_gone_status(std::string_view status);

// Why an observation ends the watch of its project ("status is RELEASED"),
// or nullopt when it does not: only a reply that shows a gone status does.
std::optional<std::string> removal_reason(const Observation& observation);

// Whether discovery watches a project ListProjects returned: it has an id, is
// not gone, is of one of `types` and carries one of `labels` (an empty list
// accepts all).
bool discovery_wants(const oms::ProjectSummary& item, const std::vector<std::string>& types,
                     const std::vector<std::string>& labels);

// How a watched project came to be watched: listed in the configuration,
// returned by ListProjects, or both.
struct WatchedBy {
  bool configured = false;
  bool discovered = false;
};

// The reason of the project_removed event of a project discovery no longer lists.
inline constexpr std::string_view kNoLongerListed = "no longer listed by OMS";

// What one complete listing changes in the watched set of an OMS.
struct ListingChanges {
  // The listed projects discovery_wants(), in listing order: each is watched
  // (added when it is not yet) and counts as discovered.
  std::vector<oms::ProjectSummary> wanted;
  // Discovered before and not wanted now: no longer count as discovered.
  std::vector<std::string> unlisted;
  // Of those, the ones not configured: no longer watched (kNoLongerListed).
  std::vector<std::string> removed;
};
ListingChanges follow_listing(const std::map<std::string, WatchedBy>& watched,
                              std::vector<oms::ProjectSummary> listed,
                              const std::vector<std::string>& types,
                              const std::vector<std::string>& labels);

// The projects a reload stops watching, without an event (the operator's
// choice): those `configured` no longer lists, unless discovery still watches
// them (it stays on, `discover`, and they were discovered).
std::vector<std::string> dropped_by_reload(const std::map<std::string, WatchedBy>& watched,
                                           const std::vector<std::string>& configured,
                                           bool discover);

// A project that leaves: each of its open conditions resolves (`reason` in
// its text and details), `state.firing` is emptied, and one project_removed
// notice says why it is no longer watched. Appended to `findings`.
void finish_project(const std::string& project_id, ProjectState& state, const std::string& reason,
                    TimePoint now, std::vector<Finding>& findings);

// Whether this reply makes the watcher read DescribeProjectSteps: the
// project enters FAILED (it was not FAILED at the previous observation).
bool needs_failed_step(const ProjectState& state, const oms::ProjectProgress& progress);

// The step to report for a FAILED project: the first step whose status is
// FAILED, else the first that carries an error code or message, else none.
std::optional<oms::ProjectStep> choose_failed_step(const std::vector<oms::ProjectStep>& steps);

}  // namespace omswatch::daemon
