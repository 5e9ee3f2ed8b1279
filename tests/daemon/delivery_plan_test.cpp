// The delivery plan's rules (daemon/deliver/plan.h), each on plain values:
// no clock, no database, no network.

#include <gtest/gtest.h>

#include "daemon/deliver/plan.h"

namespace omswatch::daemon::deliver {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr TimeMs kNow = 1'700'000'000'000;

storage::PendingDelivery row(std::int64_t id, std::string receiver, TimeMs due = kNow,
                             TimeMs created = kNow - 1000, int attempts = 0) {
  storage::PendingDelivery d;
  d.id = id;
  d.receiver = std::move(receiver);
  d.attempts = attempts;
  d.created_at = created;
  d.next_attempt_at = due;
  d.event.id = "evt_" + std::to_string(id);
  d.event.oms = "oms1";
  d.event.project_id = "p" + std::to_string(id);
  d.event.kind = "project_failed";
  d.event.state = "firing";
  return d;
}

storage::Silence silence(std::int64_t id, std::string project_id, std::string comment = "") {
  storage::Silence s;
  s.id = id;
  s.project_id = std::move(project_id);
  s.comment = std::move(comment);
  return s;
}

TEST(DeliveryPlanTest, SendsTheReceiversDueRowsInOrderAsOneMessage) {
  std::vector<storage::PendingDelivery> rows{row(1, "hook"), row(2, "chat"), row(3, "hook"),
                                             row(4, "hook", kNow + 500, kNow - 1000, 3)};
  auto plan = plan_receiver("hook", rows, {}, {}, RetryPolicy{}, kNow);
  ASSERT_TRUE(plan.due);
  EXPECT_TRUE(plan.writes.empty());
  ASSERT_TRUE(plan.message);
  EXPECT_EQ(plan.message->ids, (std::vector<std::int64_t>{1, 3, 4}));
  EXPECT_EQ(plan.message->rows, (std::vector<std::size_t>{0, 2, 3}));
  EXPECT_EQ(plan.message->attempts, 3);
}

TEST(DeliveryPlanTest, RowsWithinTheGroupWindowWaitForOneThatIsDue) {
  // Rows fetched up to now + group window, none due yet: nothing is sent.
  std::vector<storage::PendingDelivery> rows{row(1, "hook", kNow + 10), row(2, "hook", kNow + 20)};
  auto plan = plan_receiver("hook", rows, {}, {}, RetryPolicy{}, kNow);
  EXPECT_FALSE(plan.due);
  EXPECT_FALSE(plan.message);
  EXPECT_TRUE(plan.writes.empty());
}

TEST(DeliveryPlanTest, AMessageHoldsAtMostMaxEventsPerMessage) {
  std::vector<storage::PendingDelivery> rows;
  for (int i = 1; i <= 7; ++i) rows.push_back(row(i, "hook"));
  RetryPolicy policy;
  policy.max_events_per_message = 3;
  auto plan = plan_receiver("hook", rows, {}, {}, policy, kNow);
  ASSERT_TRUE(plan.message);
  EXPECT_EQ(plan.message->ids, (std::vector<std::int64_t>{1, 2, 3}));
}

TEST(DeliveryPlanTest, HeldRowsAreNeitherSentNorCounted) {
  std::vector<storage::PendingDelivery> rows{row(1, "hook"), row(2, "hook"), row(3, "hook")};
  Held held{{1, HeldOutcome{Mark::delivered, ""}}};
  RetryPolicy policy;
  policy.max_events_per_message = 1;
  auto plan = plan_receiver("hook", rows, held, {}, policy, kNow);
  ASSERT_TRUE(plan.message);
  EXPECT_EQ(plan.message->ids, (std::vector<std::int64_t>{2}));
}

TEST(DeliveryPlanTest, SilencedRowsAreRecordedPerSilenceAndNotSent) {
  std::vector<storage::PendingDelivery> rows{row(1, "hook"), row(2, "hook"), row(3, "hook"),
                                             row(4, "hook")};
  std::vector<storage::Silence> silences{silence(7, "p1", "maintenance"), silence(8, "p3"),
                                         silence(9, "p1")};
  auto plan = plan_receiver("hook", rows, {}, silences, RetryPolicy{}, kNow);
  ASSERT_EQ(plan.writes.size(), 2u);
  EXPECT_EQ(plan.writes[0].mark, Mark::silenced);
  EXPECT_EQ(plan.writes[0].ids, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(plan.writes[0].reason, "silence 7: maintenance");
  EXPECT_EQ(plan.writes[0].at, kNow);
  EXPECT_EQ(plan.writes[1].ids, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(plan.writes[1].reason, "silence 8");
  ASSERT_TRUE(plan.message);
  EXPECT_EQ(plan.message->ids, (std::vector<std::int64_t>{2, 4}));
}

storage::Ack ack(std::int64_t id, std::string project_id, TimeMs fired_at, std::string by) {
  storage::Ack a;
  a.id = id;
  a.oms = "oms1";
  a.project_id = std::move(project_id);
  a.kind = "project_failed";
  a.fired_at = fired_at;
  a.acked_by = std::move(by);
  return a;
}

TEST(DeliveryPlanTest, ARepeatOfAnAckedConditionIsRecordedAndNotSent) {
  const TimeMs fired = kNow - 3'600'000;
  auto repeat_of = [&](std::int64_t id, std::string project, int n, TimeMs observed) {
    auto r = row(id, "hook");
    r.event.project_id = std::move(project);
    r.event.observed_at = observed;
    r.repeat = n;
    return r;
  };
  std::vector<storage::PendingDelivery> rows{
      repeat_of(1, "p1", 1, kNow - 1000),  // a repeat of the acked occurrence
      repeat_of(2, "p2", 1, kNow - 1000),  // a repeat of a condition nobody acked
      repeat_of(3, "p1", 0, fired),        // the first firing
      repeat_of(4, "p3", 2, kNow - 1000),  // acked by bob
      repeat_of(5, "p1", 1, fired - 1),    // a repeat of an earlier occurrence
      repeat_of(6, "p1", 2, kNow - 500),   // another repeat of the acked occurrence
      repeat_of(7, "p1", 0, kNow - 200)};  // a resolution
  rows[6].event.state = "resolved";
  std::vector<storage::Ack> acks{ack(11, "p1", fired, "alice"), ack(12, "p3", fired, "bob")};
  auto removed = ack(13, "p2", fired, "carol");
  removed.removed_at = kNow - 10;
  acks.push_back(removed);
  auto plan = plan_receiver("hook", rows, {}, {}, RetryPolicy{}, kNow, acks);
  ASSERT_EQ(plan.writes.size(), 2u);
  EXPECT_EQ(plan.writes[0].mark, Mark::silenced);
  EXPECT_EQ(plan.writes[0].ids, (std::vector<std::int64_t>{1, 6}));
  EXPECT_EQ(plan.writes[0].reason, "acknowledged by alice");
  EXPECT_EQ(plan.writes[0].at, kNow);
  EXPECT_EQ(plan.writes[1].ids, (std::vector<std::int64_t>{4}));
  EXPECT_EQ(plan.writes[1].reason, "acknowledged by bob");
  ASSERT_TRUE(plan.message);
  EXPECT_EQ(plan.message->ids, (std::vector<std::int64_t>{2, 3, 5, 7}));

  // Without the acks, every row is sent.
  auto unacked = plan_receiver("hook", rows, {}, {}, RetryPolicy{}, kNow);
  EXPECT_TRUE(unacked.writes.empty());
  ASSERT_TRUE(unacked.message);
  EXPECT_EQ(unacked.message->ids.size(), 7u);
}

TEST(DeliveryPlanTest, RowsOlderThanMaxAgeFailAndAreNotSent) {
  RetryPolicy policy;
  policy.max_age = std::chrono::hours(1);
  const TimeMs hour = 3'600'000;
  std::vector<storage::PendingDelivery> rows{row(1, "hook", kNow, kNow - hour - 1),
                                             row(2, "hook", kNow, kNow - hour),
                                             row(3, "hook", kNow, kNow - 2 * hour)};
  auto plan = plan_receiver("hook", rows, {}, {}, policy, kNow);
  ASSERT_EQ(plan.writes.size(), 1u);
  EXPECT_EQ(plan.writes[0].mark, Mark::failed);
  EXPECT_EQ(plan.writes[0].ids, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(plan.writes[0].reason, "gave up: older than max_age");
  EXPECT_EQ(plan.expired, 2u);
  ASSERT_TRUE(plan.message);
  EXPECT_EQ(plan.message->ids, (std::vector<std::int64_t>{2}));  // exactly max_age old: sent
}

TEST(DeliveryPlanTest, ASilenceBeatsMaxAge) {
  RetryPolicy policy;
  policy.max_age = std::chrono::hours(1);
  std::vector<storage::PendingDelivery> rows{row(1, "hook", kNow, kNow - 10 * 3'600'000)};
  auto plan = plan_receiver("hook", rows, {}, {silence(5, "p1")}, policy, kNow);
  ASSERT_EQ(plan.writes.size(), 1u);
  EXPECT_EQ(plan.writes[0].mark, Mark::silenced);
  EXPECT_EQ(plan.expired, 0u);
  EXPECT_FALSE(plan.message);
}

TEST(DeliveryPlanTest, RowsOfReceiversNoLongerConfiguredFail) {
  std::vector<storage::PendingDelivery> rows{row(1, "gone"), row(2, "hook"), row(3, "gone"),
                                             row(4, "old", kNow + 1)};
  auto orphans = plan_orphans(rows, {"hook"}, kNow);
  ASSERT_EQ(orphans.size(), 1u);  // "old" is not due yet
  const auto& write = orphans.at("gone");
  EXPECT_EQ(write.mark, Mark::failed);
  EXPECT_EQ(write.ids, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(write.reason, "receiver is no longer configured");
}

TEST(DeliveryPlanTest, TheSweepLooksAgainWhenTheNextRowFallsDue) {
  auto idle = plan_sweep(std::nullopt, kNow);
  EXPECT_FALSE(idle.wake_receivers);
  EXPECT_EQ(idle.wait, milliseconds(60'000));
  auto later = plan_sweep(kNow + 2500, kNow);
  EXPECT_FALSE(later.wake_receivers);
  EXPECT_EQ(later.wait, milliseconds(2500));
  EXPECT_EQ(plan_sweep(kNow + 3, kNow).wait, milliseconds(10));
  EXPECT_EQ(plan_sweep(kNow + 3'600'000, kNow).wait, milliseconds(60'000));
  auto due = plan_sweep(kNow - 5, kNow);
  EXPECT_TRUE(due.wake_receivers);
  EXPECT_EQ(due.wait, milliseconds(1000));
}

TEST(DeliveryPlanTest, RetriesBackOffExponentiallyWithinJitterUpToMaxDelay) {
  RetryPolicy policy;
  policy.first_delay = seconds(5);
  policy.max_delay = seconds(60);
  EXPECT_EQ(retry_delay(policy, 0, std::nullopt, 1.0), seconds(5));
  EXPECT_EQ(retry_delay(policy, 0, std::nullopt, 0.0), milliseconds(2500));
  EXPECT_EQ(retry_delay(policy, 1, std::nullopt, 1.0), seconds(10));
  EXPECT_EQ(retry_delay(policy, 2, std::nullopt, 0.5), milliseconds(15'000));
  EXPECT_EQ(retry_delay(policy, 4, std::nullopt, 1.0), seconds(60));  // 80 s, capped
  EXPECT_EQ(retry_delay(policy, 1000, std::nullopt, 1.0), seconds(60));
  // Jitter outside [0, 1] is clamped: never sooner than half the nominal delay.
  EXPECT_EQ(retry_delay(policy, 0, std::nullopt, -3.0), milliseconds(2500));
  EXPECT_EQ(retry_delay(policy, 0, std::nullopt, 7.0), seconds(5));
}

TEST(DeliveryPlanTest, RetryAfterIsHonoured) {
  RetryPolicy policy;
  policy.first_delay = seconds(5);
  EXPECT_EQ(retry_delay(policy, 0, seconds(30), 1.0), seconds(30));
  // A Retry-After shorter than the backoff does not shorten it.
  EXPECT_EQ(retry_delay(policy, 0, seconds(1), 1.0), seconds(5));
  // Nor is a Retry-After cut to max_delay.
  policy.max_delay = seconds(10);
  EXPECT_EQ(retry_delay(policy, 3, seconds(120), 1.0), seconds(120));
}

Message message_of(std::vector<std::int64_t> ids, int attempts = 0) {
  Message m;
  m.ids = std::move(ids);
  m.attempts = attempts;
  return m;
}

TEST(DeliveryPlanTest, ADeliveredMessageIsMarkedDelivered) {
  auto plan = plan_outcome(message_of({4, 5}), {SendResult::Kind::delivered, "200", {}},
                           RetryPolicy{}, kNow, 0.5);
  ASSERT_TRUE(plan.write);
  EXPECT_EQ(plan.write->mark, Mark::delivered);
  EXPECT_EQ(plan.write->ids, (std::vector<std::int64_t>{4, 5}));
  EXPECT_EQ(plan.write->at, kNow);
  EXPECT_TRUE(plan.more);
  EXPECT_FALSE(plan.pause);
}

TEST(DeliveryPlanTest, ARefusedMessageFailsWithTheReceiversAnswer) {
  auto plan = plan_outcome(message_of({4}), {SendResult::Kind::refused, "400 bad payload", {}},
                           RetryPolicy{}, kNow, 0.5);
  ASSERT_TRUE(plan.write);
  EXPECT_EQ(plan.write->mark, Mark::failed);
  EXPECT_EQ(plan.write->reason, "400 bad payload");
  EXPECT_TRUE(plan.more);
}

TEST(DeliveryPlanTest, ARetryIsWrittenWithTheBackoffTimeAndPausesTheReceiver) {
  RetryPolicy policy;
  policy.first_delay = seconds(5);
  auto plan =
      plan_outcome(message_of({4}, 2), {SendResult::Kind::retry, "503", {}}, policy, kNow, 1.0);
  ASSERT_TRUE(plan.write);
  EXPECT_EQ(plan.write->mark, Mark::retry);
  EXPECT_EQ(plan.write->at, kNow + 20'000);
  EXPECT_EQ(plan.write->reason, "503");
  EXPECT_EQ(plan.pause, milliseconds(20'000));
  EXPECT_FALSE(plan.more);

  auto limited = plan_outcome(message_of({4}), {SendResult::Kind::retry, "429", seconds(90)},
                              policy, kNow, 1.0);
  EXPECT_EQ(limited.write->at, kNow + 90'000);
}

TEST(DeliveryPlanTest, ADeferredMessageIsNoAttemptAndPausesTheReceiver) {
  auto plan = plan_outcome(message_of({4}), {SendResult::Kind::deferred, "", seconds(7)},
                           RetryPolicy{}, kNow, 0.5);
  EXPECT_FALSE(plan.write);
  EXPECT_EQ(plan.pause, seconds(7));
  EXPECT_FALSE(plan.more);
  auto unsaid =
      plan_outcome(message_of({4}), {SendResult::Kind::deferred, "", {}}, RetryPolicy{}, kNow, 0.5);
  EXPECT_EQ(unsaid.pause, seconds(1));
}

TEST(DeliveryPlanTest, ASendAbandonedByAReloadWritesNothing) {
  auto plan = plan_outcome(message_of({4}), {SendResult::Kind::sender_removed, "", {}},
                           RetryPolicy{}, kNow, 0.5);
  EXPECT_FALSE(plan.write);
  EXPECT_FALSE(plan.pause);
  EXPECT_FALSE(plan.more);
}

TEST(DeliveryPlanTest, HeldOutcomesAreWrittenGroupedByMarkAndReason) {
  Held held;
  hold(held, Write{Mark::delivered, {3, 1}, kNow, ""});
  hold(held, Write{Mark::silenced, {2}, kNow, "silence 4"});
  hold(held, Write{Mark::retry, {9}, kNow, "503"});  // a retry is not kept
  hold(held, Write{Mark::failed, {5}, kNow, "gave up"});
  hold(held, Write{Mark::delivered, {6}, kNow, ""});
  auto writes = held_writes(held, kNow + 5);
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[0].mark, Mark::delivered);
  EXPECT_EQ(writes[0].ids, (std::vector<std::int64_t>{1, 3, 6}));
  EXPECT_EQ(writes[0].at, kNow + 5);
  EXPECT_EQ(writes[1].mark, Mark::failed);
  EXPECT_EQ(writes[1].reason, "gave up");
  EXPECT_EQ(writes[2].mark, Mark::silenced);
  EXPECT_EQ(writes[2].ids, (std::vector<std::int64_t>{2}));
  EXPECT_FALSE(held.count(9));
}

notifiers::Event event(std::string project, std::string kind, std::string state) {
  notifiers::Event e;
  e.oms = "oms1";
  e.project_id = std::move(project);
  e.kind = std::move(kind);
  e.state = std::move(state);
  e.id = e.project_id + "/" + e.kind + "/" + e.state;
  return e;
}

TEST(DeliveryPlanTest, RemindersCarryTheLatestFiringEventOfEachOpenCondition) {
  OpenConditions open;
  track_delivered(open, {event("p1", "project_failed", "firing"), event("p2", "incr_lag", "firing"),
                         event("p3", "status_changed", "notice")});
  auto refreshed = event("p1", "project_failed", "firing");
  refreshed.summary = "still failed";
  track_delivered(open, {refreshed, event("p2", "incr_lag", "resolved")});
  auto events = reminder_events(open);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].project_id, "p1");
  EXPECT_EQ(events[0].summary, "still failed");
  EXPECT_EQ(reminder_id("am", 3), "resend_am_3");
  EXPECT_TRUE(reminder_events({}).empty());
}

TEST(DeliveryPlanTest, TheDeliveryIdIsStableForTheSameReceiverAndRows) {
  const auto id = delivery_id("hook", {4, 5});
  EXPECT_EQ(id, delivery_id("hook", {4, 5}));
  EXPECT_EQ(id.rfind("msg_", 0), 0u);
  EXPECT_EQ(id.substr(id.size() - 2), "_4");
  EXPECT_NE(id, delivery_id("hook", {4}));
  EXPECT_NE(id, delivery_id("chat", {4, 5}));
}

}  // namespace
}  // namespace omswatch::daemon::deliver
