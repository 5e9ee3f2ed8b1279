#pragma once
// What the detector's rules share (private to omswatch_detect): the tracker
// of a subject's conditions (firing, repeat, resolved) and the way durations
// are written in summaries and details.

#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/detect/state.h"

namespace omswatch::daemon::detail {

std::string human(Duration d);
std::int64_t whole_seconds(Duration d);

// Emits and tracks firing / repeat / resolved for conditions of one subject.
class Conditions {
 public:
  Conditions(std::map<std::string, FiringCondition, std::less<>>& firing, std::vector<Finding>& out,
             TimePoint now, Duration repeat)
      : firing_(firing), out_(out), now_(now), repeat_(repeat) {}

  bool is_firing(std::string_view kind) const { return firing_.find(kind) != firing_.end(); }
  bool any_firing() const { return !firing_.empty(); }

  // `holds`: the condition's rule is true now. `summary`/`details` describe it
  // for a firing or a repeat; `resolved_summary` for the resolution.
  void evaluate(std::string_view kind, Severity severity, bool holds, const std::string& summary,
                boost::json::object details, const std::string& resolved_summary);

  // Resolves `kind` if it is firing (used where the rule cannot be evaluated
  // and the condition is known to be over, e.g. a project that left RUNNING).
  void resolve_if_firing(std::string_view kind, const std::string& resolved_summary,
                         boost::json::object details = {});

  // A notice: said once, never tracked.
  void notice(std::string_view kind, std::string summary, boost::json::object details = {});

  TimePoint now() const { return now_; }

 private:
  using Iterator = std::map<std::string, FiringCondition, std::less<>>::iterator;
  void resolve(Iterator it, const std::string& resolved_summary, boost::json::object details);

  std::map<std::string, FiringCondition, std::less<>>& firing_;
  std::vector<Finding>& out_;
  TimePoint now_;
  Duration repeat_;
};

}  // namespace omswatch::daemon::detail
