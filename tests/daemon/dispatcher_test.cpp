// The dispatcher's shell (daemon/dispatcher.h) on fakes: an outbox in memory,
// a sender that answers as told and a manual clock. No socket, no database
// file, no real time: time moves only when the test moves it.

#include "daemon/dispatcher.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/time.h"
#include "tests/support/manual_clock.h"

namespace omswatch::daemon {
namespace {

namespace asio = boost::asio;
using notifiers::DeliveryOutcome;
using std::chrono::milliseconds;
using std::chrono::seconds;
using storage::TimeMs;

constexpr TimeMs kStart = 1'700'000'000'000;

// The outbox's rows in memory, with the store's contract: marks change only
// pending rows; delivered and retry count an attempt.
class FakeOutbox : public deliver::Outbox {
 public:
  struct Row {
    storage::PendingDelivery pending;
    std::string status = "pending";
    std::string reason;
    TimeMs finished_at = 0;
  };
  std::map<std::int64_t, Row> rows;
  std::vector<storage::Silence> active_silences;
  std::vector<storage::Ack> in_force_acks;
  int failing_writes = 0;  // the next this many writes fail

  void add(std::int64_t id, const std::string& receiver, TimeMs created, TimeMs due,
           std::string project = "p1") {
    Row row;
    row.pending.id = id;
    row.pending.receiver = receiver;
    row.pending.created_at = created;
    row.pending.next_attempt_at = due;
    row.pending.event.id = "evt_" + std::to_string(id);
    row.pending.event.oms = "oms1";
    row.pending.event.project_id = std::move(project);
    row.pending.event.kind = "project_failed";
    row.pending.event.state = "firing";
    row.pending.event.severity = "critical";
    rows[id] = row;
  }
  const Row& at(std::int64_t id) const { return rows.at(id); }

  Expected<std::vector<storage::PendingDelivery>> due(TimeMs until, int limit) override {
    std::vector<storage::PendingDelivery> due;
    for (const auto& [id, row] : rows) {
      if (row.status == "pending" && row.pending.next_attempt_at <= until) {
        due.push_back(row.pending);
      }
    }
    std::stable_sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
      return a.next_attempt_at < b.next_attempt_at;
    });
    if (static_cast<int>(due.size()) > limit) due.resize(limit);
    return due;
  }
  Expected<std::optional<TimeMs>> next_due_at() override {
    std::optional<TimeMs> next;
    for (const auto& [id, row] : rows) {
      if (row.status == "pending" && (!next || row.pending.next_attempt_at < *next)) {
        next = row.pending.next_attempt_at;
      }
    }
    return next;
  }
  Expected<std::vector<storage::Silence>> silences(TimeMs) override { return active_silences; }
  Expected<std::vector<storage::Ack>> acks() override { return in_force_acks; }
  Expected<std::vector<storage::EventRecord>> open_conditions_delivered_to(
      const std::string&) override {
    return std::vector<storage::EventRecord>{};
  }
  Expected<void> mark_delivered(const std::vector<std::int64_t>& ids, TimeMs now) override {
    return change(ids, [&](Row& row) {
      row.status = "delivered";
      row.finished_at = now;
      ++row.pending.attempts;
    });
  }
  Expected<void> mark_retry(const std::vector<std::int64_t>& ids, TimeMs next,
                            const std::string& error) override {
    return change(ids, [&](Row& row) {
      row.pending.next_attempt_at = next;
      row.reason = error;
      ++row.pending.attempts;
    });
  }
  Expected<void> mark_final(const std::vector<std::int64_t>& ids, const std::string& status,
                            const std::string& reason, TimeMs now) override {
    return change(ids, [&](Row& row) {
      row.status = status;
      row.reason = reason;
      row.finished_at = now;
    });
  }

 private:
  template <class Change>
  Expected<void> change(const std::vector<std::int64_t>& ids, Change&& change) {
    if (failing_writes > 0) {
      --failing_writes;
      return make_error("disk I/O error");
    }
    for (auto id : ids) {
      if (auto it = rows.find(id); it != rows.end() && it->second.status == "pending") {
        change(it->second);
      }
    }
    return {};
  }
};

struct SendCall {
  std::vector<std::string> event_ids;
  std::vector<notifiers::Event> events;
  std::string delivery_id;
  testing::ManualClock::TimePoint at;
  std::vector<std::string> omswatch_urls;  // of each event
};

