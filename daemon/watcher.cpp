#include "daemon/watcher.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <random>
#include <set>

#include "common/time.h"
#include "daemon/logging.h"
#include "daemon/metrics.h"
#include "daemon/slots.h"
#include "daemon/write_backoff.h"
#include "notifiers/router.h"
#include "oms/client.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using SteadyDuration = std::chrono::steady_clock::duration;

std::string new_event_id() {
  static thread_local std::mt19937_64 rng{
      std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "evt_";
  for (int i = 0; i < 2; ++i) {
    std::uint64_t v = rng();
    for (int j = 0; j < 16; ++j) {
      id.push_back(kHex[v & 0xf]);
      v >>= 4;
    }
  }
  return id;
}

std::chrono::steady_clock::time_point align_to_tick(std::chrono::steady_clock::time_point t,
                                                    std::chrono::steady_clock::duration tick) {
  if (tick.count() <= 0) return t;
  const auto since = t.time_since_epoch().count();
  const auto ticks = since / tick.count() + (since % tick.count() > 0 ? 1 : 0);
  return std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(ticks * tick.count()));
}

std::string console_link(const std::string& console_url, const std::string& project_id) {
  if (console_url.empty()) return {};
  static constexpr std::string_view kPlaceholder = "{project_id}";
  std::string out = console_url;
  if (auto pos = out.find(kPlaceholder); pos != std::string::npos) {
    out.replace(pos, kPlaceholder.size(), project_id);
  }
  return out;
}

