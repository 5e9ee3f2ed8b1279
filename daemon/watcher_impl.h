#pragma once
// The watcher's state and the functions its files share: watcher.cpp (the
// watched set and polling), watcher_record.cpp (what a poll stores and
// logs) and watcher_discovery.cpp (ListProjects). Private to those files.

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <memory>
#include <random>
#include <set>

#include "common/time.h"
#include "daemon/detect/lifecycle.h"
#include "daemon/detect/state_json.h"
#include "daemon/event_record.h"
#include "daemon/extra_reads.h"
#include "daemon/logging.h"
#include "daemon/metrics.h"
#include "daemon/observation.h"
#include "daemon/observation_sink.h"
#include "daemon/poll_log.h"
#include "daemon/route_level.h"
#include "daemon/rows.h"
#include "daemon/sample.h"
#include "daemon/slots.h"
#include "daemon/watch_clock.h"
#include "daemon/watcher.h"
#include "daemon/write_backoff.h"
#include "notifiers/router.h"
#include "oms/client.h"

namespace omswatch::daemon {
namespace asio = boost::asio;
using SteadyDuration = std::chrono::steady_clock::duration;

constexpr int kListPageSize = 150;
constexpr int kMaxListPages = 1000;  // 150,000 projects: far beyond one daemon's budget

inline bool same_connection(const config::OmsDeployment& a, const config::OmsDeployment& b) {
  return a.url == b.url && a.username == b.username && a.password == b.password &&
         a.timeout == b.timeout;
}

struct Watcher::Impl : std::enable_shared_from_this<Impl> {
  struct Project {
    std::string id;
    std::string name;
    ProjectState state;
    bool configured = false;  // listed in the configuration
    bool discovered = false;  // returned by ListProjects
    bool active = true;       // false once no longer watched: its loop ends
    bool last_poll_failed = false;
    bool failure_logged = false;  // its run of failures got a warning line of its own
    std::optional<TimePoint> name_tried_at;
    bool looking_up_name = false;           // a lookup is in flight: its name_cancel slot is in use
    asio::cancellation_signal cancel;       // ends its poll loop
    asio::cancellation_signal name_cancel;  // ends its name lookup
    Metrics::ProjectHandle metrics;         // its series, taken at its first poll
    ExtraReads reads;                       // its steps and verification reads
    // The verification step, as last read; a pointer, as few projects ever
    // have one (a step is almost 500 bytes).
    std::unique_ptr<oms::ProjectStep> verify_step;
    OutlookHistory history;                 // for its ETA and its incremental trend
    std::optional<Outlook> outlook_written;  // as last stored (outlook_write_due())
    TimePoint outlook_written_at;
  };
  struct Oms {
    config::OmsDeployment config;
    std::shared_ptr<oms::Client> client;
    std::shared_ptr<Slots> slots;
    OmsState state;
    std::string state_json;
    std::map<std::string, std::shared_ptr<Project>> projects;  // the watched ones
    bool active = true;
    bool discovering = false;
    asio::cancellation_signal discover_cancel;
    // The wait of the discovery loop between listings; a reload cancels it
    // with discover_now set, to list at once (discover_soon).
    std::shared_ptr<WatchTimer> discover_timer;
    bool discover_now = false;
    // Logging of failing polls and listings (see log_poll).
    PollFailureLog poll_log;
    FailureRun list_run;
    ExtraReadBudget read_budget;  // the steps and verification reads of all its projects
  };

  // Stores through `st`, or through `own` when `st` is null.
  Impl(asio::any_io_executor ex, std::shared_ptr<const config::Config> cfg, ObservationSink* st,
       std::unique_ptr<ObservationSink> own, OmsClientFactory make_client, WatcherOptions opts)
      : executor(ex),
        config(std::move(cfg)),
        own_sink(std::move(own)),
        sink(st ? *st : *own_sink),
        clients(std::move(make_client)),
        options(std::move(opts)),
        steady(options.steady_clock ? *options.steady_clock : steady_watch_clock()) {
    if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
    if (!options.write_backoff) {
      own_backoff = std::make_unique<WriteBackoff>();
      options.write_backoff = own_backoff.get();
    }
  }

  asio::any_io_executor executor;
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<ObservationSink> own_sink;
  ObservationSink& sink;
  OmsClientFactory clients;
  WatcherOptions options;
  WatchClock& steady;
  std::map<std::string, std::shared_ptr<Oms>> deployments;
  std::map<std::pair<std::string, std::string>, ProjectState> saved;
  WatcherCounters counters;
  std::unique_ptr<WriteBackoff> own_backoff;
  FailureRun store_run;  // failed and skipped writes
  std::string last_store_error;
  std::mt19937_64 rng{std::random_device{}()};
  bool stopped = false;

