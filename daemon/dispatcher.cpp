#include "daemon/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <random>
#include <utility>

#include "common/console_page.h"
#include "common/time.h"
#include "daemon/deliver/acks.h"
#include "daemon/dispatcher_outbox.h"
#include "daemon/logging.h"
#include "daemon/loop_end.h"
#include "daemon/metrics.h"
#include "daemon/write_backoff.h"

namespace omswatch::daemon {
namespace asio = boost::asio;
using deliver::Mark;
using deliver::SendResult;

namespace {

notifiers::Event to_event(const storage::EventRecord& r, const config::Config* config) {
  notifiers::Event e;
  e.id = r.id;
  e.project_name = r.project_name;
  if (config) {
    if (const auto* oms = config->find_oms(r.oms))
      e.link = console_link(oms->console_url, r.project_id);
    // Built at each attempt: a reload's public_url applies to retries too.
    e.omswatch_url = console_page_url(config->daemon.public_url, r.oms, r.project_id);
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

SendResult to_result(const notifiers::DeliveryOutcome& outcome) {
  using Result = notifiers::DeliveryOutcome::Result;
  SendResult result{SendResult::Kind::delivered, outcome.detail, outcome.retry_after};
  switch (outcome.result) {
    case Result::delivered:
      break;
    case Result::retry:
      result.kind = SendResult::Kind::retry;
      break;
    case Result::rejected:
      result.kind = SendResult::Kind::refused;
      break;
    case Result::deferred:
      result.kind = SendResult::Kind::deferred;
      break;
  }
  return result;
}

// The level of a failure's log line: `loud` when the run starts and at its
// summaries, debug in between (FailureRun).
spdlog::level::level_enum level_of(FailureRun::Say say, spdlog::level::level_enum loud) {
  return say == FailureRun::Say::quiet ? spdlog::level::debug : loud;
}

bool cancelled(asio::cancellation_state state) {
  return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace

struct Dispatcher::Impl : std::enable_shared_from_this<Impl> {
  struct Worker {
    std::unique_ptr<notifiers::Sender> sender;
    std::unique_ptr<asio::steady_timer> wake;
    asio::cancellation_signal cancel;
    asio::cancellation_signal resend_cancel;
    bool retired = false;  // replaced or removed by a reload, or stopped
    // The platform's rate limit, a retry or the database asked for a pause until then.
    MonotonicClock::TimePoint not_before{};
    // For senders that re-send what holds (Alertmanager).
    deliver::OpenConditions open;
    // Outcomes the database refused to record yet: never sent again, written first.
    deliver::Held held;
    FailureRun delivery_run;  // failed attempts (retries) in a row
    FailureRun reject_run;    // messages refused for good since the last delivery
    FailureRun reminder_run;
  };

  Impl(asio::any_io_executor ex, deliver::Outbox& box, std::unique_ptr<deliver::Outbox> owned,
       std::map<std::string, std::unique_ptr<notifiers::Sender>> s, WallClock c,
       DispatcherOptions options)
      : executor(ex),
        own_outbox(std::move(owned)),
        outbox(box),
        clock(std::move(c)),
        steady(options.steady ? *options.steady : steady_monotonic_clock()),
        jitter(std::move(options.jitter)),
        policy(options.policy),
        sweep(ex) {
    if (!jitter) {
      jitter = [rng = std::mt19937_64{std::random_device{}()}]() mutable {
        return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
      };
    }
    own_backoff = std::make_unique<WriteBackoff>();
    write_backoff = own_backoff.get();
    for (auto& [name, sender] : s) set_sender(name, std::move(sender));
  }

  asio::any_io_executor executor;
  std::unique_ptr<deliver::Outbox> own_outbox;
  deliver::Outbox& outbox;
  WallClock clock;
  MonotonicClock& steady;
  std::function<double()> jitter;
  RetryPolicy policy;
  std::map<std::string, std::shared_ptr<Worker>> workers;
  std::shared_ptr<const config::Config> config;
  Metrics* metrics = nullptr;
  std::unique_ptr<WriteBackoff> own_backoff;
  WriteBackoff* write_backoff = nullptr;
  FailureRun write_run;  // outbox updates failed or skipped
  std::string last_write_error;
  FailureRun read_run;           // outbox reads failed
  bool acks_unreadable = false;  // logged once until the acks can be read again
  asio::steady_timer sweep;      // wakes workers when the earliest retry falls due
  asio::cancellation_signal sweep_cancel;
  DispatcherCounters counters;
  bool started = false;
  bool stopped = false;

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

  Expected<void> mark(const deliver::Write& write) {
    switch (write.mark) {
      case Mark::delivered:
        return outbox.mark_delivered(write.ids, write.at);
      case Mark::retry:
        return outbox.mark_retry(write.ids, write.at, write.reason);
      case Mark::failed:
        return outbox.mark_final(write.ids, "failed", write.reason, write.at);
      case Mark::silenced:
        return outbox.mark_final(write.ids, "silenced", write.reason, write.at);
    }
    return make_error("unknown mark");
  }

  // Writes to the outbox unless the database is refusing writes (then it
  // fails at once, untried); false when the write failed or was skipped. A
  // run of failures is logged as one (FailureRun).
  bool write_outbox(const deliver::Write& write) {
    if (write.ids.empty()) return true;
    const auto now = steady.now();
    const bool tried = write_backoff->may_write(now);
    const auto done = tried ? mark(write) : Expected<void>(make_error("skipped"));
    if (done) {
      write_backoff->succeeded();
      const auto lasted = write_run.lasted(now);
      if (const auto failures = write_run.recovered(now)) {
        spdlog::info("the outbox can be updated again after {} ({} update(s) failed or waited)",
                     describe_lasted(lasted), failures);
      }
      return true;
    }
    if (tried) {
      write_backoff->failed(now);
      last_write_error = done.error();
    }
    const auto say = write_run.failed(now);
    if (say == FailureRun::Say::start) {
      spdlog::error(
          "could not update the outbox: {}. Deliveries go on; their outcomes are "
          "written once the database accepts writes",
          done.error());
    } else if (say == FailureRun::Say::summary) {
      spdlog::warn(
          "the outbox still cannot be updated after {} ({} attempts); the latest error: {}",
          describe_lasted(write_run.lasted(now)), write_run.failures(), last_write_error);
    } else if (tried) {
      spdlog::debug("could not update the outbox: {}", done.error());
    }
    return false;
  }

  // Records a final outcome, or keeps it until the database accepts writes.
  void finish(Worker& w, const deliver::Write& write) {
    if (!write_outbox(write)) deliver::hold(w.held, write);
  }

  // Writes the outcomes kept in memory; false while the database still refuses.
  bool record_held(Worker& w, storage::TimeMs now_ms) {
    for (const auto& write : deliver::held_writes(w.held, now_ms)) {
      if (!write_outbox(write)) return false;
      for (auto id : write.ids) w.held.erase(id);
    }
    return true;
  }

  void pause_for_writes(Worker& w) {
    w.not_before = std::max(write_backoff->resume_at(), steady.now() + std::chrono::seconds(1));
  }

  void read_failed(const std::string& what, const std::string& error) {
    const auto now = steady.now();
    switch (read_run.failed(now)) {
      case FailureRun::Say::start:
        spdlog::error("{}: {}; tried again every few seconds", what, error);
        break;
      case FailureRun::Say::summary:
        spdlog::warn("{} after {} ({} attempts): {}", what, describe_lasted(read_run.lasted(now)),
                     read_run.failures(), error);
        break;
      case FailureRun::Say::quiet:
        spdlog::debug("{}: {}", what, error);
        break;
    }
  }
  void read_succeeded() {
    const auto now = steady.now();
    const auto lasted = read_run.lasted(now);
    if (const auto failures = read_run.recovered(now)) {
      spdlog::info("the outbox can be read again after {} ({} failed reads)",
                   describe_lasted(lasted), failures);
    }
  }

  void count(const std::string& receiver, DeliveryResult result, std::size_t n) {
    if (metrics && n > 0) metrics->delivery_finished(receiver, result, n);
  }

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
    if (auto records = self->outbox.open_conditions_delivered_to(name)) {
      std::vector<notifiers::Event> open;
      for (const auto& r : *records) open.push_back(to_event(r, self->config.get()));
      deliver::track_delivered(w.open, open);
    } else {
      spdlog::error("receiver {}: cannot read the open conditions: {}", name, records.error());
    }
    asio::steady_timer timer(self->executor);
    const auto every = *w.sender->resend_firing_every();
    std::uint64_t round = 0;
    while (!w.retired) {
      co_await self->steady.wait_until(timer, self->steady.now() + every);
      if (w.retired || cancelled(co_await asio::this_coro::cancellation_state)) co_return;
      // An acked condition is not re-sent; when the acks cannot be read, every
      // open condition is (a reminder too many rather than one missed).
      auto acks = self->outbox.acks();
      if (!acks) spdlog::warn("receiver {}: cannot read the acks: {}", name, acks.error());
      auto events = deliver::reminder_events(w.open, acks ? *acks : std::vector<storage::Ack>{});
      if (events.empty()) continue;
      const auto n = events.size();
      auto outcome =
          co_await w.sender->send(std::move(events), deliver::reminder_id(name, ++round));
      if (w.retired) co_return;
      if (outcome.result == notifiers::DeliveryOutcome::Result::delivered) {
        if (const auto failures = w.reminder_run.recovered(self->steady.now())) {
          spdlog::info("receiver {}: reminders are delivered again after {} failure(s)", name,
                       failures);
        }
        continue;
      }
      spdlog::log(level_of(w.reminder_run.failed(self->steady.now()), spdlog::level::warn),
                  "receiver {}: reminder of {} open condition(s) not delivered ({} in a row): {}",
                  name, n, w.reminder_run.failures(), outcome.detail);
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
  // forever: they are given up with a reason (tried again at the next sweep
  // when the write fails).
  void fail_orphans(const std::vector<storage::PendingDelivery>& due, storage::TimeMs now_ms) {
    std::set<std::string> configured;
    for (const auto& [name, w] : workers) configured.insert(name);
    for (const auto& [receiver, write] : deliver::plan_orphans(due, configured, now_ms)) {
      if (!write_outbox(write)) return;
      counters.failed += write.ids.size();
      count(receiver, DeliveryResult::failed, write.ids.size());
    }
  }

  static asio::awaitable<void> sweep_loop(std::shared_ptr<Impl> self) {
    while (!self->stopped) {
      const auto now_ms = to_unix_ms(self->clock());
      std::optional<storage::TimeMs> next;
      auto due = self->outbox.due(now_ms, 1000);
      if (due) self->fail_orphans(*due, now_ms);
      auto next_due = due ? self->outbox.next_due_at()
                          : Expected<std::optional<storage::TimeMs>>(make_error(due.error()));
      if (next_due) {
        next = *next_due;
        self->read_succeeded();
      } else {
        self->read_failed("cannot read the outbox", next_due.error());
        next = now_ms + 5000;
      }
      const auto wake = deliver::plan_sweep(next, now_ms);
      // Something is due: workers that are idle look now.
      if (wake.wake_receivers) {
        for (auto& [name, w] : self->workers) w->wake->cancel();
      }
      co_await self->steady.wait_until(self->sweep, self->steady.now() + wake.wait);
      if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
    }
  }

  static asio::awaitable<void> worker_loop(std::shared_ptr<Impl> self, std::string name,
                                           std::shared_ptr<Worker> worker) {
    Worker& w = *worker;
    while (!w.retired) {
      bool more = false;
      std::string failure;
      try {
        auto done = co_await self->deliver_due(name, w);
        if (done) {
          more = *done;
          self->read_succeeded();
        } else {
          failure = done.error();
        }
      } catch (const std::exception& e) {
        failure = e.what();
      }
      if (!failure.empty()) {
        // The database failed under us (an I/O error): the rows stay pending
        // and are tried again when the next commit or retry wakes us.
        self->read_failed("receiver " + name + ": cannot read the outbox", failure);
        w.not_before = self->steady.now() + std::chrono::seconds(5);
      }
      if (w.retired) co_return;
      if (more) continue;
      const auto now = self->steady.now();
      co_await self->steady.wait_until(
          *w.wake, w.not_before > now ? w.not_before : now + std::chrono::hours(1));
      if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
    }
  }

  // Carries out the receiver's plan: records what it silences and gives up,
  // and sends its message; true when the receiver may go on at once, an
  // error when the outbox cannot be read.
  asio::awaitable<Expected<bool>> deliver_due(const std::string& name, Worker& w) {
    if (steady.now() < w.not_before) co_return false;
    const auto now_ms = to_unix_ms(clock());
    if (!record_held(w, now_ms)) {
      pause_for_writes(w);
      co_return false;
    }
    auto due = outbox.due(now_ms + group_window_ms(name), 1000);
    if (!due) co_return make_error(due.error());
    const auto& rows = *due;
    auto silences = rows.empty()
                        ? Expected<std::vector<storage::Silence>>(std::vector<storage::Silence>{})
                        : outbox.silences(now_ms);
    if (!silences) co_return make_error(silences.error());
    const auto plan =
        deliver::plan_receiver(name, rows, w.held, *silences, policy, now_ms, acks_for(rows));
    if (!plan.due) co_return false;
    for (const auto& write : plan.writes) {
      finish(w, write);
      report_given_up(name, write);
    }
    if (!plan.message) co_return true;

    std::vector<notifiers::Event> events;
    for (auto i : plan.message->rows) {
      events.push_back(to_event(rows[i].event, config.get()));
      deliver::note_ack(events.back(), rows[i]);
    }
    const auto& ids = plan.message->ids;
    auto outcome = co_await w.sender->send(events, delivery_id(name, ids));
    if (w.retired) co_return false;  // rows stay pending for the next sender
    const auto result = to_result(outcome);
    const auto next =
        deliver::plan_outcome(*plan.message, result, policy, to_unix_ms(clock()), jitter());
    if (result.kind == SendResult::Kind::delivered && w.sender->resend_firing_every()) {
      deliver::track_delivered(w.open, events);
    }
    if (next.write && next.write->mark == Mark::retry) {
      // When the retry cannot be written the rows stay due in the database:
      // this receiver waits out the delay in memory instead.
      if (!write_outbox(*next.write)) w.not_before = steady.now() + *next.pause;
      sweep.cancel();  // recompute the next due time
    } else if (next.write) {
      finish(w, *next.write);
    } else if (next.pause) {
      w.not_before = steady.now() + *next.pause;
    }
    report_outcome(name, w, result, ids.size(), next);
    co_return next.more;
  }

  // The acks in force that hold back repeats of acked conditions; none when
  // they cannot be read (the repeats are sent: one too many rather than one
  // missed), which is logged once until they can be read again.
  std::vector<storage::Ack> acks_for(const std::vector<storage::PendingDelivery>& rows) {
    if (rows.empty()) return {};
    auto acks = outbox.acks();
    if (!acks && !std::exchange(acks_unreadable, true)) {
      spdlog::warn("cannot read the acks: repeats of acked conditions are sent: {}", acks.error());
    } else if (acks && std::exchange(acks_unreadable, false)) {
      spdlog::info("the acks can be read again");
    }
    return acks ? std::move(*acks) : std::vector<storage::Ack>{};
  }

  void report_given_up(const std::string& name, const deliver::Write& write) {
    if (write.mark == Mark::silenced) {
      count(name, DeliveryResult::silenced, write.ids.size());
      spdlog::info("receiver {}: {} delivery(ies) silenced: {}", name, write.ids.size(),
                   write.reason);
      return;
    }
    spdlog::error("receiver {}: giving up {} delivery(ies) older than {}s", name, write.ids.size(),
                  policy.max_age.count() / 1000);
    counters.failed += write.ids.size();
    count(name, DeliveryResult::failed, write.ids.size());
  }

  void report_outcome(const std::string& name, Worker& w, const SendResult& result, std::size_t n,
                      const deliver::OutcomePlan& next) {
    const auto now = steady.now();
    switch (result.kind) {
      case SendResult::Kind::sender_removed:
        break;
      case SendResult::Kind::deferred:
        spdlog::debug("receiver {}: {} event(s) wait {}ms for the platform's rate limit", name, n,
                      next.pause->count());
        break;
      case SendResult::Kind::delivered: {
        counters.delivered += n;
        count(name, DeliveryResult::delivered, n);
        spdlog::debug("receiver {}: delivered {} event(s) ({})", name, n, result.detail);
        const auto lasted = w.delivery_run.lasted(now);
        const auto failed = w.delivery_run.recovered(now);
        const auto refused = w.reject_run.recovered(now);
        if (failed > 0 || refused > 0) {
          spdlog::info(
              "receiver {} accepts deliveries again after {} ({} failed attempt(s), {} "
              "message(s) refused)",
              name, describe_lasted(lasted), failed, refused);
        }
        break;
      }
      case SendResult::Kind::refused:
        counters.failed += n;
        count(name, DeliveryResult::failed, n);
        spdlog::log(level_of(w.reject_run.failed(now), spdlog::level::err),
                    "receiver {} refused {} event(s) for good ({} message(s) refused since the "
                    "last delivery): {}",
                    name, n, w.reject_run.failures(), result.detail);
        break;
      case SendResult::Kind::retry: {
        counters.retried += n;
        count(name, DeliveryResult::retry, n);
        const auto say = w.delivery_run.failed(now);
        if (say == FailureRun::Say::summary) {
          spdlog::warn(
              "receiver {}: deliveries still fail after {} ({} failed attempts); the latest: {}",
              name, describe_lasted(w.delivery_run.lasted(now)), w.delivery_run.failures(),
              result.detail);
        } else {
          spdlog::log(level_of(say, spdlog::level::warn),
                      "receiver {}: delivery failed, retrying in {}ms: {}", name,
                      next.pause->count(), result.detail);
        }
        break;
      }
    }
  }
};

Dispatcher::Dispatcher(asio::any_io_executor executor, storage::Store& store,
                       std::map<std::string, std::unique_ptr<notifiers::Sender>> senders,
                       WallClock clock, RetryPolicy policy) {
  auto outbox = std::make_unique<StoreOutbox>(store);
  auto& box = *outbox;
  impl_ = std::make_shared<Impl>(executor, box, std::move(outbox), std::move(senders),
                                 std::move(clock), DispatcherOptions{policy, nullptr, {}});
}
Dispatcher::Dispatcher(asio::any_io_executor executor, deliver::Outbox& outbox,
                       std::map<std::string, std::unique_ptr<notifiers::Sender>> senders,
                       WallClock clock, DispatcherOptions options)
    : impl_(std::make_shared<Impl>(executor, outbox, nullptr, std::move(senders), std::move(clock),
                                   std::move(options))) {}
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