namespace {

constexpr int kListPageSize = 150;
constexpr int kMaxListPages = 1000;  // 150,000 projects: far beyond one daemon's budget
// Projects of one OMS whose failing polls get a warning line of their own in
// one run of failures; beyond that one line says that more fail, and a
// summary follows while they do, so an OMS that fails every request of 200
// projects writes a handful of lines, not 200 per interval.
constexpr int kProjectLinesPerRun = 3;

std::string level_or_medium(const std::string& level) { return level.empty() ? "MEDIUM" : level; }

DetectThresholds thresholds_for(const config::Config& config, const std::string& level) {
  config::Thresholds t = config.thresholds_for(level);
  DetectThresholds d;
  d.stall_after = t.stall_after;
  d.max_lag = t.max_lag;
  d.unavailable_after = t.unavailable_after;
  d.unreachable_after = t.unreachable_after;
  d.repeat = config.route_for(level).repeat;
  return d;
}

std::string describe_api_error(const oms::ApiError& e) {
  std::string s = e.code;
  if (!e.message.empty()) s += (s.empty() ? "" : ": ") + e.message;
  return s.empty() ? std::string("success:false without a code") : s;
}

bool is_gone_status(std::string_view status) { return status == "RELEASED" || status == "DELETED"; }

bool same_connection(const config::OmsDeployment& a, const config::OmsDeployment& b) {
  return a.url == b.url && a.username == b.username && a.password == b.password &&
         a.timeout == b.timeout;
}

std::unique_ptr<oms::Client> make_oms_client(net::HttpClient& http,
                                             const config::OmsDeployment& d) {
  return oms::make_client(http,
                          oms::Endpoint{d.name, d.url, d.username, d.password.reveal(), d.timeout});
}

}  // namespace

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
    asio::cancellation_signal cancel;
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
    // Logging of failing polls and listings (see log_poll).
    FailureRun poll_run;
    std::size_t projects_failing = 0;
    int projects_logged = 0;
    bool more_failing_logged = false;
    FailureRun list_run;
  };

  Impl(asio::any_io_executor ex, std::shared_ptr<const config::Config> cfg, storage::Store& st,
       net::HttpClient& http_client, WatcherOptions opts)
      : executor(ex),
        config(std::move(cfg)),
        store(st),
        http(http_client),
        options(std::move(opts)) {
    if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
    if (!options.write_backoff) {
      own_backoff = std::make_unique<WriteBackoff>();
      options.write_backoff = own_backoff.get();
    }
  }

  asio::any_io_executor executor;
  std::shared_ptr<const config::Config> config;
  storage::Store& store;
  net::HttpClient& http;
  WatcherOptions options;
  std::map<std::string, std::shared_ptr<Oms>> deployments;
  std::map<std::pair<std::string, std::string>, ProjectState> saved;
  WatcherCounters counters;
  std::unique_ptr<WriteBackoff> own_backoff;
  FailureRun store_run;  // failed and skipped writes
  std::string last_store_error;
  std::mt19937_64 rng{std::random_device{}()};
  bool stopped = false;

  // --- the watched set

  void start() {
    for (auto& row : store.load_project_states()) {
      auto parsed = project_state_from_json(row.state_json);
      if (!parsed) {
        spdlog::warn("ignoring the saved state of project {} on {}: {}", row.project_id, row.oms,
                     parsed.error());
        continue;
      }
      saved[{row.oms, row.project_id}] = std::move(*parsed);
    }
    for (const auto& d : config->oms) add_oms(d);
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    for (auto& [name, o] : deployments) deactivate_oms(*o);
  }

  void add_oms(const config::OmsDeployment& d) {
    auto o = std::make_shared<Oms>();
    o->config = d;
    o->client = make_oms_client(http, d);
    o->slots = std::make_shared<Slots>(executor, d.max_in_flight);
    if (auto json = store.load_oms_state(d.name)) {
      if (auto parsed = oms_state_from_json(*json)) {
        o->state = std::move(*parsed);
        o->state_json = *json;
      }
    }
    deployments[d.name] = o;
    if (options.metrics) options.metrics->declare_oms(d.name);
    const std::size_t n = d.projects.size();
    for (std::size_t i = 0; i < n; ++i) {
      // Spread the first polls over the interval so an OMS never sees a burst.
      auto offset = std::chrono::duration_cast<SteadyDuration>(
          d.interval * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(n));
      add_project(o, d.projects[i], offset).configured = true;
    }
    if (d.discover) start_discovery(o);
    spdlog::info("watching {} project(s) on OMS {} every {}{}", n, d.name,
                 config::format_duration(d.interval), d.discover ? ", and what it lists" : "");
  }

  void deactivate_oms(Oms& o) {
    o.active = false;
    for (auto& [id, p] : o.projects) {
      if (options.metrics && !stopped) options.metrics->forget_project(o.config.name, id);
      p->active = false;
      p->cancel.emit(asio::cancellation_type::terminal);
    }
    o.discover_cancel.emit(asio::cancellation_type::terminal);
  }

  Project& add_project(const std::shared_ptr<Oms>& o, const std::string& id,
                       SteadyDuration offset) {
    if (auto it = o->projects.find(id); it != o->projects.end()) return *it->second;
    auto p = std::make_shared<Project>();
    p->id = id;
    if (auto it = saved.find({o->config.name, id}); it != saved.end()) {
      p->state = std::move(it->second);
      saved.erase(it);
    }
    o->projects[id] = p;
    asio::co_spawn(executor, poll_loop(shared_from_this(), o, p, offset),
                   asio::bind_cancellation_slot(p->cancel.slot(), asio::detached));
    return *p;
  }

  SteadyDuration random_offset(const config::OmsDeployment& d) {
    auto span = std::max<std::int64_t>(1, d.interval.count());
    return std::chrono::duration_cast<SteadyDuration>(
        std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, span - 1)(rng)));
  }

  // Stops watching a project. With `reason`, a final project_removed event
  // (and the resolution of its firing conditions) is committed first.
  void remove_project(Oms& o, const std::string& id, const std::string& reason) {
    auto it = o.projects.find(id);
    if (it == o.projects.end()) return;
    auto p = it->second;
    if (!reason.empty()) {
      std::vector<Finding> findings;
      ProjectState final_state = p->state;
      finish_project(p->id, final_state, reason, findings);
      storage::ObservationWrite write;
      write.now = to_unix_ms(options.clock());
      write.oms = o.config.name;
      write.project_id = id;
      write.project_state_json = to_json(final_state);
      add_events(write, o, *p, findings, "{}");
      if (!commit(write, o, *p)) return;  // stays watched; tried again at the next chance
      p->state = std::move(final_state);
    }
    p->active = false;
    p->cancel.emit(asio::cancellation_type::terminal);
    if (p->last_poll_failed) poll_recovered(o, *p, /*log_project=*/false);
    o.projects.erase(it);
    if (options.metrics) options.metrics->forget_project(o.config.name, id);
    spdlog::info("no longer watching project {} on {}{}{}", id, o.config.name,
                 reason.empty() ? "" : ": ", reason);
  }

  // The findings of a project that leaves: its open conditions resolve, and
  // one notice says why it is no longer watched.
  void finish_project(const std::string& id, ProjectState& state, const std::string& reason,
                      std::vector<Finding>& findings) {
    const TimePoint now = options.clock();
    for (const auto& [kind, c] : state.firing) {
      auto lasted = std::chrono::duration_cast<Duration>(now - c.since);
      findings.push_back(
          {kind,
           "resolved",
           c.severity,
           id + " is no longer watched (" + reason + ") after " + config::format_duration(lasted),
           {{"duration_s", std::chrono::duration_cast<std::chrono::seconds>(lasted).count()},
            {"reason", reason}}});
    }
    state.firing.clear();
    findings.push_back({"project_removed",
                        "notice",
                        Severity::info,
                        id + " is no longer watched: " + reason,
                        {{"reason", reason}}});
  }

  void apply(std::shared_ptr<const config::Config> next) {
    config = std::move(next);
    std::set<std::string> names;
    for (const auto& d : config->oms) names.insert(d.name);
    for (auto it = deployments.begin(); it != deployments.end();) {
      if (names.count(it->first)) {
        ++it;
        continue;
      }
      spdlog::info("OMS {} is no longer configured: its projects are no longer watched", it->first);
      deactivate_oms(*it->second);
      it = deployments.erase(it);
    }
    for (const auto& d : config->oms) {
      auto it = deployments.find(d.name);
      if (it == deployments.end()) {
        add_oms(d);
        continue;
      }
      update_oms(it->second, d);
    }
  }

  void update_oms(const std::shared_ptr<Oms>& o, const config::OmsDeployment& d) {
    const config::OmsDeployment old = o->config;
    o->config = d;  // the interval applies from the next tick of each loop
    if (!same_connection(old, d)) o->client = make_oms_client(http, d);
    if (old.max_in_flight != d.max_in_flight) {
      // Polls holding a slot of the old semaphore release it there.
      o->slots = std::make_shared<Slots>(executor, d.max_in_flight);
    }
    std::set<std::string> configured(d.projects.begin(), d.projects.end());
    std::vector<std::string> drop;
    for (auto& [id, p] : o->projects) {
      if (configured.count(id)) continue;
      p->configured = false;
      if (!(p->discovered && d.discover)) drop.push_back(id);
    }
    for (const auto& id : drop) remove_project(*o, id, "");
    for (const auto& id : d.projects) add_project(o, id, random_offset(d)).configured = true;
    if (d.discover && !o->discovering) start_discovery(o);
    if (!d.discover && o->discovering) {
      o->discover_cancel.emit(asio::cancellation_type::terminal);
      o->discovering = false;
    }
  }

  // --- polling

  static asio::awaitable<void> poll_loop(std::shared_ptr<Impl> self, std::shared_ptr<Oms> o,
                                         std::shared_ptr<Project> p, SteadyDuration offset) {
    asio::steady_timer timer(self->executor);
    auto next = std::chrono::steady_clock::now() + offset;
    while (self->live(*o, *p)) {
      // The wake-up waits for the end of the tick `next` falls in (see
      // kPollTick); `next` itself stays exact, so nothing drifts.
      const auto interval = std::chrono::duration_cast<SteadyDuration>(o->config.interval);
      timer.expires_at(align_to_tick(next, std::min<SteadyDuration>(kPollTick, interval / 100)));
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || !self->live(*o, *p)) co_return;
      auto slots = o->slots;
      if (!co_await slots->acquire()) co_return;
      try {
        co_await self->poll_once(o, p);
      } catch (const std::exception& e) {
        // A broken invariant in one poll must not end the project's loop.
        spdlog::error("poll of project {} on {} failed unexpectedly: {}", p->id, o->config.name,
                      e.what());
      }
      slots->release();
      // Fixed-rate schedule: a slow poll does not shift the following ones,
      // and a poll that overran its slot is not made up with a burst.
      next += interval;
      auto now = std::chrono::steady_clock::now();
      if (next < now) next = now + (interval - (now - next) % interval);
    }
  }

  bool live(const Oms& o, const Project& p) const { return !stopped && o.active && p.active; }

  asio::awaitable<void> poll_once(std::shared_ptr<Oms> o, std::shared_ptr<Project> p) {
    auto client = o->client;  // a reload may replace it while this poll runs
    if (p->name.empty() &&
        (!p->name_tried_at || options.clock() - *p->name_tried_at >= options.name_retry_after)) {
      p->name_tried_at = options.clock();
      auto info = co_await client->describe_project(p->id);
      if (!live(*o, *p)) co_return;
      if (info.ok() && info.reply.data) p->name = info.reply.data->name;
    }
    auto call = co_await client->describe_progress(p->id);
    if (!live(*o, *p)) co_return;
    Observation obs;
    obs.server_time = call.server_date;
    if (call.transport_error) {
      obs.outcome = Observation::Outcome::failed;
      obs.error = *call.transport_error;
    } else if (!call.reply.success) {
      obs.outcome = Observation::Outcome::unavailable;
      obs.error = describe_api_error(call.reply.error);
    } else if (!call.reply.data) {
      obs.outcome = Observation::Outcome::failed;
      obs.error = "reply has success:true but no data";
    } else {
      obs.outcome = Observation::Outcome::ok;
      obs.progress = std::move(*call.reply.data);
      if (obs.progress.project_id.empty()) obs.progress.project_id = p->id;
      if (obs.progress.status == "FAILED" && p->state.status != "FAILED") {
        obs.failed_step = co_await fetch_failed_step(*client, o->config.name, p->id);
        if (!live(*o, *p)) co_return;
      }
    }
    record(*o, *p, obs, call.latency);
  }

  // The reason for a failure, from DescribeProjectSteps. Its own failure must
  // not hold the alert back: then the alert goes out without it.
  asio::awaitable<std::optional<oms::ProjectStep>> fetch_failed_step(oms::Client& client,
                                                                     const std::string& oms_name,
                                                                     const std::string& id) {
    auto steps = co_await client.describe_steps(id);
    if (!steps.ok() || !steps.reply.data) {
      spdlog::warn("project {} on {} FAILED; its steps could not be read: {}", id, oms_name,
                   steps.transport_error.value_or(describe_api_error(steps.reply.error)));
      co_return std::nullopt;
    }
    const oms::ProjectStep* found = nullptr;
    for (const auto& s : *steps.reply.data) {
      if (s.status == "FAILED") {
        found = &s;
        break;
      }
      if (!found && (!s.error.error_code.empty() || !s.error.error_msg.empty())) found = &s;
    }
    if (!found) co_return std::nullopt;
    co_return *found;
  }

  void record(Oms& o, Project& p, const Observation& obs, std::chrono::microseconds latency) {
    const TimePoint now = options.clock();
    const bool ok = obs.outcome == Observation::Outcome::ok;
    // The route (and its thresholds) of the level the project has now.
    std::string level = level_or_medium(
        ok && !obs.progress.alarm_level.empty() ? obs.progress.alarm_level : p.state.alarm_level);
    ProjectDetection det = detect(p.state, p.id, obs, now, thresholds_for(*config, level));
    const bool gone = ok && is_gone_status(obs.progress.status);
    if (gone) finish_project(p.id, det.state, "status is " + obs.progress.status, det.findings);

    // The OMS's route walks all its projects: it matters only while its polls
    // fail or it is unreachable (a success of a reachable OMS finds nothing).
    std::string oms_level = obs.outcome == Observation::Outcome::failed || o.state.unreachable
                                ? oms_route_level(o, p, det.state.alarm_level)
                                : std::string("MEDIUM");
    OmsDetection oms_det =
        detect_oms(o.state, o.config.name, obs.outcome != Observation::Outcome::failed, obs.error,
                   o.projects.size(), now, thresholds_for(*config, oms_level));

    storage::ObservationWrite write;
    write.now = to_unix_ms(now);
    write.oms = o.config.name;
    write.project_id = p.id;
    write.sample = make_sample(o, p, obs, now, latency);
    write.project_state_json = to_json(det.state);
    std::string oms_json = to_json(oms_det.state);
    if (oms_json != o.state_json) write.oms_state_json = oms_json;
    // Only events carry the progress.
    std::string progress_json = ok && !det.findings.empty()
                                    ? boost::json::serialize(progress_to_json(obs.progress))
                                    : std::string("{}");
    ProjectState previous = std::move(p.state);
    p.state = std::move(det.state);
    add_events(write, o, p, det.findings, progress_json);
    add_oms_events(write, o, oms_level, oms_det.findings);

    log_poll(o, p, obs);
    if (Metrics* m = options.metrics) {
      m->poll_completed(o.config.name,
                        ok                                                 ? PollResult::ok
                        : obs.outcome == Observation::Outcome::unavailable ? PollResult::unavailable
                                                                           : PollResult::error,
                        std::chrono::duration<double>(latency));
      if (ok) {
        const auto& sample = *write.sample;
        m->project_observed(o.config.name, p.id, sample.status, sample.struct_progress,
                            sample.full_progress, sample.incr_lag_s);
      }
    }
    if (!commit(write, o, p)) {
      // Keep the previous state: the next poll detects the same events again,
      // so nothing is lost while the database refuses writes.
      p.state = std::move(previous);
      return;
    }
    o.state = std::move(oms_det.state);
    if (write.oms_state_json) o.state_json = std::move(*write.oms_state_json);
    if (gone) remove_project(o, p.id, "");
  }

  void add_events(storage::ObservationWrite& write, const Oms& o, const Project& p,
                  const std::vector<Finding>& findings, const std::string& progress_json) {
    const std::string level = level_or_medium(p.state.alarm_level);
    for (const auto& f : findings) add_event(write, o, p.id, p.name, level, f, progress_json);
  }

  void add_oms_events(storage::ObservationWrite& write, const Oms& o, const std::string& level,
                      const std::vector<Finding>& findings) {
    for (const auto& f : findings) add_event(write, o, "", "", level, f, "{}");
  }

  void add_event(storage::ObservationWrite& write, const Oms& o, const std::string& project_id,
                 const std::string& project_name, const std::string& level, const Finding& f,
                 const std::string& progress_json) {
    storage::EventRecord e;
    e.id = new_event_id();
    e.oms = o.config.name;
    e.project_id = project_id;
    e.project_name = project_name;
    e.kind = f.kind;
    e.state = f.state;
    e.severity = std::string(to_string(f.severity));
    e.alarm_level = level;
    e.summary = f.summary;
    e.details_json = boost::json::serialize(f.details);
    e.progress_json = progress_json;
    e.observed_at = write.now;
    // The route's group_wait holds the first attempt back, so that what
    // happens within it goes out as one message.
    const auto due_at = write.now + config->route_for(level).group_wait.count();
    for (auto& r : notifiers::route_event(*config, level, f.severity)) {
      write.deliveries.push_back({e.id, std::move(r), due_at});
    }
    write.events.push_back(std::move(e));
  }

  bool commit(const storage::ObservationWrite& write, const Oms& o, const Project& p) {
    WriteBackoff& backoff = *options.write_backoff;
    const bool tried = backoff.may_write();
    Expected<void> committed = tried ? store.record(write) : Expected<void>(make_error("skipped"));
    if (!committed) {
      if (options.metrics) options.metrics->database_write_failed();
      ++counters.store_errors;
      ++counters.consecutive_store_errors;
      if (tried) {
        backoff.failed();
        last_store_error = committed.error();
      } else {
        ++counters.store_skipped;
      }
      switch (store_run.failed()) {
        case FailureRun::Say::start:
          spdlog::error(
              "could not store the poll of project {} on {}: {}. Until the database accepts "
              "writes, polls go on without being stored, writes are retried after a pause "
              "(up to 30s), and what they detect is detected again once they succeed",
              p.id, o.config.name, committed.error());
          break;
        case FailureRun::Say::summary:
          spdlog::warn(
              "the database still refuses writes after {}: {} poll(s) not stored; "
              "the latest error: {}",
              describe_lasted(store_run.lasted()), store_run.failures(), last_store_error);
          break;
        case FailureRun::Say::quiet:
          if (tried) {
            spdlog::debug("could not store the poll of project {} on {} ({} in a row): {}", p.id,
                          o.config.name, counters.consecutive_store_errors, committed.error());
          }
          break;
      }
      return false;
    }
    backoff.succeeded();
    const auto lasted = store_run.lasted();
    if (const auto failures = store_run.recovered()) {
      spdlog::info(
          "the database accepts writes again after {}: {} poll(s) were not stored; "
          "what they detected is being detected again",
          describe_lasted(lasted), failures);
    }
    counters.consecutive_store_errors = 0;
    counters.events += write.events.size();
    for (const auto& e : write.events) {
      if (options.metrics) options.metrics->event_recorded(e.kind, e.state);
      log_event(spdlog::level::info,
                {{"OMS", e.oms}, {"PROJECT_ID", e.project_id}, {"EVENT_KIND", e.kind}},
                "event {} {} {} [{}]: {}", e.kind, e.state,
                e.project_id.empty() ? e.oms : e.project_id, e.severity, e.summary);
    }
    if (!write.deliveries.empty() && options.on_committed) options.on_committed();
    return true;
  }

  std::string oms_route_level(const Oms& o, const Project& current,
                              const std::string& current_level) {
    std::vector<std::string> levels;
    levels.reserve(o.projects.size());
    for (const auto& [id, q] : o.projects) {
      const std::string& l = q.get() == &current ? current_level : q->state.alarm_level;
      levels.push_back(level_or_medium(l));
    }
    return notifiers::highest_alarm_level(levels);
  }

  storage::Sample make_sample(const Oms& o, const Project& p, const Observation& obs, TimePoint now,
                              std::chrono::microseconds latency) {
    storage::Sample s;
    s.oms = o.config.name;
    s.project_id = p.id;
    s.observed_at = to_unix_ms(now);
    s.latency_us = latency.count();
    switch (obs.outcome) {
      case Observation::Outcome::ok: {
        ++counters.polls_ok;
        s.outcome = "ok";
        const auto& pr = obs.progress;
        s.status = pr.status;
        s.alarm_level = pr.alarm_level;
        s.current_step = pr.current_step;
        s.struct_progress = pr.struct_transfer_progress;
        s.full_progress = pr.full_transfer_progress;
        s.incr_checkpoint = pr.incr_sync_checkpoint.raw;
        s.reverse_checkpoint = pr.reverse_incr_transfer_checkpoint.raw;
        const std::int64_t oms_now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                           obs.server_time.value_or(now).time_since_epoch())
                                           .count();
        auto lag = [&](const oms::Checkpoint& c) -> std::optional<std::int64_t> {
          if (!c.unix_seconds) return std::nullopt;
          return oms_now_s - *c.unix_seconds;
        };
        s.incr_lag_s = lag(pr.incr_sync_checkpoint);
        s.reverse_lag_s = lag(pr.reverse_incr_transfer_checkpoint);
        break;
      }
      case Observation::Outcome::unavailable:
        ++counters.polls_unavailable;
        s.outcome = "unavailable";
        s.error = obs.error;
        break;
      case Observation::Outcome::failed:
        ++counters.polls_failed;
        s.outcome = "error";
        s.error = obs.error;
        break;
    }
    return s;
  }

  // Failing polls are logged per OMS, so that an outage writes a bounded
  // number of lines whatever the number of projects: a warning for each of
  // the first kProjectLinesPerRun projects that start failing, one line when
  // more do, a summary every five minutes while any fails, and one line when
  // each logged project (and, after a larger run, every project) recovers.
  // Every other failure is a debug line.
  void log_poll(Oms& o, Project& p, const Observation& obs) {
    const bool failed = obs.outcome != Observation::Outcome::ok;
    // Almost every poll: a debug line at most, so no journal fields to set up
    // unless it is written.
    if (!failed && !p.last_poll_failed) {
      if (spdlog::should_log(spdlog::level::debug)) {
        LogFieldScope fields({{"OMS", o.config.name}, {"PROJECT_ID", p.id}});
        spdlog::debug("polled project {} on {}: {} {}", p.id, o.config.name, obs.progress.status,
                      obs.progress.current_step);
      }
      return;
    }
    LogFieldScope fields({{"OMS", o.config.name}, {"PROJECT_ID", p.id}});
    if (!failed) {
      poll_recovered(o, p, /*log_project=*/true);
      p.last_poll_failed = false;
      return;
    }
    const auto say = o.poll_run.failed();
    if (!p.last_poll_failed) {
      ++o.projects_failing;
      if (o.projects_logged < kProjectLinesPerRun) {
        ++o.projects_logged;
        p.failure_logged = true;
        spdlog::warn("poll of project {} on {} failed: {}", p.id, o.config.name, obs.error);
      } else if (!o.more_failing_logged) {
        o.more_failing_logged = true;
        spdlog::warn(
            "polls of more projects on {} fail ({} now; the latest, {}: {}); a summary "
            "follows every 5m while they do",
            o.config.name, o.projects_failing, p.id, obs.error);
      } else {
        spdlog::debug("poll of project {} on {} failed: {}", p.id, o.config.name, obs.error);
      }
    } else {
      spdlog::debug("poll of project {} on {} failed again: {}", p.id, o.config.name, obs.error);
    }
    if (say == FailureRun::Say::summary) {
      spdlog::warn(
          "{} of {} project(s) on {} still fail their polls after {} ({} failed polls); "
          "the latest, {}: {}",
          o.projects_failing, o.projects.size(), o.config.name,
          describe_lasted(o.poll_run.lasted()), o.poll_run.failures(), p.id, obs.error);
    }
    p.last_poll_failed = true;
  }

  void poll_recovered(Oms& o, Project& p, bool log_project) {
    if (o.projects_failing > 0) --o.projects_failing;
    if (p.failure_logged && log_project) {
      spdlog::info("poll of project {} on {} succeeds again", p.id, o.config.name);
    }
    p.failure_logged = false;
    if (o.projects_failing > 0) return;
    const auto lasted = o.poll_run.lasted();
    const auto failures = o.poll_run.recovered();
    if (o.more_failing_logged) {
      spdlog::info("polls of every project on {} succeed again after {} ({} failed polls)",
                   o.config.name, describe_lasted(lasted), failures);
    }
    o.projects_logged = 0;
    o.more_failing_logged = false;
  }

  // --- discovery

  void start_discovery(const std::shared_ptr<Oms>& o) {
    o->discovering = true;
    asio::co_spawn(executor, discovery_loop(shared_from_this(), o),
                   asio::bind_cancellation_slot(o->discover_cancel.slot(), asio::detached));
  }

  static asio::awaitable<void> discovery_loop(std::shared_ptr<Impl> self, std::shared_ptr<Oms> o) {
    asio::steady_timer timer(self->executor);
    while (!self->stopped && o->active && o->discovering) {
      try {
        co_await self->discover_once(o);
      } catch (const std::exception& e) {
        spdlog::error("discovery on {} failed unexpectedly: {}", o->config.name, e.what());
      }
      timer.expires_after(o->config.discover_every);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  }

  asio::awaitable<void> discover_once(std::shared_ptr<Oms> o) {
    auto client = o->client;
    oms::ListFilter filter;
    filter.types = o->config.discover_types;
    std::vector<oms::ProjectSummary> listed;
    for (int page = 1; page <= kMaxListPages; ++page) {
      auto call = co_await client->list_projects(filter, page, kListPageSize);
      if (stopped || !o->active || !o->discovering) co_return;
      if (!call.ok() || !call.reply.data) {
        // An incomplete listing changes nothing: a project missing from it
        // may only be on the page that failed.
        const std::string error =
            call.transport_error.value_or(describe_api_error(call.reply.error));
        switch (o->list_run.failed()) {
          case FailureRun::Say::start:
            spdlog::warn("cannot list the projects of OMS {}: {}; tried again every {}",
                         o->config.name, error, config::format_duration(o->config.discover_every));
            break;
          case FailureRun::Say::summary:
            spdlog::warn("still cannot list the projects of OMS {} after {} ({} attempts): {}",
                         o->config.name, describe_lasted(o->list_run.lasted()),
                         o->list_run.failures(), error);
            break;
          case FailureRun::Say::quiet:
            spdlog::debug("cannot list the projects of OMS {}: {}", o->config.name, error);
            break;
        }
        co_return;
      }
      auto& items = call.reply.data->items;
      const std::size_t n = items.size();
      for (auto& item : items) listed.push_back(std::move(item));
      if (n < static_cast<std::size_t>(kListPageSize)) break;
    }
    const auto list_lasted = o->list_run.lasted();
    if (const auto failures = o->list_run.recovered()) {
      spdlog::info("listing the projects of OMS {} works again after {} ({} failed attempts)",
                   o->config.name, describe_lasted(list_lasted), failures);
    }
    const auto& labels = o->config.discover_labels;
    std::set<std::string> wanted;
    for (const auto& item : listed) {
      if (item.id.empty() || is_gone_status(item.status)) continue;
      if (!o->config.discover_types.empty() &&
          std::find(o->config.discover_types.begin(), o->config.discover_types.end(), item.type) ==
              o->config.discover_types.end()) {
        continue;
      }
      if (!labels.empty() && std::none_of(item.labels.begin(), item.labels.end(), [&](auto& l) {
            return std::find(labels.begin(), labels.end(), l) != labels.end();
          })) {
        continue;
      }
      wanted.insert(item.id);
      bool added = !o->projects.count(item.id);
      Project& p = add_project(o, item.id, random_offset(o->config));
      p.discovered = true;
      if (!item.name.empty()) p.name = item.name;
      if (added)
        spdlog::info("discovered project {} ({}) on {}", item.id, item.name, o->config.name);
    }
    std::vector<std::string> gone;
    for (auto& [id, p] : o->projects) {
      if (p->discovered && !wanted.count(id)) {
        p->discovered = false;
        if (!p->configured) gone.push_back(id);
      }
    }
    for (const auto& id : gone) remove_project(*o, id, "no longer listed by OMS");
  }
};