// Answers each message with the next of `answers` (the last one once they
// run out) and records what it was sent and when.
class FakeSender : public notifiers::Sender {
 public:
  FakeSender(std::vector<DeliveryOutcome> answers, std::vector<SendCall>& calls,
             const testing::ManualClock& clock)
      : Sender("hook"), answers_(std::move(answers)), calls_(calls), clock_(clock) {}
  asio::awaitable<DeliveryOutcome> send(std::vector<notifiers::Event> events,
                                        std::string delivery_id) override {
    SendCall call{{}, events, delivery_id, clock_.now()};
    for (const auto& e : events) {
      call.event_ids.push_back(e.id);
      call.omswatch_urls.push_back(e.omswatch_url);
    }
    calls_.push_back(std::move(call));
    const auto n = std::min(calls_.size(), answers_.size()) - 1;
    co_return answers_[n];
  }

 private:
  std::vector<DeliveryOutcome> answers_;
  std::vector<SendCall>& calls_;
  const testing::ManualClock& clock_;
};

// A receiver that wants the firing conditions re-sent every minute (as Alertmanager does).
class RemindedSender : public FakeSender {
 public:
  using FakeSender::FakeSender;
  std::optional<seconds> resend_firing_every() const override { return seconds(60); }
};

DeliveryOutcome delivered() { return {DeliveryOutcome::Result::delivered, "200", {}}; }
DeliveryOutcome retry(std::string detail, std::optional<seconds> retry_after = {}) {
  return {DeliveryOutcome::Result::retry, std::move(detail), retry_after};
}

class DispatcherTest : public ::testing::Test {
 protected:
  ~DispatcherTest() override {
    dispatcher_.reset();
    testing::settle(ioc_);
  }

  // Starts a dispatcher with one receiver, "hook", answering `answers`.
  void start(std::vector<DeliveryOutcome> answers, RetryPolicy policy = {}, bool reminded = false) {
    std::map<std::string, std::unique_ptr<notifiers::Sender>> senders;
    if (reminded) {
      senders["hook"] = std::make_unique<RemindedSender>(std::move(answers), calls_, clock_);
    } else {
      senders["hook"] = std::make_unique<FakeSender>(std::move(answers), calls_, clock_);
    }
    DispatcherOptions options;
    options.policy = policy;
    options.steady = &clock_;
    options.jitter = [] { return 1.0; };
    dispatcher_ = std::make_unique<Dispatcher>(
        ioc_.get_executor(), outbox_, std::move(senders), [this] { return from_unix_ms(now_ms()); },
        std::move(options));
    if (config_) dispatcher_->set_config(config_);
    dispatcher_->start();
    testing::settle(ioc_);
  }

  TimeMs now_ms() const {
    return kStart + std::chrono::duration_cast<milliseconds>(clock_.now() - origin_).count();
  }
  // Moves time on to `until` (ms after the start), running every wake-up on the way.
  void run_until(TimeMs until) {
    const auto end = origin_ + milliseconds(until - kStart);
    for (int guard = 0; guard < 1'000'000; ++guard) {
      const auto next = clock_.next_wake();
      if (!next || *next > end) break;
      clock_.advance(std::max(*next - clock_.now(), testing::ManualClock::Duration::zero()));
      testing::settle(ioc_);
    }
    if (end > clock_.now()) clock_.advance(end - clock_.now());
    testing::settle(ioc_);
  }

  // Declared so that the coroutines' frames (destroyed with the io_context)
  // never outlive the clock, the outbox or the calls they use.
  testing::ManualClock clock_;
  const testing::ManualClock::TimePoint origin_ = clock_.now();
  FakeOutbox outbox_;
  std::shared_ptr<const config::Config> config_;  // set before start(), when a test needs one
  std::vector<SendCall> calls_;
  asio::io_context ioc_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, RetryAfterDelaysTheNextAttemptUntilTheReceiverAccepts) {
  outbox_.add(1, "hook", kStart, kStart);
  // 429 with Retry-After: 30 s, longer than the first backoff (5 s).
  start({retry("429 Too Many Requests", seconds(30)), delivered()});
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(outbox_.at(1).status, "pending");
  EXPECT_EQ(outbox_.at(1).pending.next_attempt_at, kStart + 30'000);
  EXPECT_EQ(outbox_.at(1).reason, "429 Too Many Requests");

  run_until(kStart + 29'999);
  EXPECT_EQ(calls_.size(), 1u) << "tried again before Retry-After";
  EXPECT_EQ(outbox_.at(1).status, "pending");

  run_until(kStart + 30'000);
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[1].at - calls_[0].at, seconds(30));
  EXPECT_EQ(calls_[1].delivery_id, calls_[0].delivery_id);
  EXPECT_EQ(outbox_.at(1).status, "delivered");
  EXPECT_EQ(outbox_.at(1).pending.attempts, 2);
  EXPECT_EQ(dispatcher_->counters().retried, 1u);
  EXPECT_EQ(dispatcher_->counters().delivered, 1u);

  run_until(kStart + 600'000);
  EXPECT_EQ(calls_.size(), 2u);
}

TEST_F(DispatcherTest, EventsLinkToTheirConsolePageUnderThePublicUrlOfTheLatestReload) {
  outbox_.add(1, "hook", kStart, kStart, "np a/b");
  outbox_.add(2, "hook", kStart, kStart, "");  // an OMS-level event
  auto config = std::make_shared<config::Config>();
  config->daemon.public_url = "https://omswatch.example.com/";
  config_ = config;
  start({retry("503 Service Unavailable"), delivered()});
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].event_ids, (std::vector<std::string>{"evt_1", "evt_2"}));
  EXPECT_EQ(calls_[0].omswatch_urls,
            (std::vector<std::string>{"https://omswatch.example.com/projects/np%20a%2Fb?oms=oms1",
                                      "https://omswatch.example.com/?oms=oms1"}));

  // A reload moves the console under a path: the retry links there.
  auto moved = std::make_shared<config::Config>(*config);
  moved->daemon.public_url = "https://ops.example.com/omswatch";
  dispatcher_->set_config(moved);
  run_until(kStart + 600'000);
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(
      calls_[1].omswatch_urls,
      (std::vector<std::string>{"https://ops.example.com/omswatch/projects/np%20a%2Fb?oms=oms1",
                                "https://ops.example.com/omswatch/?oms=oms1"}));
}

TEST_F(DispatcherTest, EventsCarryNoConsolePageWithoutAPublicUrl) {
  outbox_.add(1, "hook", kStart, kStart);
  config_ = std::make_shared<config::Config>();
  start({delivered()});
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].omswatch_urls, (std::vector<std::string>{""}));
}

