#pragma once

#include <chrono>
#include <string>

#include "common/severity.h"

namespace omswatch::notifiers {

// One detected event as receivers see it. `details_json` and `progress_json`
// are JSON objects (as stored in the events table); renderers embed or read them.
struct Event {
  std::string id;     // stable across retries
  std::string kind;   // status_changed, project_failed, ...
  std::string state;  // firing, resolved, notice
  Severity severity = Severity::info;
  std::string oms;
  std::string project_id;  // "" for OMS-level events
  std::string project_name;  // from DescribeProject, when known; "" otherwise
  std::string link;          // the project (or OMS) in the OMS console, when console_url is set
  // The event's page in omswatch's own web console (common/console_page.h),
  // when daemon.public_url is set; "" otherwise.
  std::string omswatch_url;
  std::string alarm_level;
  std::string summary;
  std::chrono::system_clock::time_point observed_at;
  std::string details_json = "{}";
  std::string progress_json = "{}";
  // A resolution of a condition someone had acknowledged (omswatch ack):
  // who, and why; "" otherwise.
  std::string acked_by;
  std::string ack_reason;
};

}  // namespace omswatch::notifiers
