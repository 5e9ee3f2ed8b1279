#pragma once
// Polls every watched project on its own timer (spread over the OMS's
// interval, at most max_in_flight requests per OMS), runs the detector on
// each observation and commits sample, state, events and outbox rows in one
// transaction. Never waits for delivery: it only wakes the dispatcher.
//
// The watched set changes at run time: discovery (`discover = true`) adds the
// projects ListProjects returns and drops those that disappear; a project that
// turns RELEASED or DELETED gets a final `project_removed` event and is no
// longer polled; apply() takes a reloaded configuration.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/detect/detector.h"

namespace omswatch::net {
class HttpClient;
}
namespace omswatch::oms {
class Client;
}
namespace omswatch::storage {
class Store;
}

namespace omswatch::daemon {

class Metrics;
class ObservationSink;
class WatchClock;
class WriteBackoff;
using WallClock = std::function<TimePoint()>;
// The client of one OMS deployment; called again when a reload changes its
// connection settings.
using OmsClientFactory = std::function<std::unique_ptr<oms::Client>(const config::OmsDeployment&)>;

struct WatcherCounters {
  std::uint64_t polls_ok = 0;
  std::uint64_t polls_unavailable = 0;
  std::uint64_t polls_failed = 0;
  std::uint64_t events = 0;
  std::uint64_t store_errors = 0;
  std::uint64_t consecutive_store_errors = 0;  // failed or skipped writes since the last commit
  std::uint64_t store_skipped = 0;             // writes skipped while the database refused them
};

struct WatcherOptions {
  WallClock clock;                     // wall time for events and samples
  // Steady time for the poll schedules, the timers and the pauses of log
  // lines and writes; null: the steady clock (steady_watch_clock()). Must
  // outlive the watcher.
  WatchClock* steady_clock = nullptr;
  std::function<void()> on_committed;  // after each commit that queued deliveries
  Metrics* metrics = nullptr;          // counts polls, projects and events when set
  std::chrono::milliseconds name_retry_after{std::chrono::minutes(10)};
  // Shared with everything else that writes to the store (the dispatcher,
  // retention); must outlive the watcher. When null the watcher keeps its own.
  WriteBackoff* write_backoff = nullptr;
};

class Watcher {
 public:
  // Stores in `store` and calls OMS through `http`; both must outlive the watcher.
  Watcher(boost::asio::any_io_executor executor, std::shared_ptr<const config::Config> config,
          storage::Store& store, net::HttpClient& http, WatcherOptions options);
  // Stores through `sink` (which must outlive the watcher) and calls each OMS
  // through the client `clients` makes for it.
  Watcher(boost::asio::any_io_executor executor, std::shared_ptr<const config::Config> config,
          ObservationSink& sink, OmsClientFactory clients, WatcherOptions options);
  ~Watcher();

  // Loads persisted detector state and starts the poll loops.
  void start();
  // Cancels every loop; polls in flight are abandoned (nothing half-written:
  // each commit is one transaction).
  void stop();
  // Applies a reloaded configuration: added and removed OMS deployments and
  // projects, and changed settings, keeping the detector state of every
  // project that stays.
  void apply(std::shared_ptr<const config::Config> config);

  const WatcherCounters& counters() const;
  std::size_t watched_projects() const;
  std::size_t conditions_firing() const;
  // The OMS deployments unreachable now, with when that began.
  std::vector<std::pair<std::string, TimePoint>> unreachable_oms() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Polls wake on a grid of ticks rather than each at its own instant: every
// poll of a project due within one tick starts on the same timer wake-up, so a
// daemon polling 1,000 projects every 10 s wakes 10 times a second for its
// timers rather than 100 (on a virtual machine a wake-up costs more than a
// poll's own work). Each project's schedule stays on exact due times; only its
// wake-up waits for the end of the tick its due time falls in, so intervals
// are exact on average and a poll starts at most one tick late. The tick used
// is min(kPollTick, interval / 100), so short intervals keep their precision.
// The group-commit timer of the store fires on the same grid (service.cpp).
inline constexpr std::chrono::steady_clock::duration kPollTick = std::chrono::milliseconds(100);

// The first multiple of `tick` (counted from the steady clock's epoch) at or
// after `t`; `t` itself when tick is not positive.
std::chrono::steady_clock::time_point align_to_tick(std::chrono::steady_clock::time_point t,
                                                    std::chrono::steady_clock::duration tick);

// The console link of a project: `console_url` with "{project_id}" replaced;
// the URL as it is when it has no placeholder; "" when unset.
std::string console_link(const std::string& console_url, const std::string& project_id);

}  // namespace omswatch::daemon
