#include "daemon/watcher.h"

#include "daemon/loop_end.h"
#include "daemon/store_sink.h"
#include "daemon/watcher_impl.h"

namespace omswatch::daemon {
using namespace std::chrono_literals;

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

void Watcher::Impl::start() {
  auto rows = sink.load_project_states();
  // The saved states are read once, at start: a database that cannot be read
  // then fails the start, as one that cannot be opened does.
  if (!rows) throw storage::StorageError(rows.error());
  for (auto& row : *rows) {
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

void Watcher::Impl::stop() {
  if (stopped) return;
  stopped = true;
  for (auto& [name, o] : deployments) deactivate_oms(*o);
}

void Watcher::Impl::add_oms(const config::OmsDeployment& d) {
  auto o = std::make_shared<Oms>();
  o->config = d;
  o->client = clients(d);
  o->slots = std::make_shared<Slots>(executor, d.max_in_flight);
  auto saved_json = sink.load_oms_state(d.name);
  if (!saved_json) throw storage::StorageError(saved_json.error());
  if (const auto& json = *saved_json) {
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

void Watcher::Impl::deactivate_oms(Oms& o) {
  o.active = false;
  for (auto& [id, p] : o.projects) {
    if (options.metrics && !stopped) options.metrics->forget_project(o.config.name, id);
    p->active = false;
    p->cancel.emit(asio::cancellation_type::terminal);
    p->name_cancel.emit(asio::cancellation_type::terminal);
  }
  o.discover_cancel.emit(asio::cancellation_type::terminal);
}

Watcher::Impl::Project& Watcher::Impl::add_project(const std::shared_ptr<Oms>& o,
                                                   const std::string& id, SteadyDuration offset) {
  if (auto it = o->projects.find(id); it != o->projects.end()) return *it->second;
  auto p = std::make_shared<Project>();
  p->id = id;
  if (auto it = saved.find({o->config.name, id}); it != saved.end()) {
    p->state = std::move(it->second);
    saved.erase(it);
  }
  o->projects[id] = p;
  asio::co_spawn(
      executor, poll_loop(shared_from_this(), o, p, offset),
      asio::bind_cancellation_slot(
          p->cancel.slot(), log_loop_end("poll loop of project " + id + " on " + o->config.name)));
  return *p;
}

SteadyDuration Watcher::Impl::random_offset(const config::OmsDeployment& d) {
  auto span = std::max<std::int64_t>(1, d.interval.count());
  return std::chrono::duration_cast<SteadyDuration>(
      std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, span - 1)(rng)));
}

// Stops watching a project. With `reason`, a final project_removed event
// (and the resolution of its firing conditions) is committed first.
void Watcher::Impl::remove_project(Oms& o, const std::string& id, const std::string& reason) {
  auto it = o.projects.find(id);
  if (it == o.projects.end()) return;
  auto p = it->second;
  if (!reason.empty()) {
    std::vector<Finding> findings;
    ProjectState final_state = p->state;
    finish_project(p->id, final_state, reason, options.clock(), findings);
    storage::ObservationWrite write;
    write.now = to_unix_ms(options.clock());
    write.oms = o.config.name;
    write.project_id = id;
    write.project_state_json = to_json(final_state);
    add_events(write, o, *p, findings, "{}");
    if (!commit(write)) return;  // stays watched; tried again at the next chance
    p->state = std::move(final_state);
  }
  p->active = false;
  p->cancel.emit(asio::cancellation_type::terminal);
  p->name_cancel.emit(asio::cancellation_type::terminal);
  if (p->last_poll_failed) poll_recovered(o, *p, /*log_project=*/false);
  o.projects.erase(it);
  if (options.metrics) options.metrics->forget_project(o.config.name, id);
  spdlog::info("no longer watching project {} on {}{}{}", id, o.config.name,
               reason.empty() ? "" : ": ", reason);
}

void Watcher::Impl::apply(std::shared_ptr<const config::Config> next) {
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

void Watcher::Impl::update_oms(const std::shared_ptr<Oms>& o, const config::OmsDeployment& d) {
  const config::OmsDeployment old = o->config;
  o->config = d;  // the interval applies from the next tick of each loop
  if (!same_connection(old, d)) o->client = clients(d);
  if (old.max_in_flight != d.max_in_flight) {
    // Polls holding a slot of the old semaphore release it there.
    o->slots = std::make_shared<Slots>(executor, d.max_in_flight);
  }
  std::map<std::string, WatchedBy> watched;
  for (const auto& [id, p] : o->projects) watched[id] = {p->configured, p->discovered};
  for (auto& [id, p] : o->projects) p->configured = false;
  const std::vector<std::string> drop = dropped_by_reload(watched, d.projects, d.discover);
  for (const auto& id : drop) remove_project(*o, id, "");
  for (const auto& id : d.projects) add_project(o, id, random_offset(d)).configured = true;
  if (d.discover && !o->discovering) {
    start_discovery(o);
  } else if (d.discover) {
    discover_soon(*o);  // a reload lists again: an OMS that failed to list is tried at once
  }
  if (!d.discover && o->discovering) {
    o->discover_cancel.emit(asio::cancellation_type::terminal);
    o->discovering = false;
  }
}

asio::awaitable<void> Watcher::Impl::poll_loop(std::shared_ptr<Impl> self, std::shared_ptr<Oms> o,
                                               std::shared_ptr<Project> p, SteadyDuration offset) {
  auto timer = self->steady.make_timer(self->executor);
  auto next = self->steady_now() + offset;
  while (self->live(*o, *p)) {
    // The wake-up waits for the end of the tick `next` falls in (see
    // kPollTick); `next` itself stays exact, so nothing drifts.
    const auto interval = std::chrono::duration_cast<SteadyDuration>(o->config.interval);
    auto [ec] = co_await timer->wait_until(
        align_to_tick(next, std::min<SteadyDuration>(kPollTick, interval / 100)),
        asio::as_tuple(asio::use_awaitable));
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
    auto now = self->steady_now();
    if (next < now) next = now + (interval - (now - next) % interval);
  }
}

asio::awaitable<void> Watcher::Impl::poll_once(std::shared_ptr<Oms> o, std::shared_ptr<Project> p) {
  auto client = o->client;  // a reload may replace it while this poll runs
  if (p->name.empty() && !p->looking_up_name &&
      (!p->name_tried_at || options.clock() - *p->name_tried_at >= options.name_retry_after)) {
    p->name_tried_at = options.clock();
    p->looking_up_name = true;
    // Beside the poll, not before it: an OMS slow to answer DescribeProject
    // must not delay the progress poll, nor take a share of its timeout.
    asio::co_spawn(executor, look_up_name(shared_from_this(), o, p),
                   asio::bind_cancellation_slot(
                       p->name_cancel.slot(),
                       log_loop_end("name lookup of project " + p->id + " on " + o->config.name)));
  }
  auto call = co_await client->describe_progress(p->id);
  if (!live(*o, *p)) co_return;
  const auto latency = call.latency;
  Observation obs = observation_from_reply(std::move(call), p->id);
  if (obs.outcome == Observation::Outcome::ok) {
    co_await read_extras(*client, *o, *p, obs);
    if (!live(*o, *p)) co_return;
  }
  record(*o, *p, obs, latency);
}

asio::awaitable<void> Watcher::Impl::look_up_name(std::shared_ptr<Impl> self,
                                                  std::shared_ptr<Oms> o,
                                                  std::shared_ptr<Project> p) {
  auto client = o->client;
  std::optional<std::string> name;
  try {
    auto info = co_await client->describe_project(p->id);
    if (info.ok() && info.reply.data) name = info.reply.data->name;
  } catch (const std::exception& e) {
    // Only the name is missing: the polls go on, and it is tried again later.
    spdlog::debug("the name of project {} on {} could not be read: {}", p->id, o->config.name,
                  e.what());
  }
  p->looking_up_name = false;
  if (name && self->live(*o, *p) && p->name.empty()) p->name = std::move(*name);
}

Watcher::Watcher(asio::any_io_executor executor, std::shared_ptr<const config::Config> config,
                 storage::Store& store, net::HttpClient& http, WatcherOptions options)
    : impl_(std::make_shared<Impl>(
          executor, std::move(config), nullptr, std::make_unique<StoreSink>(store),
          [&http](const config::OmsDeployment& d) {
            return oms::make_client(
                http, oms::Endpoint{d.name, d.url, d.username, d.password.reveal(), d.timeout});
          },
          std::move(options))) {}

Watcher::Watcher(asio::any_io_executor executor, std::shared_ptr<const config::Config> config,
                 ObservationSink& sink, OmsClientFactory clients, WatcherOptions options)
    : impl_(std::make_shared<Impl>(executor, std::move(config), &sink, nullptr, std::move(clients),
                                   std::move(options))) {}

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
