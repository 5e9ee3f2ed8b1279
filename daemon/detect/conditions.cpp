#include "daemon/detect/conditions.h"

#include <boost/json.hpp>

#include "common/duration.h"

namespace omswatch::daemon::detail {
namespace json = boost::json;
using std::chrono::duration_cast;

std::string human(Duration d) { return format_duration(d); }

std::int64_t whole_seconds(Duration d) { return duration_cast<std::chrono::seconds>(d).count(); }

Conditions::Change Conditions::change(std::string_view kind, bool holds) const {
  const auto it = firing_.find(kind);
  if (!holds) return it == firing_.end() ? Change::none : Change::resolves;
  if (it == firing_.end()) return Change::fires;
  return now_ - it->second.last_sent >= repeat_ ? Change::repeats : Change::none;
}

void Conditions::fire(std::string_view kind, Severity severity, Said said) {
  firing_.emplace(std::string(kind), FiringCondition{now_, now_, 0, severity});
  out_.push_back(
      {std::string(kind), "firing", severity, std::move(said.summary), std::move(said.details)});
}

void Conditions::repeat(std::string_view kind, Said said) {
  FiringCondition& c = firing_.find(kind)->second;
  c.last_sent = now_;
  ++c.repeats;
  const auto held = duration_cast<Duration>(now_ - c.since);
  said.details["repeat"] = c.repeats;
  said.details["firing_for_s"] = whole_seconds(held);
  out_.push_back({std::string(kind), "firing", c.severity,
                  said.summary + " (still, for " + human(held) + ")", std::move(said.details)});
}

void Conditions::notice(std::string_view kind, std::string summary, json::object details) {
  out_.push_back(
      {std::string(kind), "notice", Severity::info, std::move(summary), std::move(details)});
}

void Conditions::resolve(std::string_view kind, Said said) {
  const auto it = firing_.find(kind);
  const auto lasted = duration_cast<Duration>(now_ - it->second.since);
  said.details["duration_s"] = whole_seconds(lasted);
  out_.push_back({it->first, "resolved", it->second.severity,
                  said.summary + " after " + human(lasted), std::move(said.details)});
  firing_.erase(it);
}

}  // namespace omswatch::daemon::detail