Watcher::Watcher(asio::any_io_executor executor, std::shared_ptr<const config::Config> config,
                 storage::Store& store, net::HttpClient& http, WatcherOptions options)
    : impl_(std::make_shared<Impl>(executor, std::move(config), store, http, std::move(options))) {}

Watcher::~Watcher() { impl_->stop(); }

void Watcher::start() { impl_->start(); }
void Watcher::stop() { impl_->stop(); }
void Watcher::apply(std::shared_ptr<const config::Config> config) {
  impl_->apply(std::move(config));
}
const WatcherCounters& Watcher::counters() const { return impl_->counters; }

std::size_t Watcher::watched_projects() const {
  std::size_t n = 0;
  for (const auto& [name, o] : impl_->deployments) n += o->projects.size();
  return n;
}

std::vector<std::pair<std::string, TimePoint>> Watcher::unreachable_oms() const {
  std::vector<std::pair<std::string, TimePoint>> out;
  for (const auto& [name, o] : impl_->deployments) {
    if (o->state.unreachable) out.emplace_back(name, o->state.unreachable->since);
  }
  return out;
}

std::size_t Watcher::conditions_firing() const {
  std::size_t n = 0;
  for (const auto& [name, o] : impl_->deployments) {
    if (o->state.unreachable) ++n;
    for (const auto& [id, p] : o->projects) n += p->state.firing.size();
  }
  return n;
}

}  // namespace omswatch::daemon
