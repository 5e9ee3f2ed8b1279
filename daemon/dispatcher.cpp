#include "daemon/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <cstdio>
#include <random>

#include "common/time.h"
#include "daemon/logging.h"
#include "daemon/loop_end.h"
#include "daemon/metrics.h"
#include "daemon/write_backoff.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace asio = boost::asio;

namespace {

notifiers::Event to_event(const storage::EventRecord& r, const config::Config* config) {
  notifiers::Event e;
  e.id = r.id;
  e.project_name = r.project_name;
  if (config) {
    if (const auto* oms = config->find_oms(r.oms))
      e.link = console_link(oms->console_url, r.project_id);
  }
  e.kind = r.kind;
  e.state = r.state;
  e.severity = parse_severity(r.severity).value_or(Severity::info);
  e.oms = r.oms;
  e.project_id = r.project_id;
  e.alarm_level = r.alarm_level;
  e.summary = r.summary;
  e.observed_at = from_unix_ms(r.observed_at);
  e.details_json = r.details_json.empty() ? "{}" : r.details_json;
  e.progress_json = r.progress_json.empty() ? "{}" : r.progress_json;
  return e;
}

}  // namespace

struct Dispatcher::Impl : std::enable_shared_from_this<Impl> {
  struct FinalOutcome {
    std::string status;  // "delivered", "failed" or "silenced"
    std::string reason;
  };
  struct Worker {
    std::unique_ptr<notifiers::Sender> sender;
    std::unique_ptr<asio::steady_timer> wake;
    asio::cancellation_signal cancel;
    asio::cancellation_signal resend_cancel;
    bool retired = false;  // replaced or removed by a reload, or stopped
    // The platform's rate limit asked for a pause until then.
    std::chrono::steady_clock::time_point not_before{};
    // For senders that re-send what holds (Alertmanager): the latest firing
    // event of each open condition delivered, by oms/project/kind.
    std::map<std::string, notifiers::Event> open;
    // Rows whose outcome is known but could not be written yet (the database
    // refused the write): kept here, never sent again, and written first
    // once writes succeed, so a delivered event is not delivered twice.
    std::map<std::int64_t, FinalOutcome> unrecorded;
    FailureRun delivery_run;  // failed attempts (retries) in a row
    FailureRun reject_run;    // messages refused for good since the last delivery
    FailureRun reminder_run;
  };

  static std::string condition_key(const notifiers::Event& e) {
    return e.oms + "\n" + e.project_id + "\n" + e.kind;
  }

  // Events that fall due within this window after the first due one join its
  // message: the longest group_wait of the routes that send to the receiver.
  std::int64_t group_window_ms(const std::string& receiver) const {
    std::int64_t window = 0;
    if (!config) return 0;
    for (const auto& [level, route] : config->routes) {
      if (std::find(route.receivers.begin(), route.receivers.end(), receiver) !=
          route.receivers.end()) {
        window = std::max<std::int64_t>(window, route.group_wait.count());
      }
    }
    return window;
  }

  Impl(asio::any_io_executor ex, storage::Store& st,
       std::map<std::string, std::unique_ptr<notifiers::Sender>> s, WallClock c, RetryPolicy p)
      : executor(ex), store(st), clock(std::move(c)), policy(p), sweep(ex) {
    own_backoff = std::make_unique<WriteBackoff>();
    write_backoff = own_backoff.get();
    for (auto& [name, sender] : s) set_sender(name, std::move(sender));
  }

  asio::any_io_executor executor;
  storage::Store& store;
  WallClock clock;
  RetryPolicy policy;
  std::map<std::string, std::shared_ptr<Worker>> workers;
  std::shared_ptr<const config::Config> config;
  Metrics* metrics = nullptr;
  std::unique_ptr<WriteBackoff> own_backoff;
  WriteBackoff* write_backoff = nullptr;
  FailureRun write_run;  // outbox updates failed or skipped
  std::string last_write_error;
  FailureRun read_run;  // outbox reads failed

