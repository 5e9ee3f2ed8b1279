#include "daemon/service.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "common/time.h"
#include "daemon/dispatcher.h"
#include "daemon/http_api.h"
#include "daemon/loop_end.h"
#include "daemon/metrics.h"
#include "daemon/systemd_notify.h"
#include "daemon/write_backoff.h"
#include "net/http_client.h"
#include "storage/db_watch.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace asio = boost::asio;

struct Service::Impl {
  std::shared_ptr<const config::Config> config;
  asio::any_io_executor http_executor;
  WallClock clock;
  notifiers::SenderContext sender_context;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<storage::DatabaseFileWatch> database_files;
  WriteBackoff write_backoff;  // shared by every writer of the store
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<Watcher> watcher;
  std::unique_ptr<HttpApi> api;  // destroyed first: it reads all of the above
  asio::cancellation_signal maintenance_cancel;
  asio::cancellation_signal files_cancel;
  bool stopped = false;

  // Retention: prunes in batches of a few hundred rows (each a short
  // transaction, so polls never wait long for the database), then gives free
  // pages back; a full pass every ten minutes.
  static asio::awaitable<void> maintain(Impl* self, WallClock clock) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto pause = [&](std::chrono::milliseconds d) -> asio::awaitable<bool> {
      timer.expires_after(d);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return !ec && !self->stopped;
    };
    if (!co_await pause(std::chrono::seconds(30))) co_return;
    for (;;) {
      std::int64_t removed = 0;
      for (;;) {
        // While the database refuses writes, pruning waits for the next pass
        // instead of stalling the loop on the busy timeout.
        if (!self->write_backoff.may_write()) break;
        auto pruned = self->store->prune(to_unix_ms(clock()), 500);
        if (!pruned) {
          self->write_backoff.failed();
          spdlog::warn("pruning old history failed: {}", pruned.error());
          break;
        }
        self->write_backoff.succeeded();
        removed += pruned->removed;
        if (!pruned->more) break;
        if (!co_await pause(std::chrono::milliseconds(100))) co_return;
      }
      // Pruned space is reused by new rows anyway: the file is shrunk only
      // when a tenth of it is free, 32 pages (about a millisecond) a call.
      if (auto probe = self->write_backoff.may_write()
                           ? self->store->vacuum_step(0)
                           : Expected<storage::VacuumResult>(make_error("writes are paused"));
          probe && probe->free_pages > probe->page_count / 10) {
        for (int step = 0; step < 10'000; ++step) {
          auto vacuumed = self->store->vacuum_step(32);
          if (!vacuumed || vacuumed->released == 0 || vacuumed->free_pages == 0) break;
          if (!co_await pause(std::chrono::milliseconds(20))) co_return;
        }
      }
      if (removed > 0) spdlog::info("pruned {} row(s) of history past retention", removed);
      if (!co_await pause(std::chrono::minutes(10))) co_return;
    }
  }

  // A deleted or replaced database file is logged once, when first seen
  // (by this check every 5 s, or by /healthz); /healthz reports it from then on.
  std::optional<std::string> database_files_problem() const {
    auto found = database_files->check();
    if (found.first) spdlog::error("{}", *found.problem);
    return found.problem;
  }
  static asio::awaitable<void> watch_database_files(Impl* self) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!self->stopped && !self->database_files_problem()) {
      timer.expires_after(std::chrono::seconds(5));
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  }

  // /healthz: what an operator must look at now.
  HealthReport health(TimePoint now) const {
    HealthReport r;
    if (auto problem = database_files_problem()) r.reasons.push_back(*problem);
    const auto& c = watcher->counters();
    if (c.consecutive_store_errors >= 3) {
      r.reasons.push_back("database write failed " + std::to_string(c.consecutive_store_errors) +
                          " times in a row");
    }
    for (const auto& [oms, since] : watcher->unreachable_oms()) {
      r.reasons.push_back(
          "OMS " + oms + " unreachable for " +
          config::format_duration(std::chrono::duration_cast<config::Duration>(now - since)));
    }
    r.ok = r.reasons.empty();
    return r;
  }
};

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() {
  if (impl_) stop();
}

