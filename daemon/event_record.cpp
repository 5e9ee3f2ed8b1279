#include "daemon/event_record.h"

#include <boost/json/serialize.hpp>
#include <random>

#include "notifiers/router.h"

namespace omswatch::daemon {

std::string format_event_id(std::uint64_t high, std::uint64_t low) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "evt_";
  for (std::uint64_t v : {high, low}) {
    for (int j = 0; j < 16; ++j) {
      id.push_back(kHex[v & 0xf]);
      v >>= 4;
    }
  }
  return id;
}

std::string new_event_id() {
  static thread_local std::mt19937_64 rng{
      std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
  const std::uint64_t high = rng();
  return format_event_id(high, rng());
}

void add_event(storage::ObservationWrite& write, const config::Config& config,
               const EventSubject& subject, const Finding& finding, std::string id) {
  storage::EventRecord e;
  e.id = std::move(id);
  e.oms = subject.oms;
  e.project_id = subject.project_id;
  e.project_name = subject.project_name;
  e.kind = finding.kind;
  e.state = finding.state;
  e.severity = std::string(to_string(finding.severity));
  e.alarm_level = subject.alarm_level;
  e.summary = finding.summary;
  e.details_json = boost::json::serialize(finding.details);
  e.progress_json = subject.progress_json;
  e.observed_at = write.now;
  const auto due_at = write.now + config.route_for(subject.alarm_level).group_wait.count();
  for (auto& r : notifiers::route_event(config, subject.alarm_level, finding.severity)) {
    write.deliveries.push_back({e.id, std::move(r), due_at});
  }
  write.events.push_back(std::move(e));
}

void add_eta(std::vector<Finding>& findings, const Eta& eta) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  for (auto& f : findings) {
    f.details["eta"] = {{"low_s", duration_cast<seconds>(eta.low).count()},
                        {"high_s", duration_cast<seconds>(eta.high).count()}};
    f.details["eta_basis"] = std::string(to_string(eta.basis));
    f.details["rate"] = eta.rate;
  }
}

}  // namespace omswatch::daemon