  // Writes to the outbox unless the database is refusing writes (then it
  // fails at once); false when the write failed or was skipped. A run of
  // failures is logged as one (FailureRun).
  template <class Write>
  bool write_outbox(Write&& write) {
    const bool tried = write_backoff->may_write();
    Expected<void> done = tried ? Expected<void>(write()) : Expected<void>(make_error("skipped"));
    if (done) {
      write_backoff->succeeded();
      const auto lasted = write_run.lasted();
      if (const auto failures = write_run.recovered()) {
        spdlog::info("the outbox can be updated again after {} ({} update(s) failed or waited)",
                     describe_lasted(lasted), failures);
      }
      return true;
    }
    if (tried) {
      write_backoff->failed();
      last_write_error = done.error();
    }
    switch (write_run.failed()) {
      case FailureRun::Say::start:
        spdlog::error(
            "could not update the outbox: {}. Deliveries go on; their outcomes are "
            "written once the database accepts writes",
            done.error());
        break;
      case FailureRun::Say::summary:
        spdlog::warn(
            "the outbox still cannot be updated after {} ({} attempts); the latest "
            "error: {}",
            describe_lasted(write_run.lasted()), write_run.failures(), last_write_error);
        break;
      case FailureRun::Say::quiet:
        if (tried) spdlog::debug("could not update the outbox: {}", done.error());
        break;
    }
    return false;
  }

  void read_failed(const std::string& what, const std::string& error) {
    switch (read_run.failed()) {
      case FailureRun::Say::start:
        spdlog::error("{}: {}; tried again every few seconds", what, error);
        break;
      case FailureRun::Say::summary:
        spdlog::warn("{} after {} ({} attempts): {}", what, describe_lasted(read_run.lasted()),
                     read_run.failures(), error);
        break;
      case FailureRun::Say::quiet:
        spdlog::debug("{}: {}", what, error);
        break;
    }
  }
  void read_succeeded() {
    const auto lasted = read_run.lasted();
    if (const auto failures = read_run.recovered()) {
      spdlog::info("the outbox can be read again after {} ({} failed reads)",
                   describe_lasted(lasted), failures);
    }
  }

  void count(const std::string& receiver, DeliveryResult result, std::size_t n) {
    if (metrics && n > 0) metrics->delivery_finished(receiver, result, n);
  }
  asio::steady_timer sweep;  // wakes workers when the earliest retry falls due
  asio::cancellation_signal sweep_cancel;
  DispatcherCounters counters;
  std::mt19937_64 rng{std::random_device{}()};
  bool started = false;
  bool stopped = false;

  void start() {
    started = true;
    for (auto& [name, w] : workers) spawn_worker(name, w);
    asio::co_spawn(
        executor, sweep_loop(shared_from_this()),
        asio::bind_cancellation_slot(sweep_cancel.slot(), log_loop_end("outbox sweep loop")));
  }

  void spawn_worker(const std::string& name, const std::shared_ptr<Worker>& w) {
    asio::co_spawn(executor, worker_loop(shared_from_this(), name, w),
                   asio::bind_cancellation_slot(w->cancel.slot(),
                                                log_loop_end("delivery loop of receiver " + name)));
    if (w->sender->resend_firing_every()) {
      asio::co_spawn(
          executor, resend_loop(shared_from_this(), name, w),
          asio::bind_cancellation_slot(w->resend_cancel.slot(),
                                       log_loop_end("reminder loop of receiver " + name)));
    }
  }

