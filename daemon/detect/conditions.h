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

// What a condition says when it fires (or repeats) or resolves.
struct Said {
  std::string summary;
  boost::json::object details = {};
};

// Emits and tracks firing / repeat / resolved for conditions of one subject.
// The texts are built only when there is something to say: a poll that
// changes nothing (almost every poll) builds no summary and no details.
class Conditions {
 public:
  Conditions(std::map<std::string, FiringCondition, std::less<>>& firing, std::vector<Finding>& out,
             TimePoint now, Duration repeat)
      : firing_(firing), out_(out), now_(now), repeat_(repeat) {}

  bool is_firing(std::string_view kind) const { return firing_.find(kind) != firing_.end(); }
  bool any_firing() const { return !firing_.empty(); }

  // `holds`: the condition's rule is true now. `firing()` returns the Said of
  // a firing or a repeat, `resolved()` that of the resolution; each is called
  // only when that is what happens.
  template <class Firing, class Resolved>
  void evaluate(std::string_view kind, Severity severity, bool holds, Firing&& firing,
                Resolved&& resolved) {
    switch (change(kind, holds)) {
      case Change::none: return;
      case Change::fires: return fire(kind, severity, firing());
      case Change::repeats: return repeat(kind, firing());
      case Change::resolves: return resolve(kind, resolved());
    }
  }

  // Resolves `kind` if it is firing (used where the rule cannot be evaluated
  // and the condition is known to be over, e.g. a project that left RUNNING).
  template <class Resolved>
  void resolve_if_firing(std::string_view kind, Resolved&& resolved) {
    if (is_firing(kind)) resolve(kind, resolved());
  }

  // A notice: said once, never tracked.
  void notice(std::string_view kind, std::string summary, boost::json::object details = {});

  TimePoint now() const { return now_; }

 private:
  enum class Change { none, fires, repeats, resolves };
  Change change(std::string_view kind, bool holds) const;
  void fire(std::string_view kind, Severity severity, Said said);
  void repeat(std::string_view kind, Said said);
  void resolve(std::string_view kind, Said said);

  std::map<std::string, FiringCondition, std::less<>>& firing_;
  std::vector<Finding>& out_;
  TimePoint now_;
  Duration repeat_;
};

}  // namespace omswatch::daemon::detail