TEST_F(DispatcherTest, SilencedRowsAreRecordedAndNotSent) {
  outbox_.add(1, "hook", kStart, kStart, "p1");
  outbox_.add(2, "hook", kStart, kStart, "p2");
  storage::Silence silence;
  silence.id = 3;
  silence.project_id = "p1";
  silence.comment = "planned maintenance";
  outbox_.active_silences.push_back(silence);
  start({delivered()});

  EXPECT_EQ(outbox_.at(1).status, "silenced");
  EXPECT_EQ(outbox_.at(1).reason, "silence 3: planned maintenance");
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].event_ids, std::vector<std::string>{"evt_2"});
  EXPECT_EQ(outbox_.at(2).status, "delivered");

  run_until(kStart + 600'000);
  EXPECT_EQ(calls_.size(), 1u);
}

TEST_F(DispatcherTest, RowsOlderThanMaxAgeFailAndAreNeverSent) {
  RetryPolicy policy;
  policy.max_age = std::chrono::hours(1);
  outbox_.add(1, "hook", kStart - 2 * 3'600'000, kStart);  // queued two hours ago
  outbox_.add(2, "hook", kStart, kStart);
  // The receiver fails every attempt: row 2 grows old while it is retried.
  start({retry("503 Service Unavailable")}, policy);

  EXPECT_EQ(outbox_.at(1).status, "failed");
  EXPECT_EQ(outbox_.at(1).reason, "gave up: older than max_age");
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].event_ids, std::vector<std::string>{"evt_2"});

  run_until(kStart + 3'600'000);  // max_age old: still pending, retried meanwhile
  EXPECT_EQ(outbox_.at(2).status, "pending");
  const auto tried = calls_.size();
  EXPECT_GT(tried, 1u);
  run_until(kStart + 3 * 3'600'000);
  EXPECT_EQ(outbox_.at(2).status, "failed");
  EXPECT_EQ(outbox_.at(2).reason, "gave up: older than max_age");
  EXPECT_EQ(calls_.size(), tried) << "sent once older than max_age";
  for (const auto& call : calls_) {
    EXPECT_EQ(std::count(call.event_ids.begin(), call.event_ids.end(), "evt_1"), 0);
  }
  const auto final_calls = calls_.size();
  run_until(kStart + 6 * 3'600'000);
  EXPECT_EQ(calls_.size(), final_calls);
}

TEST_F(DispatcherTest, ADeliveryWhoseRecordFailsIsWrittenAfterTheWriteBackoffAndNotResent) {
  outbox_.add(1, "hook", kStart, kStart);
  outbox_.failing_writes = 1;  // mark_delivered fails once
  start({delivered()});
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(outbox_.at(1).status, "pending");  // the outcome waits in memory

  run_until(kStart + 999);  // within the first write pause (1 s)
  EXPECT_EQ(outbox_.at(1).status, "pending");
  run_until(kStart + 1000);
  EXPECT_EQ(outbox_.at(1).status, "delivered");
  EXPECT_EQ(outbox_.at(1).finished_at, kStart + 1000);
  EXPECT_EQ(calls_.size(), 1u) << "a delivered row was sent again";

  // The dispatcher goes on: a new row is delivered at once when it is notified.
  outbox_.add(2, "hook", kStart + 1000, kStart + 1000);
  dispatcher_->notify();
  testing::settle(ioc_);
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[1].event_ids, std::vector<std::string>{"evt_2"});
  EXPECT_EQ(outbox_.at(2).status, "delivered");
}

