#pragma once
// Polls every watched project on its own timer (spread over the OMS's
// interval, at most max_in_flight requests per OMS), runs the detector on
// each observation and commits sample, state, events and outbox rows in one
// transaction. Never waits for delivery: it only wakes the dispatcher.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "config/config.h"
#include "daemon/detector.h"

namespace omswatch::net {
class HttpClient;
}
namespace omswatch::storage {
class Store;
}

namespace omswatch::daemon {

using WallClock = std::function<TimePoint()>;

struct WatcherCounters {
  std::uint64_t polls_ok = 0;
  std::uint64_t polls_unavailable = 0;
  std::uint64_t polls_failed = 0;
  std::uint64_t events = 0;
  std::uint64_t store_errors = 0;
};

class Watcher {
 public:
  // `config`, `store` and `http` must outlive the watcher. `on_committed` is
  // called after each commit that queued deliveries.
  Watcher(boost::asio::any_io_executor executor, const config::Config& config,
          storage::Store& store, net::HttpClient& http, WallClock clock,
          std::function<void()> on_committed);
  ~Watcher();

  // Loads persisted detector state and starts the poll loops.
  void start();
  // Cancels every loop; polls in flight are abandoned (nothing half-written:
  // each commit is one transaction).
  void stop();

  const WatcherCounters& counters() const;
  std::size_t watched_projects() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// An id for a new event: "evt_" and 32 hex digits, unique across restarts and hosts.
std::string new_event_id();

}  // namespace omswatch::daemon
