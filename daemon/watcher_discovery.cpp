// Discovery (`discover = true`): ListProjects adds the projects it returns
// and drops those that disappear. A listing is also a poll of the OMS: one
// that fails counts toward oms_unreachable like a failed progress poll (an
// OMS watched through discovery alone, down at start, is reported), and is
// tried again at the poll interval rather than discover_every; a reload
// lists again at once.

#include "daemon/loop_end.h"
#include "daemon/watcher_impl.h"

namespace omswatch::daemon {

void Watcher::Impl::start_discovery(const std::shared_ptr<Oms>& o) {
  o->discovering = true;
  o->discover_timer = std::shared_ptr<WatchTimer>(steady.make_timer(executor));
  asio::co_spawn(
      executor, discovery_loop(shared_from_this(), o, o->discover_timer),
      asio::bind_cancellation_slot(o->discover_cancel.slot(),
                                   log_loop_end("discovery loop of OMS " + o->config.name)));
}

void Watcher::Impl::discover_soon(Oms& o) {
  if (!o.discovering || !o.discover_timer) return;
  o.discover_now = true;
  o.discover_timer->cancel();  // when the loop waits; else it sees discover_now
}

void Watcher::Impl::record_listing(Oms& o, bool answered, const std::string& error) {
  const TimePoint now = options.clock();
  const std::string level = oms_route_level(project_levels(o));
  OmsDetection det = detect_oms(o.state, o.config.name, answered, error, o.projects.size(), now,
                                thresholds_for(*config, level));
  std::string json = to_json(det.state);
  if (json == o.state_json && det.findings.empty()) return;
  storage::ObservationWrite write;
  write.now = to_unix_ms(now);
  write.oms = o.config.name;
  write.oms_state_json = json;
  add_oms_events(write, o, level, det.findings);
  if (!commit(write)) return;  // the next listing detects it again
  o.state = std::move(det.state);
  o.state_json = std::move(json);
}

asio::awaitable<void> Watcher::Impl::discovery_loop(std::shared_ptr<Impl> self,
                                                    std::shared_ptr<Oms> o,
                                                    std::shared_ptr<WatchTimer> timer) {
  const auto running = [&] {
    return !self->stopped && o->active && o->discovering && o->discover_timer == timer;
  };
  while (running()) {
    o->discover_now = false;
    bool listed = false;
    try {
      listed = co_await self->discover_once(o);
    } catch (const std::exception& e) {
      spdlog::error("discovery on {} failed unexpectedly: {}", o->config.name, e.what());
    }
    if (!running()) co_return;
    if (o->discover_now) continue;  // a reload came while it listed
    const auto pause =
        listed ? o->config.discover_every : std::min(o->config.interval, o->config.discover_every);
    auto [ec] =
        co_await timer->wait_until(self->steady_now() + pause, asio::as_tuple(asio::use_awaitable));
    if (ec && !o->discover_now) co_return;  // cancelled: no longer discovering
  }
}

asio::awaitable<bool> Watcher::Impl::discover_once(std::shared_ptr<Oms> o) {
  auto client = o->client;
  oms::ListFilter filter;
  filter.types = o->config.discover_types;
  std::vector<oms::ProjectSummary> listed;
  for (int page = 1; page <= kMaxListPages; ++page) {
    auto call = co_await client->list_projects(filter, page, kListPageSize);
    if (stopped || !o->active || !o->discovering) co_return false;
    // Whether OMS answered at all: a success:false reply is an answer.
    record_listing(*o, !call.transport_error, call.transport_error.value_or(""));
    if (!call.ok() || !call.reply.data) {
      const auto self_now = steady_now();
      // An incomplete listing changes nothing: a project missing from it
      // may only be on the page that failed.
      const std::string error = call.transport_error.value_or(describe_api_error(call.reply.error));
      switch (o->list_run.failed(self_now)) {
        case FailureRun::Say::start:
          spdlog::warn(
              "cannot list the projects of OMS {}: {}; tried again every {}", o->config.name, error,
              config::format_duration(std::min(o->config.interval, o->config.discover_every)));
          break;
        case FailureRun::Say::summary:
          spdlog::warn("still cannot list the projects of OMS {} after {} ({} attempts): {}",
                       o->config.name, describe_lasted(o->list_run.lasted(self_now)),
                       o->list_run.failures(), error);
          break;
        case FailureRun::Say::quiet:
          spdlog::debug("cannot list the projects of OMS {}: {}", o->config.name, error);
          break;
      }
      co_return false;
    }
    auto& items = call.reply.data->items;
    const std::size_t n = items.size();
    for (auto& item : items) listed.push_back(std::move(item));
    if (n < static_cast<std::size_t>(kListPageSize)) break;
  }
  const auto list_lasted = o->list_run.lasted(steady_now());
  if (const auto failures = o->list_run.recovered(steady_now())) {
    spdlog::info("listing the projects of OMS {} works again after {} ({} failed attempts)",
                 o->config.name, describe_lasted(list_lasted), failures);
  }
  std::map<std::string, WatchedBy> watched;
  for (const auto& [id, p] : o->projects) watched[id] = {p->configured, p->discovered};
  ListingChanges changes = follow_listing(watched, std::move(listed), o->config.discover_types,
                                          o->config.discover_labels);
  for (const auto& item : changes.wanted) {
    bool added = !o->projects.count(item.id);
    Project& p = add_project(o, item.id, random_offset(o->config));
    p.discovered = true;
    if (!item.name.empty()) p.name = item.name;
    if (added) spdlog::info("discovered project {} ({}) on {}", item.id, item.name, o->config.name);
  }
  for (const auto& id : changes.unlisted) {
    if (auto it = o->projects.find(id); it != o->projects.end()) it->second->discovered = false;
  }
  for (const auto& id : changes.removed) remove_project(*o, id, std::string(kNoLongerListed));
  co_return true;
}

}  // namespace omswatch::daemon