TEST_F(DispatcherTest, ARetryWhoseRecordFailsIsResentWithTheSameIdAfterTheDelay) {
  outbox_.add(1, "hook", kStart, kStart);
  outbox_.failing_writes = 1;  // mark_retry fails once
  start({retry("502 Bad Gateway"), delivered()});
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(outbox_.at(1).pending.next_attempt_at, kStart);  // still due in the outbox

  run_until(kStart + 4'999);  // the first backoff is 5 s (jitter 1.0)
  EXPECT_EQ(calls_.size(), 1u) << "the receiver did not wait out the delay";
  run_until(kStart + 5'000);
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[1].delivery_id, calls_[0].delivery_id);
  EXPECT_EQ(outbox_.at(1).status, "delivered");
  run_until(kStart + 600'000);
  EXPECT_EQ(calls_.size(), 2u);
}

TEST_F(DispatcherTest, AnAckedConditionIsLeftOutOfTheReminders) {
  outbox_.add(1, "hook", kStart, kStart, "p1");
  outbox_.add(2, "hook", kStart, kStart, "p2");
  start({delivered()}, {}, /*reminded=*/true);
  ASSERT_EQ(calls_.size(), 1u);
  run_until(kStart + 60'000);
  ASSERT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[1].event_ids, (std::vector<std::string>{"evt_1", "evt_2"}));

  // Someone acks p1's condition: the next reminder leaves it out.
  storage::Ack ack;
  ack.id = 7;
  ack.oms = "oms1";
  ack.project_id = "p1";
  ack.kind = "project_failed";
  ack.acked_by = "alice";
  ack.fired_at = 0;
  outbox_.in_force_acks.push_back(ack);
  run_until(kStart + 120'000);
  ASSERT_EQ(calls_.size(), 3u);
  EXPECT_EQ(calls_[2].event_ids, std::vector<std::string>{"evt_2"});

  // Every open condition acked: no reminder at all.
  ack.project_id = "p2";
  outbox_.in_force_acks.push_back(ack);
  run_until(kStart + 300'000);
  EXPECT_EQ(calls_.size(), 3u);
}

TEST_F(DispatcherTest, ARepeatOfAnAckedConditionIsRecordedAndNeverSent) {
  outbox_.add(1, "hook", kStart, kStart, "p1");  // p1 still firing: the detector's repeat
  outbox_.rows[1].pending.repeat = 1;
  outbox_.rows[1].pending.event.observed_at = kStart;
  outbox_.add(2, "hook", kStart, kStart, "p2");  // p2's repeat: nobody acked it
  outbox_.rows[2].pending.repeat = 1;
  outbox_.rows[2].pending.event.observed_at = kStart;
  storage::Ack ack;
  ack.id = 7;
  ack.oms = "oms1";
  ack.project_id = "p1";
  ack.kind = "project_failed";
  ack.acked_by = "alice";
  ack.fired_at = kStart - 3'600'000;
  outbox_.in_force_acks.push_back(ack);
  start({delivered()});

  EXPECT_EQ(outbox_.at(1).status, "silenced");
  EXPECT_EQ(outbox_.at(1).reason, "acknowledged by alice");
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].event_ids, std::vector<std::string>{"evt_2"});
  EXPECT_EQ(outbox_.at(2).status, "delivered");
  run_until(kStart + 600'000);
  EXPECT_EQ(calls_.size(), 1u);
}

TEST_F(DispatcherTest, AResolutionSaysWhoHadAckedItsCondition) {
  outbox_.add(1, "hook", kStart, kStart, "p1");
  outbox_.rows[1].pending.event.state = "resolved";
  outbox_.rows[1].pending.acked_by = "alice";
  outbox_.rows[1].pending.ack_reason = "restarting the source";
  outbox_.add(2, "hook", kStart, kStart, "p2");
  outbox_.rows[2].pending.event.state = "resolved";
  start({delivered()});
  ASSERT_EQ(calls_.size(), 1u);
  ASSERT_EQ(calls_[0].events.size(), 2u);
  EXPECT_EQ(calls_[0].events[0].acked_by, "alice");
  EXPECT_EQ(calls_[0].events[0].ack_reason, "restarting the source");
  EXPECT_EQ(calls_[0].events[1].acked_by, "");
}

}  // namespace
}  // namespace omswatch::daemon
