#include "daemon/detect/conditions.h"

#include <boost/json.hpp>

#include "common/duration.h"

namespace omswatch::daemon::detail {
namespace json = boost::json;
using std::chrono::duration_cast;

std::string human(Duration d) { return format_duration(d); }

std::int64_t whole_seconds(Duration d) { return duration_cast<std::chrono::seconds>(d).count(); }

void Conditions::evaluate(std::string_view kind, Severity severity, bool holds,
                          const std::string& summary, json::object details,
                          const std::string& resolved_summary) {
  auto it = firing_.find(kind);
  if (holds) {
    if (it == firing_.end()) {
      firing_.emplace(std::string(kind), FiringCondition{now_, now_, 0, severity});
      out_.push_back({std::string(kind), "firing", severity, summary, std::move(details)});
    } else if (now_ - it->second.last_sent >= repeat_) {
      it->second.last_sent = now_;
      ++it->second.repeats;
      details["repeat"] = it->second.repeats;
      details["firing_for_s"] = whole_seconds(duration_cast<Duration>(now_ - it->second.since));
      out_.push_back({std::string(kind), "firing", it->second.severity,
                      summary + " (still, for " +
                          human(duration_cast<Duration>(now_ - it->second.since)) + ")",
                      std::move(details)});
    }
  } else if (it != firing_.end()) {
    resolve(it, resolved_summary, std::move(details));
  }
}

void Conditions::resolve_if_firing(std::string_view kind, const std::string& resolved_summary,
                                   json::object details) {
  auto it = firing_.find(kind);
  if (it != firing_.end()) resolve(it, resolved_summary, std::move(details));
}

void Conditions::notice(std::string_view kind, std::string summary, json::object details) {
  out_.push_back(
      {std::string(kind), "notice", Severity::info, std::move(summary), std::move(details)});
}

void Conditions::resolve(Iterator it, const std::string& resolved_summary, json::object details) {
  auto lasted = duration_cast<Duration>(now_ - it->second.since);
  details["duration_s"] = whole_seconds(lasted);
  out_.push_back({it->first, "resolved", it->second.severity,
                  resolved_summary + " after " + human(lasted), std::move(details)});
  firing_.erase(it);
}

}  // namespace omswatch::daemon::detail
