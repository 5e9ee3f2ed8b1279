#include "daemon/watcher.h"

#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/time.h"
#include "daemon/slots.h"
#include "notifiers/router.h"
#include "oms/client.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string new_event_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                          (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
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

namespace {

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

}  // namespace

struct Watcher::Impl : std::enable_shared_from_this<Impl> {
  struct Project {
    std::string id;
    ProjectState state;
    bool last_poll_failed = false;
    asio::cancellation_signal cancel;
  };
  struct Oms {
    const config::OmsDeployment* config = nullptr;
    std::unique_ptr<oms::Client> client;
    std::unique_ptr<Slots> slots;
    OmsState state;
    std::string state_json;
    std::vector<std::unique_ptr<Project>> projects;
  };

  Impl(asio::any_io_executor ex, const config::Config& cfg, storage::Store& st,
       net::HttpClient& http_client, WallClock c, std::function<void()> committed)
      : executor(ex), config(cfg), store(st), http(http_client), clock(std::move(c)),
        on_committed(std::move(committed)) {}

  asio::any_io_executor executor;
  const config::Config& config;
  storage::Store& store;
  net::HttpClient& http;
  WallClock clock;
  std::function<void()> on_committed;
  std::vector<std::unique_ptr<Oms>> deployments;
  WatcherCounters counters;
  bool stopped = false;