namespace {

// The [storage] settings as the store takes them, at start and on reload.
storage::StoreOptions history_options(const config::StorageSettings& settings) {
  storage::StoreOptions options;
  options.sample_every = settings.sample_every;
  options.keep_samples = settings.keep_samples;
  options.keep_events = settings.keep_events;
  return options;
}

}  // namespace

Expected<std::unique_ptr<Service>> Service::create(asio::io_context& ioc, config::Config config,
                                                   ServiceOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::make_shared<const config::Config>(std::move(config));
  const config::Config& cfg = *impl->config;
  WallClock clock = options.clock ? options.clock : [] { return std::chrono::system_clock::now(); };
  impl->clock = clock;
  impl->http_executor = ioc.get_executor();

  storage::StoreOptions store_options = history_options(cfg.storage);
  // Group commit (docs/performance.md): the quiet polls of 100 ms share one
  // transaction; a poll with events commits at once, with the group.
  store_options.commit_delay = std::chrono::milliseconds(100);
  auto flush_timer = std::make_shared<asio::steady_timer>(ioc);
  Impl* self = impl.get();
  store_options.on_group_opened = [flush_timer, self, delay = store_options.commit_delay] {
    // On the watcher's tick grid, so that the flush shares the wake-up of the
    // polls due then; between delay - kPollTick and delay after the group
    // opened, so a crash still loses at most `delay` of quiet writes.
    flush_timer->expires_at(
        align_to_tick(std::chrono::steady_clock::now() + delay - kPollTick, kPollTick));
    flush_timer->async_wait([self, delay](const boost::system::error_code& ec) {
      // The polls of a failed group are lost (each is polled again); the
      // next write commits on its own, and the watcher reports its failure.
      if (ec || !self->store) return;
      if (auto flushed = self->store->flush(); !flushed) {
        spdlog::warn("the polls of the last {} ms were not stored: {}", delay.count(),
                     flushed.error());
      }
    });
  };
  auto store =
      storage::Store::open(cfg.daemon.database, storage::OpenMode::read_write, store_options);
  if (!store) return make_error(store.error());
  impl->store = std::move(*store);
  impl->database_files = std::make_unique<storage::DatabaseFileWatch>(cfg.daemon.database);
  impl->metrics = std::make_unique<Metrics>(OMSWATCH_VERSION, clock);
  for (const auto& r : cfg.receivers) impl->metrics->declare_receiver(r.name);

  net::HttpClientOptions http_options;
  http_options.extra_ca_file = options.extra_ca_file;
  http_options.user_agent = "omswatch/" OMSWATCH_VERSION;
  impl->http = std::make_unique<net::HttpClient>(ioc.get_executor(), http_options);

  notifiers::SenderContext& ctx = impl->sender_context;
  ctx.http = impl->http.get();
  ctx.now = clock;
  ctx.redact = Redactor(config::secrets_of(cfg));
  ctx.console = options.console ? options.console : [](const std::string& line) {
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  };
  std::map<std::string, std::unique_ptr<notifiers::Sender>> senders;
  for (const auto& r : cfg.receivers) {
    auto sender = notifiers::make_sender(r, ctx);
    if (!sender) return make_error(sender.error());
    senders.emplace(r.name, std::move(*sender));
  }
  impl->dispatcher =
      std::make_unique<Dispatcher>(ioc.get_executor(), *impl->store, std::move(senders), clock);
  impl->dispatcher->set_config(impl->config);
  impl->dispatcher->set_metrics(impl->metrics.get());
  impl->dispatcher->set_write_backoff(&impl->write_backoff);
  Dispatcher* dispatcher = impl->dispatcher.get();
  WatcherOptions watcher_options;
  watcher_options.clock = clock;
  watcher_options.on_committed = [dispatcher] { dispatcher->notify(); };
  watcher_options.metrics = impl->metrics.get();
  watcher_options.write_backoff = &impl->write_backoff;
  impl->watcher = std::make_unique<Watcher>(ioc.get_executor(), impl->config, *impl->store,
                                            *impl->http, std::move(watcher_options));

  ScrapeGauges gauges;
  gauges.outbox_pending = [s = impl->store.get()]() -> std::optional<std::int64_t> {
    auto pending = s->pending_count();
    if (!pending) return std::nullopt;
    return *pending;
  };
  gauges.database_size_bytes = [p = cfg.daemon.database] { return database_disk_bytes(p); };
  gauges.database_filesystem_avail_bytes =
      [p = cfg.daemon.database]() -> std::optional<std::int64_t> {
    auto fs = database_filesystem(p);
    if (!fs) return std::nullopt;
    return fs->avail_bytes;
  };
  gauges.database_filesystem_size_bytes =
      [p = cfg.daemon.database]() -> std::optional<std::int64_t> {
    auto fs = database_filesystem(p);
    if (!fs) return std::nullopt;
    return fs->size_bytes;
  };
  gauges.watched_projects = [w = impl->watcher.get()] {
    return static_cast<std::int64_t>(w->watched_projects());
  };
  gauges.conditions_firing = [w = impl->watcher.get()] {
    return static_cast<std::int64_t>(w->conditions_firing());
  };
  impl->metrics->set_scrape_gauges(std::move(gauges));
  if (!cfg.daemon.listen.empty()) {
    HttpApiOptions api_options;
    api_options.listen = cfg.daemon.listen;
    api_options.bearer_token = cfg.daemon.api_token;
    api_options.clock = clock;
    const Impl* self = impl.get();
    impl->api = std::make_unique<HttpApi>(
        ioc.get_executor(), *impl->metrics, [self, clock] { return self->health(clock()); },
        *impl->store, std::move(api_options));
    if (auto started = impl->api->start(); !started) return make_error(started.error());
  }
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

std::uint16_t Service::http_port() const { return impl_->api ? impl_->api->port() : 0; }

void Service::start() {
  impl_->dispatcher->start();
  impl_->watcher->start();
  asio::co_spawn(impl_->http_executor, Impl::maintain(impl_.get(), impl_->clock),
                 asio::bind_cancellation_slot(impl_->maintenance_cancel.slot(),
                                              log_loop_end("retention loop")));
  asio::co_spawn(impl_->http_executor, Impl::watch_database_files(impl_.get()),
                 asio::bind_cancellation_slot(impl_->files_cancel.slot(),
                                              log_loop_end("database file watch")));
}

void Service::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->api) impl_->api->stop();
  impl_->maintenance_cancel.emit(asio::cancellation_type::terminal);
  impl_->files_cancel.emit(asio::cancellation_type::terminal);
  impl_->watcher->stop();
  impl_->dispatcher->stop();
  impl_->http->close_idle();
}

