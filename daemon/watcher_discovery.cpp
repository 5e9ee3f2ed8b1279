#include "daemon/loop_end.h"
#include "daemon/watcher_impl.h"

namespace omswatch::daemon {

void Watcher::Impl::start_discovery(const std::shared_ptr<Oms>& o) {
  o->discovering = true;
  asio::co_spawn(
      executor, discovery_loop(shared_from_this(), o),
      asio::bind_cancellation_slot(o->discover_cancel.slot(),
                                   log_loop_end("discovery loop of OMS " + o->config.name)));
}

asio::awaitable<void> Watcher::Impl::discovery_loop(std::shared_ptr<Impl> self,
                                                    std::shared_ptr<Oms> o) {
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

asio::awaitable<void> Watcher::Impl::discover_once(std::shared_ptr<Oms> o) {
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
      const std::string error = call.transport_error.value_or(describe_api_error(call.reply.error));
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
    if (added) spdlog::info("discovered project {} ({}) on {}", item.id, item.name, o->config.name);
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

}  // namespace omswatch::daemon
