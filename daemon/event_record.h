#pragma once
// A finding of the detector made into an event row and its outbox rows.
// Pure but for new_event_id(), which draws random bits.

#include <cstdint>
#include <string>

#include "config/config.h"
#include "daemon/detect/state.h"
#include "storage/store.h"

namespace omswatch::daemon {

// An event id: "evt_" and the 32 hex digits of `high` and `low` (each least
// significant digit first).
std::string format_event_id(std::uint64_t high, std::uint64_t low);
// An id for a new event: format_event_id() of 128 random bits, so unique
// across restarts and hosts.
std::string new_event_id();

// Who an event is about and which route it follows.
struct EventSubject {
  std::string oms;
  std::string project_id;  // "" for an OMS-level event (oms_unreachable)
  std::string project_name;
  std::string alarm_level;           // its route: [routes.LEVEL]
  std::string progress_json = "{}";  // the progress that showed it, a JSON object
};

// Appends the event of `finding` to `write`, with id `id`, observed at
// write.now, and one delivery per receiver its route sends it to. The route's
// group_wait holds the first attempt back, so that what happens within it
// goes out as one message.
void add_event(storage::ObservationWrite& write, const config::Config& config,
               const EventSubject& subject, const Finding& finding, std::string id);

// Every event raised while a full transfer or verification runs carries its
// ETA: details eta {low_s, high_s} (remaining seconds), eta_basis
// ("records", "percent") and rate (per second, in the basis's unit).
void add_eta(std::vector<Finding>& findings, const Eta& eta);

}  // namespace omswatch::daemon