  void start() {
    std::map<std::pair<std::string, std::string>, ProjectState> saved;
    for (auto& row : store.load_project_states()) {
      auto parsed = project_state_from_json(row.state_json);
      if (!parsed) {
        spdlog::warn("ignoring the saved state of project {} on {}: {}", row.project_id, row.oms,
                     parsed.error());
        continue;
      }
      saved[{row.oms, row.project_id}] = std::move(*parsed);
    }
    for (const auto& d : config.oms) {
      auto o = std::make_unique<Oms>();
      o->config = &d;
      o->client = oms::make_client(
          http, oms::Endpoint{d.name, d.url, d.username, d.password.reveal(), d.timeout});
      o->slots = std::make_unique<Slots>(executor, d.max_in_flight);
      if (auto json = store.load_oms_state(d.name)) {
        if (auto parsed = oms_state_from_json(*json)) {
          o->state = std::move(*parsed);
          o->state_json = *json;
        }
      }
      for (const auto& id : d.projects) {
        auto p = std::make_unique<Project>();
        p->id = id;
        if (auto it = saved.find({d.name, id}); it != saved.end()) p->state = it->second;
        o->projects.push_back(std::move(p));
      }
      deployments.push_back(std::move(o));
    }
    auto self = shared_from_this();
    for (auto& o : deployments) {
      const std::size_t n = o->projects.size();
      for (std::size_t i = 0; i < n; ++i) {
        // Spread the first polls over the interval so an OMS never sees a burst.
        auto offset = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            o->config->interval * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(n));
        Project& p = *o->projects[i];
        asio::co_spawn(executor, poll_loop(self, *o, p, offset),
                       asio::bind_cancellation_slot(p.cancel.slot(), asio::detached));
      }
      spdlog::info("watching {} project(s) on OMS {} every {}", n, o->config->name,
                   config::format_duration(o->config->interval));
    }
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    for (auto& o : deployments) {
      for (auto& p : o->projects) p->cancel.emit(asio::cancellation_type::terminal);
    }
  }

  static asio::awaitable<void> poll_loop(std::shared_ptr<Impl> self, Oms& o, Project& p,
                                         std::chrono::steady_clock::duration offset) {
    asio::steady_timer timer(self->executor);
    auto next = std::chrono::steady_clock::now() + offset;
    const auto interval =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(o.config->interval);
    while (!self->stopped) {
      timer.expires_at(next);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (self->stopped || ec) co_return;
      if (!co_await o.slots->acquire()) co_return;
      try {
        co_await self->poll_once(o, p);
      } catch (const std::exception& e) {
        // A broken invariant in one poll must not end the project's loop.
        spdlog::error("poll of project {} on {} failed unexpectedly: {}", p.id, o.config->name,
                      e.what());
      }
      o.slots->release();
      // Fixed-rate schedule: a slow poll does not shift the following ones,
      // and a poll that overran its slot is not made up with a burst.
      next += interval;
      auto now = std::chrono::steady_clock::now();
      if (next < now) next = now + (interval - (now - next) % interval);
    }
  }

  asio::awaitable<void> poll_once(Oms& o, Project& p) {
    auto call = co_await o.client->describe_progress(p.id);
    if (stopped) co_return;
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
      if (obs.progress.project_id.empty()) obs.progress.project_id = p.id;
      if (obs.progress.status == "FAILED" && p.state.status != "FAILED") {
        obs.failed_step = co_await fetch_failed_step(o, p.id);
        if (stopped) co_return;
      }
    }
    record(o, p, obs, call.latency);
  }

  // The reason for a failure, from DescribeProjectSteps. Its own failure must
  // not hold the alert back: then the alert goes out without it.
  asio::awaitable<std::optional<oms::ProjectStep>> fetch_failed_step(Oms& o,
                                                                     const std::string& id) {
    auto steps = co_await o.client->describe_steps(id);
    if (!steps.ok() || !steps.reply.data) {
      spdlog::warn("project {} on {} FAILED; its steps could not be read: {}", id, o.config->name,
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
    const TimePoint now = clock();
    const std::int64_t now_ms = to_unix_ms(now);
    const std::string& oms_name = o.config->name;

    // The route (and its thresholds) of the level the project has now.
    std::string level = level_or_medium(obs.outcome == Observation::Outcome::ok &&
                                                !obs.progress.alarm_level.empty()
                                            ? obs.progress.alarm_level
                                            : p.state.alarm_level);
    ProjectDetection det = detect(p.state, p.id, obs, now, thresholds_for(config, level));

    std::string oms_level = oms_route_level(o, p, det.state.alarm_level);
    OmsDetection oms_det = detect_oms(o.state, oms_name, obs.outcome != Observation::Outcome::failed,
                                      obs.error, o.projects.size(), now,
                                      thresholds_for(config, oms_level));

    storage::ObservationWrite write;
    write.now = now_ms;
    write.oms = oms_name;
    write.project_id = p.id;
    write.sample = make_sample(o, p, obs, now, latency);
    write.project_state_json = to_json(det.state);
    std::string oms_json = to_json(oms_det.state);
    if (oms_json != o.state_json) write.oms_state_json = oms_json;

    std::string progress_json = obs.outcome == Observation::Outcome::ok
                                    ? boost::json::serialize(progress_to_json(obs.progress))
                                    : std::string("{}");
    auto add = [&](const Finding& f, const std::string& project_id, const std::string& lvl) {
      storage::EventRecord e;
      e.id = new_event_id();
      e.oms = oms_name;
      e.project_id = project_id;
      e.kind = f.kind;
      e.state = f.state;
      e.severity = std::string(to_string(f.severity));
      e.alarm_level = lvl;
      e.summary = f.summary;
      e.details_json = boost::json::serialize(f.details);
      e.progress_json = project_id.empty() ? "{}" : progress_json;
      e.observed_at = now_ms;
      for (auto& r : notifiers::route_event(config, lvl, f.severity)) {
        write.deliveries.push_back({e.id, std::move(r)});
      }
      write.events.push_back(std::move(e));
    };
    for (const auto& f : det.findings) add(f, p.id, level_or_medium(det.state.alarm_level));
    for (const auto& f : oms_det.findings) add(f, "", oms_level);

    log_poll(o, p, obs);
    auto committed = store.record(write);
    if (!committed) {
      // Keep the previous state: the next poll detects the same events again,
      // so nothing is lost while the database refuses writes.
      ++counters.store_errors;
      spdlog::error("could not store the poll of project {} on {}: {}", p.id, oms_name,
                    committed.error());
      return;
    }
    p.state = std::move(det.state);
    o.state = std::move(oms_det.state);
    if (write.oms_state_json) o.state_json = std::move(*write.oms_state_json);
    counters.events += write.events.size();
    for (const auto& e : write.events) {
      spdlog::info("event {} {} {} [{}]: {}", e.kind, e.state, e.project_id.empty() ? e.oms : e.project_id,
                   e.severity, e.summary);
    }
    if (!write.deliveries.empty() && on_committed) on_committed();
  }

  std::string oms_route_level(const Oms& o, const Project& current, const std::string& current_level) {
    std::vector<std::string> levels;
    levels.reserve(o.projects.size());
    for (const auto& q : o.projects) {
      const std::string& l = q.get() == &current ? current_level : q->state.alarm_level;
      levels.push_back(level_or_medium(l));
    }
    return notifiers::highest_alarm_level(levels);
  }

  storage::Sample make_sample(const Oms& o, const Project& p, const Observation& obs,
                              TimePoint now, std::chrono::microseconds latency) {
    storage::Sample s;
    s.oms = o.config->name;
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
        const TimePoint oms_now = obs.server_time.value_or(now);
        auto lag = [&](const oms::Checkpoint& c) -> std::optional<std::int64_t> {
          if (!c.unix_seconds) return std::nullopt;
          return std::chrono::duration_cast<std::chrono::seconds>(oms_now.time_since_epoch())
                     .count() -
                 *c.unix_seconds;
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

  // One warning when a project's polls start failing and one when they
  // recover; the failures between are debug lines, so an outage does not
  // flood the log.
  void log_poll(Oms& o, Project& p, const Observation& obs) {
    const bool failed = obs.outcome != Observation::Outcome::ok;
    if (failed && !p.last_poll_failed) {
      spdlog::warn("poll of project {} on {} failed: {}", p.id, o.config->name, obs.error);
    } else if (failed) {
      spdlog::debug("poll of project {} on {} failed again: {}", p.id, o.config->name, obs.error);
    } else if (p.last_poll_failed) {
      spdlog::info("poll of project {} on {} succeeds again", p.id, o.config->name);
    } else {
      spdlog::debug("polled project {} on {}: {} {}", p.id, o.config->name, obs.progress.status,
                    obs.progress.current_step);
    }
    p.last_poll_failed = failed;
  }
};

Watcher::Watcher(asio::any_io_executor executor, const config::Config& config,
                 storage::Store& store, net::HttpClient& http, WallClock clock,
                 std::function<void()> on_committed)
    : impl_(std::make_shared<Impl>(executor, config, store, http, std::move(clock),
                                   std::move(on_committed))) {}

Watcher::~Watcher() { impl_->stop(); }

void Watcher::start() { impl_->start(); }
void Watcher::stop() { impl_->stop(); }
const WatcherCounters& Watcher::counters() const { return impl_->counters; }
std::size_t Watcher::watched_projects() const {
  std::size_t n = 0;
  for (const auto& o : impl_->deployments) n += o->projects.size();
  return n;
}

}  // namespace omswatch::daemon
