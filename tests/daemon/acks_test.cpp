// The decisions of an acknowledgement (daemon/deliver/acks.h).

#include "daemon/deliver/acks.h"

#include <gtest/gtest.h>

#include "common/time.h"

namespace omswatch::daemon::deliver {
namespace {

constexpr storage::TimeMs kT0 = 1'795'924'800'000;

notifiers::Event firing(const std::string& project, storage::TimeMs at,
                        const std::string& kind = "project_failed") {
  notifiers::Event e;
  e.id = "evt_" + project + "_" + std::to_string(at);
  e.oms = "prod";
  e.project_id = project;
  e.kind = kind;
  e.state = "firing";
  e.observed_at = from_unix_ms(at);
  return e;
}

storage::Ack ack_of(const std::string& project, storage::TimeMs fired_at) {
  storage::Ack a;
  a.id = 1;
  a.oms = "prod";
  a.project_id = project;
  a.kind = "project_failed";
  a.fired_at = fired_at;
  a.acked_by = "alice";
  return a;
}

TEST(AckText, TakesOneLineOfTextWithinItsBound) {
  EXPECT_FALSE(check_operator_text("by", "alice", kMaxAckedByBytes, true));
  EXPECT_FALSE(check_operator_text("reason", "", kMaxAckReasonBytes, false));
  EXPECT_FALSE(check_operator_text("reason", "重启源端 → 10 分钟", kMaxAckReasonBytes, false));

  auto blank = check_operator_text("by", "  ", kMaxAckedByBytes, true);
  ASSERT_TRUE(blank);
  EXPECT_EQ(blank->field, "by");
  EXPECT_EQ(blank->message, "is required");

  auto long_text = check_operator_text("reason", std::string(501, 'x'), kMaxAckReasonBytes, false);
  ASSERT_TRUE(long_text);
  EXPECT_EQ(long_text->field, "reason");
  EXPECT_EQ(long_text->message, "is 501 bytes long; at most 500 are kept");

  for (std::string bad :
       {std::string("a\nb"), std::string("\x1b]0;owned\x07"), std::string("a\x7f"),
        std::string("\xff"), std::string("a\u202eb"), std::string("a\0b", 3)}) {
    auto e = check_operator_text("reason", bad, kMaxAckReasonBytes, false);
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->field, "reason");
  }
}

TEST(AckState, InForceUntilResolvedOrRemoved) {
  auto a = ack_of("p1", kT0);
  EXPECT_EQ(ack_state(a), AckState::in_force);
  EXPECT_EQ(to_string(ack_state(a)), "in_force");
  a.resolved_at = kT0 + 1;
  EXPECT_EQ(ack_state(a), AckState::resolved);
  a.resolved_at.reset();
  a.removed_at = kT0 + 1;
  EXPECT_EQ(ack_state(a), AckState::removed);
  EXPECT_EQ(to_string(AckState::removed), "removed");
}

TEST(AckCovers, TheSameConditionFromTheOccurrenceAckedOn) {
  const auto a = ack_of("p1", kT0);
  EXPECT_TRUE(ack_covers(a, firing("p1", kT0)));
  EXPECT_TRUE(ack_covers(a, firing("p1", kT0 + 60'000))) << "a repeat of the occurrence";
  EXPECT_FALSE(ack_covers(a, firing("p1", kT0 - 1))) << "an earlier occurrence";
  EXPECT_FALSE(ack_covers(a, firing("p2", kT0)));
  EXPECT_FALSE(ack_covers(a, firing("p1", kT0, "incr_lagging")));
  auto other_oms = firing("p1", kT0);
  other_oms.oms = "staging";
  EXPECT_FALSE(ack_covers(a, other_oms));
  auto resolved = a;
  resolved.resolved_at = kT0 + 1;
  EXPECT_FALSE(ack_covers(resolved, firing("p1", kT0)));
  auto removed = a;
  removed.removed_at = kT0 + 1;
  EXPECT_FALSE(ack_covers(removed, firing("p1", kT0)));
}

TEST(AckReminders, LeaveOutTheAckedConditions) {
  OpenConditions open;
  track_delivered(open, {firing("p1", kT0), firing("p2", kT0), firing("p3", kT0)});
  std::size_t left_out = 99;
  auto all = reminder_events(open, {}, &left_out);
  EXPECT_EQ(all.size(), 3u);
  EXPECT_EQ(left_out, 0u);

  auto events = reminder_events(open, {ack_of("p2", kT0), ack_of("p9", kT0)}, &left_out);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].project_id, "p1");
  EXPECT_EQ(events[1].project_id, "p3");
  EXPECT_EQ(left_out, 1u);

  auto later = ack_of("p1", kT0 + 1);  // acks a newer occurrence than the one open here
  EXPECT_EQ(reminder_events(open, {later}).size(), 3u);
}

TEST(AckNote, OnlyAResolutionCarriesTheAck) {
  storage::PendingDelivery row;
  row.acked_by = "alice";
  row.ack_reason = "on it";
  auto resolved = firing("p1", kT0);
  resolved.state = "resolved";
  note_ack(resolved, row);
  EXPECT_EQ(resolved.acked_by, "alice");
  EXPECT_EQ(resolved.ack_reason, "on it");

  auto fired = firing("p1", kT0);
  note_ack(fired, row);
  EXPECT_EQ(fired.acked_by, "");

  auto plain = firing("p1", kT0);
  plain.state = "resolved";
  note_ack(plain, storage::PendingDelivery{});
  EXPECT_EQ(plain.acked_by, "");
}

}  // namespace
}  // namespace omswatch::daemon::deliver