  // Receivers that forget what they are not reminded of (Alertmanager keeps
  // alerts in memory and ends them after a while) get every open condition
  // again at their interval. Not through the outbox: a missed reminder is
  // made up by the next one.
  static asio::awaitable<void> resend_loop(std::shared_ptr<Impl> self, std::string name,
                                           std::shared_ptr<Worker> worker) {
    Worker& w = *worker;
    if (auto open = self->store.open_conditions_delivered_to(name)) {
      for (const auto& r : *open) {
        auto e = to_event(r, self->config.get());
        w.open[condition_key(e)] = e;
      }
    } else {
      spdlog::error("receiver {}: cannot read the open conditions: {}", name, open.error());
    }
    asio::steady_timer timer(self->executor);
    const auto every = *w.sender->resend_firing_every();
    std::uint64_t round = 0;
    while (!w.retired) {
      timer.expires_after(every);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || w.retired) co_return;
      if (w.open.empty()) continue;
      std::vector<notifiers::Event> events;
      for (const auto& [key, e] : w.open) events.push_back(e);
      auto outcome =
          co_await w.sender->send(events, "resend_" + name + "_" + std::to_string(++round));
      if (w.retired) co_return;
      if (outcome.result != notifiers::DeliveryOutcome::Result::delivered) {
        switch (w.reminder_run.failed()) {
          case FailureRun::Say::start:
          case FailureRun::Say::summary:
            spdlog::warn(
                "receiver {}: reminder of {} open condition(s) not delivered ({} in a "
                "row): {}",
                name, events.size(), w.reminder_run.failures(), outcome.detail);
            break;
          case FailureRun::Say::quiet:
            spdlog::debug("receiver {}: reminder not delivered: {}", name, outcome.detail);
            break;
        }
      } else if (const auto failures = w.reminder_run.recovered()) {
        spdlog::info("receiver {}: reminders are delivered again after {} failure(s)", name,
                     failures);
      }
    }
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    for (auto& [name, w] : workers) retire(*w);
    sweep_cancel.emit(asio::cancellation_type::terminal);
  }

  void retire(Worker& w) {
    w.retired = true;
    w.cancel.emit(asio::cancellation_type::terminal);
    w.resend_cancel.emit(asio::cancellation_type::terminal);
  }

  void set_sender(const std::string& name, std::unique_ptr<notifiers::Sender> sender) {
    if (auto it = workers.find(name); it != workers.end()) retire(*it->second);
    auto w = std::make_shared<Worker>();
    w->sender = std::move(sender);
    w->wake = std::make_unique<asio::steady_timer>(executor);
    workers[name] = w;
    if (started && !stopped) spawn_worker(name, w);
  }

  void remove_sender(const std::string& name) {
    if (auto it = workers.find(name); it != workers.end()) {
      retire(*it->second);
      workers.erase(it);
    }
  }

  void notify() {
    for (auto& [name, w] : workers) w->wake->cancel();
    sweep.cancel();
  }

  // Rows of receivers that are no longer configured would otherwise wait
  // forever: they are given up with a reason.
  void fail_orphans(const std::vector<storage::PendingDelivery>& due) {
    std::vector<std::int64_t> orphans;
    for (const auto& d : due) {
      if (!workers.count(d.receiver)) {
        orphans.push_back(d.id);
        count(d.receiver, DeliveryResult::failed, 1);
      }
    }
    if (orphans.empty()) return;
    if (!write_outbox([&] {
          return store.mark_final(orphans, "failed", "receiver is no longer configured",
                                  to_unix_ms(clock()));
        })) {
      return;  // tried again at the next sweep
    }
    counters.failed += orphans.size();
  }

  static asio::awaitable<void> sweep_loop(std::shared_ptr<Impl> self) {
    while (!self->stopped) {
      auto now_ms = to_unix_ms(self->clock());
      std::optional<storage::TimeMs> next;
      auto due = self->store.due_deliveries(now_ms, 1000);
      if (due) self->fail_orphans(*due);
      auto next_due = due ? self->store.next_due_at()
                          : Expected<std::optional<storage::TimeMs>>(make_error(due.error()));
      if (next_due) {
        next = *next_due;
        self->read_succeeded();
      } else {
        self->read_failed("cannot read the outbox", next_due.error());
        next = now_ms + 5000;
      }
      if (next && *next <= now_ms) {
        // Something is due: workers that are idle look now.
        for (auto& [name, w] : self->workers) w->wake->cancel();
        next = now_ms + 1000;
      }
      auto wait =
          next ? std::chrono::milliseconds(*next - now_ms) : std::chrono::milliseconds(60'000);
      self->sweep.expires_after(
          std::clamp(wait, std::chrono::milliseconds(10), std::chrono::milliseconds(60'000)));
      co_await self->sweep.async_wait(asio::as_tuple(asio::use_awaitable));
      if ((co_await asio::this_coro::cancellation_state).cancelled() !=
          asio::cancellation_type::none) {
        co_return;
      }
    }
  }

  static asio::awaitable<void> worker_loop(std::shared_ptr<Impl> self, std::string name,
                                           std::shared_ptr<Worker> worker) {
    Worker& w = *worker;
    while (!w.retired) {
      bool sent = false;
      std::string failure;
      try {
        auto delivered = co_await self->deliver_due(name, w);
        if (delivered) {
          sent = *delivered;
          self->read_succeeded();
        } else {
          failure = delivered.error();
        }
      } catch (const std::exception& e) {
        failure = e.what();
      }
      if (!failure.empty()) {
        // The database failed under us (an I/O error): the rows stay pending
        // and are tried again when the next commit or retry wakes us.
        self->read_failed("receiver " + name + ": cannot read the outbox", failure);
        w.not_before = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      }
      if (w.retired) co_return;
      if (sent) continue;  // more may be due
      const auto now = std::chrono::steady_clock::now();
      w.wake->expires_after(w.not_before > now
                                ? w.not_before - now
                                : std::chrono::steady_clock::duration(std::chrono::hours(1)));
      co_await w.wake->async_wait(asio::as_tuple(asio::use_awaitable));
      if ((co_await asio::this_coro::cancellation_state).cancelled() !=
          asio::cancellation_type::none) {
        co_return;
      }
    }
  }

  // Sends one message of this receiver's due rows (and of those falling due
  // within its group window); false when none were due, an error when the
  // outbox cannot be read.
  asio::awaitable<Expected<bool>> deliver_due(const std::string& name, Worker& w) {
    if (std::chrono::steady_clock::now() < w.not_before) co_return false;
    const auto now_ms = to_unix_ms(clock());
    if (!record_unrecorded(w, now_ms)) {
      pause_for_writes(w);
      co_return false;
    }
    std::vector<storage::PendingDelivery> mine;
    bool any_due = false;
    auto due = store.due_deliveries(now_ms + group_window_ms(name), 1000);
    if (!due) co_return make_error(due.error());
    for (auto& d : *due) {
      if (d.receiver != name || w.unrecorded.count(d.id)) continue;
      any_due = any_due || d.next_attempt_at <= now_ms;
      mine.push_back(std::move(d));
      if (static_cast<int>(mine.size()) >= policy.max_events_per_message) break;
    }
    if (!any_due) co_return false;

    // Silenced rows are recorded as such and not sent.
    const auto active = store.silences(now_ms);
    if (!active) co_return make_error(active.error());
    const std::vector<storage::Silence>& silences = *active;
    if (!silences.empty()) {
      std::map<std::int64_t, std::vector<std::int64_t>> silenced;  // by silence id
      std::erase_if(mine, [&](const storage::PendingDelivery& d) {
        for (const auto& x : silences) {
          if (x.matches(d.event)) {
            silenced[x.id].push_back(d.id);
            return true;
          }
        }
        return false;
      });
      for (const auto& [silence_id, rows] : silenced) {
        std::string reason = "silence " + std::to_string(silence_id);
        for (const auto& x : silences) {
          if (x.id == silence_id && !x.comment.empty()) reason += ": " + x.comment;
        }
        finish(w, rows, "silenced", reason, now_ms);
        count(name, DeliveryResult::silenced, rows.size());
        spdlog::info("receiver {}: {} delivery(ies) silenced by {}", name, rows.size(), reason);
      }
      if (mine.empty()) co_return true;
    }

    std::vector<std::int64_t> ids;
    std::vector<notifiers::Event> events;
    std::vector<std::int64_t> expired;
    int attempts = 0;
    for (const auto& d : mine) {
      if (now_ms - d.created_at > policy.max_age.count()) {
        expired.push_back(d.id);
        continue;
      }
      ids.push_back(d.id);
      events.push_back(to_event(d.event, config ? config.get() : nullptr));
      attempts = std::max(attempts, d.attempts);
    }
    if (!expired.empty()) {
      spdlog::error("receiver {}: giving up {} delivery(ies) older than {}s", name, expired.size(),
                    policy.max_age.count() / 1000);
      finish(w, expired, "failed", "gave up: older than max_age", now_ms);
      counters.failed += expired.size();
      count(name, DeliveryResult::failed, expired.size());
    }
    if (ids.empty()) co_return true;

    auto outcome = co_await w.sender->send(events, delivery_id(name, ids));
    if (w.retired) co_return false;  // rows stay pending for the next sender
    const auto done_ms = to_unix_ms(clock());
    switch (outcome.result) {
      case notifiers::DeliveryOutcome::Result::deferred: {
        auto pause = outcome.retry_after.value_or(std::chrono::seconds(1));
        w.not_before = std::chrono::steady_clock::now() + pause;
        spdlog::debug("receiver {}: {} event(s) wait {}s for the platform's rate limit", name,
                      ids.size(), pause.count());
        co_return false;
      }
      case notifiers::DeliveryOutcome::Result::delivered: {
        if (w.sender->resend_firing_every()) {
          for (const auto& e : events) {
            if (e.state == "firing") w.open[condition_key(e)] = e;
            if (e.state == "resolved") w.open.erase(condition_key(e));
          }
        }
        finish(w, ids, "delivered", "", done_ms);
        counters.delivered += ids.size();
        count(name, DeliveryResult::delivered, ids.size());
        spdlog::debug("receiver {}: delivered {} event(s) ({})", name, ids.size(), outcome.detail);
        const auto lasted = w.delivery_run.lasted();
        const auto failed = w.delivery_run.recovered();
        const auto refused = w.reject_run.recovered();
        if (failed > 0 || refused > 0) {
          spdlog::info(
              "receiver {} accepts deliveries again after {} ({} failed attempt(s), {} "
              "message(s) refused)",
              name, describe_lasted(lasted), failed, refused);
        }
        co_return true;
      }
      case notifiers::DeliveryOutcome::Result::rejected:
        finish(w, ids, "failed", outcome.detail, done_ms);
        counters.failed += ids.size();
        count(name, DeliveryResult::failed, ids.size());
        switch (w.reject_run.failed()) {
          case FailureRun::Say::start:
          case FailureRun::Say::summary:
            spdlog::error(
                "receiver {} refused {} event(s) for good ({} message(s) refused since "
                "the last delivery): {}",
                name, ids.size(), w.reject_run.failures(), outcome.detail);
            break;
          case FailureRun::Say::quiet:
            spdlog::debug("receiver {} refused {} event(s) for good: {}", name, ids.size(),
                          outcome.detail);
            break;
        }
        co_return true;
      case notifiers::DeliveryOutcome::Result::retry: {
        auto delay = backoff(attempts);
        if (outcome.retry_after) {
          delay = std::max<std::chrono::milliseconds>(delay, *outcome.retry_after);
        }
        if (!write_outbox(
                [&] { return store.mark_retry(ids, done_ms + delay.count(), outcome.detail); })) {
          // The rows stay due in the database: this receiver waits out the
          // delay in memory instead.
          w.not_before = std::chrono::steady_clock::now() + delay;
        }
        counters.retried += ids.size();
        count(name, DeliveryResult::retry, ids.size());
        switch (w.delivery_run.failed()) {
          case FailureRun::Say::start:
            spdlog::warn("receiver {}: delivery failed, retrying in {}ms: {}", name, delay.count(),
                         outcome.detail);
            break;
          case FailureRun::Say::summary:
            spdlog::warn(
                "receiver {}: deliveries still fail after {} ({} failed attempts); the "
                "latest: {}",
                name, describe_lasted(w.delivery_run.lasted()), w.delivery_run.failures(),
                outcome.detail);
            break;
          case FailureRun::Say::quiet:
            spdlog::debug("receiver {}: attempt {} failed, retrying in {}ms: {}", name,
                          attempts + 1, delay.count(), outcome.detail);
            break;
        }
        sweep.cancel();  // recompute the next due time
        co_return false;
      }
    }
    co_return false;
  }

  std::chrono::milliseconds backoff(int attempts) {
    return deliver::retry_delay(policy, attempts, std::nullopt,
                                std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  }

  // Records the final outcome of rows, or keeps it in memory until the
  // database accepts writes (record_unrecorded).
  void finish(Worker& w, const std::vector<std::int64_t>& ids, const std::string& status,
              const std::string& reason, storage::TimeMs now_ms) {
    if (ids.empty()) return;
    if (write_final(ids, status, reason, now_ms)) return;
    for (auto id : ids) w.unrecorded[id] = FinalOutcome{status, reason};
  }

  bool write_final(const std::vector<std::int64_t>& ids, const std::string& status,
                   const std::string& reason, storage::TimeMs now_ms) {
    return write_outbox([&] {
      return status == "delivered" ? store.mark_delivered(ids, now_ms)
                                   : store.mark_final(ids, status, reason, now_ms);
    });
  }

  // Writes what is kept in memory; false while the database still refuses.
  bool record_unrecorded(Worker& w, storage::TimeMs now_ms) {
    if (w.unrecorded.empty()) return true;
    std::map<std::pair<std::string, std::string>, std::vector<std::int64_t>> groups;
    for (const auto& [id, f] : w.unrecorded) groups[{f.status, f.reason}].push_back(id);
    for (const auto& [key, ids] : groups) {
      if (!write_final(ids, key.first, key.second, now_ms)) return false;
      for (auto id : ids) w.unrecorded.erase(id);
    }
    return true;
  }

  void pause_for_writes(Worker& w) {
    w.not_before = std::max(write_backoff->resume_at(),
                            std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
};

Dispatcher::Dispatcher(asio::any_io_executor executor, storage::Store& store,
                       std::map<std::string, std::unique_ptr<notifiers::Sender>> senders,
                       WallClock clock, RetryPolicy policy)
    : impl_(std::make_shared<Impl>(executor, store, std::move(senders), std::move(clock), policy)) {
}
Dispatcher::~Dispatcher() { impl_->stop(); }
void Dispatcher::set_sender(const std::string& receiver,
                            std::unique_ptr<notifiers::Sender> sender) {
  impl_->set_sender(receiver, std::move(sender));
}
void Dispatcher::remove_sender(const std::string& receiver) { impl_->remove_sender(receiver); }
void Dispatcher::set_metrics(Metrics* metrics) { impl_->metrics = metrics; }
void Dispatcher::set_write_backoff(WriteBackoff* backoff) {
  impl_->write_backoff = backoff ? backoff : impl_->own_backoff.get();
}
void Dispatcher::set_config(std::shared_ptr<const config::Config> config) {
  impl_->policy.first_delay = config->delivery.first_retry;
  impl_->policy.max_delay = config->delivery.max_retry;
  impl_->policy.max_age = config->delivery.max_age;
  impl_->config = std::move(config);
}
void Dispatcher::start() { impl_->start(); }
void Dispatcher::stop() { impl_->stop(); }
void Dispatcher::notify() { impl_->notify(); }
const DispatcherCounters& Dispatcher::counters() const { return impl_->counters; }

}  // namespace omswatch::daemon