Expected<void> Service::reload(config::Config next_config) {
  const config::Config& current = *impl_->config;
  if (next_config.daemon.database != current.daemon.database) {
    return make_error("daemon.database changed (" + current.daemon.database + " -> " +
                      next_config.daemon.database + "): that needs a restart");
  }
  // The endpoint is bound at start; a new address would not take effect.
  if (next_config.daemon.listen != current.daemon.listen) {
    return make_error("daemon.listen changed (\"" + current.daemon.listen + "\" -> \"" +
                      next_config.daemon.listen + "\"): that needs a restart");
  }
  // Build every new sender first, so a receiver that cannot be built leaves
  // everything as it was.
  std::map<std::string, std::unique_ptr<notifiers::Sender>> changed;
  impl_->sender_context.redact = Redactor(config::secrets_of(next_config));
  for (const auto& r : next_config.receivers) {
    const config::Receiver* old = current.find_receiver(r.name);
    if (old && *old == r) continue;
    auto sender = notifiers::make_sender(r, impl_->sender_context);
    if (!sender) return make_error(sender.error());
    changed.emplace(r.name, std::move(*sender));
  }
  // The last step that can refuse: what follows applies without fail.
  if (impl_->api && next_config.daemon.api_token != current.daemon.api_token) {
    if (auto swapped = impl_->api->set_bearer_token(next_config.daemon.api_token); !swapped) {
      return make_error(swapped.error());
    }
    spdlog::info("the API token changed: requests with the previous one are refused from now on");
  }
  for (const auto& r : current.receivers) {
    if (!next_config.find_receiver(r.name)) impl_->dispatcher->remove_sender(r.name);
  }
  for (auto& [name, sender] : changed) impl_->dispatcher->set_sender(name, std::move(sender));
  if (next_config.storage != current.storage) {
    impl_->store->set_history_options(history_options(next_config.storage));
  }
  if (next_config.daemon.log_level != current.daemon.log_level) {
    spdlog::set_level(spdlog::level::from_str(next_config.daemon.log_level));
  }
  impl_->config = std::make_shared<const config::Config>(std::move(next_config));
  impl_->watcher->apply(impl_->config);
  impl_->dispatcher->set_config(impl_->config);
  impl_->dispatcher->notify();
  return {};
}