  std::chrono::steady_clock::time_point steady_now() const { return steady.now(); }
  bool live(const Oms& o, const Project& p) const { return !stopped && o.active && p.active; }

  // --- the watched set
  void start();
  void stop();
  void add_oms(const config::OmsDeployment& d);
  void deactivate_oms(Oms& o);
  Project& add_project(const std::shared_ptr<Oms>& o, const std::string& id, SteadyDuration offset);
  SteadyDuration random_offset(const config::OmsDeployment& d);
  // Stops watching a project. With `reason`, a final project_removed event
  // (and the resolution of its firing conditions) is committed first.
  void remove_project(Oms& o, const std::string& id, const std::string& reason);
  void apply(std::shared_ptr<const config::Config> next);
  void update_oms(const std::shared_ptr<Oms>& o, const config::OmsDeployment& d);

  // --- polling
  static asio::awaitable<void> poll_loop(std::shared_ptr<Impl> self, std::shared_ptr<Oms> o,
                                         std::shared_ptr<Project> p, SteadyDuration offset);
  asio::awaitable<void> poll_once(std::shared_ptr<Oms> o, std::shared_ptr<Project> p);
  // DescribeProject, for a project whose name is not known yet: spawned
  // beside a poll (at most once per name_retry_after); sets the name when
  // the OMS gives it, so the events that follow carry it.
  static asio::awaitable<void> look_up_name(std::shared_ptr<Impl> self, std::shared_ptr<Oms> o,
                                            std::shared_ptr<Project> p);
  // The reads beside a successful poll (daemon/extra_reads.h): the steps,
  // for the reason of a failure (choose_failed_step()) and for a running full
  // transfer or verification, and the verification results. A failed read
  // holds nothing back: the observation goes on without it.
  asio::awaitable<void> read_extras(oms::Client& client, Oms& o, Project& p, Observation& obs);
  asio::awaitable<std::optional<oms::VerifyResult>> read_verification(oms::Client& client, Oms& o,
                                                                      const std::string& id);
  // Adds the observation to the project's history and sets obs.outlook.
  void update_outlook(Project& p, Observation& obs, const storage::Sample& sample, TimePoint now,
                      const DetectThresholds& thresholds, Duration interval);
  void record(Oms& o, Project& p, Observation& obs, std::chrono::microseconds latency);
  void add_events(storage::ObservationWrite& write, const Oms& o, const Project& p,
                  const std::vector<Finding>& findings, const std::string& progress_json);
  void add_oms_events(storage::ObservationWrite& write, const Oms& o, const std::string& level,
                      const std::vector<Finding>& findings);
  // Stores one write (a poll, a listing, a project's removal) and logs what
  // it recorded; false when the database refused it (logged, bounded).
  bool commit(const storage::ObservationWrite& write);
  // The alarm levels of the OMS's watched projects (oms_route_level()'s
  // input), with `current_level` for `current` when it is set.
  static std::vector<std::string> project_levels(const Oms& o, const Project* current = nullptr,
                                                 const std::string& current_level = "");
  // Writes the lines PollFailureLog (poll_log.h) decides for a poll.
  void log_poll(Oms& o, Project& p, const Observation& obs);
  void poll_recovered(Oms& o, Project& p, bool log_project);

  // --- discovery
  void start_discovery(const std::shared_ptr<Oms>& o);
  // Lists, then waits discover_every after a complete listing, the poll
  // interval after a failed one. Ends when `timer` is no longer the OMS's
  // discovery timer (discovery turned off, or restarted).
  static asio::awaitable<void> discovery_loop(std::shared_ptr<Impl> self, std::shared_ptr<Oms> o,
                                              std::shared_ptr<WatchTimer> timer);
  // One listing, every page; true when complete (then the watched set follows it).
  asio::awaitable<bool> discover_once(std::shared_ptr<Oms> o);
  // Lists again now (a reload), without waiting for the loop's timer.
  void discover_soon(Oms& o);
  // A listing is a poll of the OMS: `answered` false (no reply, or not
  // HTTP 200) counts toward oms_unreachable; an answer resolves it.
  void record_listing(Oms& o, bool answered, const std::string& error);
};

}  // namespace omswatch::daemon
