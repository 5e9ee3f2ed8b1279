// Faults of a receiver on the real daemon: polling goes on, the failure is
// logged once (and its end once), and once the receiver is back every event
// the database holds arrives exactly once.

#include <gtest/gtest.h>

#include <functional>

#include "tests/e2e/fault_rig.h"

namespace omswatch {
namespace {

using testing::Daemon;
using testing::FaultyReceiver;
using testing::IoThread;
using testing::SimOms;
using testing::TempDir;

void run_receiver_fault(const std::function<void(FaultyReceiver&)>& break_it) {
  IoThread io;
  TempDir dir;
  const auto ids = testing::project_ids("np_r", 3);
  SimOms oms(io, ids);
  FaultyReceiver receiver(io);
  const std::string db = dir.file("receiver.db");
  Daemon daemon(
      dir, testing::one_oms_config(db, oms.url(), ids, receiver.url(), "timeout = \"500ms\"\n"));
  oms.set_status("np_r1", "SUSPEND");
  ASSERT_TRUE(receiver.wait_for("project_suspended", "firing", "np_r1")) << daemon.log();

  break_it(receiver);
  oms.set_status("np_r2", "FAILED");
  ASSERT_TRUE(oms.wait_polls(20)) << daemon.log();
  oms.set_status("np_r3", "SUSPEND");
  ASSERT_TRUE(oms.wait_polls(40)) << daemon.log();  // polling goes on, retries happen
  EXPECT_EQ(receiver.count("project_failed", "firing", "np_r2"), 0u);

  receiver.set_ok();
  ASSERT_TRUE(receiver.wait_for("project_failed", "firing", "np_r2")) << daemon.log();
  ASSERT_TRUE(receiver.wait_for("project_suspended", "firing", "np_r3")) << daemon.log();
  // Arrived is not yet recorded as delivered: a stop now would send it again.
  ASSERT_TRUE(testing::wait_for_log(daemon, oms, "receiver hook accepts deliveries again"))
      << daemon.log();
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();

  const std::string log = daemon.log();
  auto lines = testing::log_lines_besides_events(log);
  // One warning when deliveries start failing, one line when they succeed again.
  EXPECT_EQ(testing::count_containing(lines, "receiver hook: delivery failed"), 1u) << log;
  EXPECT_EQ(testing::count_containing(lines, "receiver hook accepts deliveries again"), 1u) << log;
  EXPECT_LE(testing::count_containing(lines, "hook"), 3u) << log;
  EXPECT_LE(lines.size(), 12u) << log;
  testing::expect_every_event_delivered_once(db, dir.path().string(), receiver.events(), 4);
}

TEST(FaultReceiver, ConnectionRefused) {
  run_receiver_fault([](FaultyReceiver& r) { r.set_down(); });
}
TEST(FaultReceiver, ReplyAfterTheTimeout) {
  run_receiver_fault([](FaultyReceiver& r) { r.set_slow(); });
}
TEST(FaultReceiver, TooManyRequestsWithRetryAfter) {
  run_receiver_fault([](FaultyReceiver& r) { r.set_status(429, "1"); });
}
TEST(FaultReceiver, TooManyRequestsWithoutRetryAfter) {
  run_receiver_fault([](FaultyReceiver& r) { r.set_status(429); });
}
TEST(FaultReceiver, Http500) {
  run_receiver_fault([](FaultyReceiver& r) { r.set_status(500); });
}
TEST(FaultReceiver, GarbageReplies) {
  run_receiver_fault([](FaultyReceiver& r) { r.set_garbage(); });
}

}  // namespace
}  // namespace omswatch