const config::Config& Service::config() const { return *impl_->config; }
const Watcher& Service::watcher() const { return *impl_->watcher; }
storage::Store& Service::store() { return *impl_->store; }

namespace {

// `systemctl status` shows this line, refreshed while running.
std::string status_text(Service& service) {
  const auto pending = service.store().pending_count();
  const std::string outbox = pending ? std::to_string(*pending) : "unknown";
  return "watching " + std::to_string(service.watcher().watched_projects()) + " projects on " +
         std::to_string(service.config().oms.size()) + " OMS; " +
         std::to_string(service.watcher().conditions_firing()) + " conditions firing; outbox " +
         outbox;
}

}  // namespace

int run_daemon(config::Config config, ServiceOptions options) {
  asio::io_context ioc(1);
  const std::string config_path = config.source;
  // The signals are caught before the service starts: from the moment its
  // endpoint is announced, a SIGHUP or SIGTERM is queued for the handlers
  // below instead of ending the process with the default action.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::signal_set hangup(ioc, SIGHUP);
  auto service = Service::create(ioc, std::move(config), std::move(options));
  if (!service) {
    spdlog::critical("cannot start: {}", service.error());
    return 1;
  }
  SystemdNotifier notifier;
  // A loop that ended by an exception (logged by log_loop_end): the daemon
  // stops as on SIGTERM and exits non-zero, so that systemd restarts it with
  // every loop running, instead of going on with part of its work stopped.
  int exit_code = 0;
  LoopFailureHandler previous_handler = set_loop_failure_handler([&](const std::string&) {
    if (exit_code != 0) return;
    exit_code = kLoopFailedExitCode;
    notifier.stopping();
    (*service)->stop();
    signals.cancel();
    hangup.cancel();
    // Whatever else is still pending is abandoned: each write is one transaction.
    asio::post(ioc, [&ioc] { ioc.stop(); });
  });
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("received {}, stopping", signo == SIGINT ? "SIGINT" : "SIGTERM");
    notifier.stopping();  // also ends the watchdog timer, so that run() can return
    (*service)->stop();
    hangup.cancel();  // so that run() returns once the loops have drained
  });
  std::function<void()> wait_for_hangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      spdlog::info("received SIGHUP, reloading {}", config_path);
      notifier.reloading();
      auto loaded = config::load_file(config_path);
      for (const auto& w : loaded.warnings) spdlog::warn("{}", w.to_string());
      if (!loaded.config) {
        for (const auto& e : loaded.errors) spdlog::error("{}", e.to_string());
        spdlog::error("reload refused: {} has {} error(s); the running configuration stays",
                      config_path, loaded.errors.size());
      } else if (auto applied = (*service)->reload(std::move(*loaded.config)); !applied) {
        spdlog::error("reload refused: {}; the running configuration stays", applied.error());
      } else {
        spdlog::info("reloaded {}: {} project(s) watched", config_path,
                     (*service)->watcher().watched_projects());
      }
      notifier.ready();
      wait_for_hangup();
    });
  };
  wait_for_hangup();
  (*service)->start();
  notifier.start(ioc.get_executor(), [&] { return status_text(**service); });
  notifier.ready();  // the configuration is loaded and the database open
  spdlog::info("omswatch {} running, database {}", OMSWATCH_VERSION,
               (*service)->config().daemon.database);
  ioc.run();
  set_loop_failure_handler(std::move(previous_handler));
  if (exit_code != 0) {
    spdlog::critical("stopped after a failure (exit code {})", exit_code);
    return exit_code;
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace omswatch::daemon
