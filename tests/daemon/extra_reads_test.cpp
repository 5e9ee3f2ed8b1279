#include "daemon/extra_reads.h"

#include <gtest/gtest.h>

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;

const ReadTime t0 = ReadTime(std::chrono::seconds(1'780'000'000));

oms::ProjectProgress in_step(std::string step, std::string status = "RUNNING") {
  oms::ProjectProgress p;
  p.project_id = "np_1";
  p.status = std::move(status);
  p.current_step = std::move(step);
  return p;
}

TEST(ExtraReads, StepsAreReadDuringAFullTransferAtTheirOwnCadence) {
  ExtraReads reads;
  auto p = in_step("FULL_TRANSFER");
  auto plan = plan_extra_reads(reads, p, t0, 60s);
  EXPECT_TRUE(plan.steps);
  EXPECT_FALSE(plan.verify);
  read_done(reads, plan, t0);
  EXPECT_FALSE(plan_extra_reads(reads, p, t0 + 10s, 60s).steps);
  EXPECT_FALSE(plan_extra_reads(reads, p, t0 + 59s, 60s).steps);
  EXPECT_TRUE(plan_extra_reads(reads, p, t0 + 60s, 60s).steps);
}

TEST(ExtraReads, AFailedReadIsTriedAgainAtTheNextPoll) {
  ExtraReads reads;
  auto p = in_step("FULL_MIGRATION");
  EXPECT_TRUE(plan_extra_reads(reads, p, t0, 60s).steps);
  // Not marked done: the read failed.
  EXPECT_TRUE(plan_extra_reads(reads, p, t0 + 10s, 60s).steps);
}

TEST(ExtraReads, NothingIsReadOutsideTheFullPhasesOrWhenNotRunning) {
  for (const char* step : {"INCR_TRANSFER", "STRUCT_TRANSFER", "PRE_CHECK", ""}) {
    ExtraReads reads;
    auto plan = plan_extra_reads(reads, in_step(step), t0, 60s);
    EXPECT_FALSE(plan.steps) << step;
    EXPECT_FALSE(plan.verify) << step;
  }
  ExtraReads reads;
  EXPECT_FALSE(plan_extra_reads(reads, in_step("FULL_TRANSFER", "SUSPEND"), t0, 60s).steps);
  EXPECT_FALSE(plan_extra_reads(reads, in_step("FULL_TRANSFER", "FAILED"), t0, 60s).steps);
}

TEST(ExtraReads, VerificationIsFollowedWhileItRunsAndReadOnceMoreWhenItEnds) {
  ExtraReads reads;
  auto verifying = in_step("FULL_VERIFIER");
  auto plan = plan_extra_reads(reads, verifying, t0, 60s);
  EXPECT_TRUE(plan.steps);
  EXPECT_TRUE(plan.verify);
  read_done(reads, plan, t0);
  plan = plan_extra_reads(reads, verifying, t0 + 30s, 60s);
  EXPECT_FALSE(plan.verify);

  // The project moves on to incremental sync: one final read, then none.
  auto incr = in_step("INCR_TRANSFER");
  plan = plan_extra_reads(reads, incr, t0 + 40s, 60s);
  EXPECT_TRUE(plan.verify);
  EXPECT_FALSE(plan.steps);
  // Not done (the read failed): still due at the next poll.
  plan = plan_extra_reads(reads, incr, t0 + 50s, 60s);
  EXPECT_TRUE(plan.verify);
  read_done(reads, plan, t0 + 50s);
  EXPECT_FALSE(plan_extra_reads(reads, incr, t0 + 60s, 60s).verify);
  EXPECT_FALSE(plan_extra_reads(reads, incr, t0 + 600s, 60s).verify);
}

TEST(ExtraReads, AClockThatWentBackMakesTheReadDue) {
  ExtraReads reads;
  auto p = in_step("FULL_TRANSFER");
  read_done(reads, plan_extra_reads(reads, p, t0, 60s), t0);
  EXPECT_TRUE(plan_extra_reads(reads, p, t0 - 1h, 60s).steps);
}

TEST(ExtraReadBudget, AllowsOneCallForEveryTenPollsAndOneEvery30Seconds) {
  ExtraReadBudget budget;
  EXPECT_TRUE(budget.take());  // two to start with
  EXPECT_TRUE(budget.take());
  EXPECT_FALSE(budget.take());
  // 1,000 polls within one second: 100 calls at most (the cap holds 10).
  // Over 30 s they brought more than a call: no call is added for the 30 s.
  int taken = 0;
  for (int i = 0; i < 1000; ++i) {
    budget.polled(t0 + std::chrono::milliseconds(i));
    if (budget.take()) ++taken;
  }
  EXPECT_EQ(taken, 100);
  // A quiet OMS (one poll every 30 s) still gets a call every 30 s.
  ExtraReadBudget quiet;
  ASSERT_TRUE(quiet.take());
  ASSERT_TRUE(quiet.take());
  quiet.polled(t0);
  EXPECT_FALSE(quiet.take());
  quiet.polled(t0 + 29s);
  EXPECT_FALSE(quiet.take());
  quiet.polled(t0 + 30s);
  EXPECT_TRUE(quiet.take());
}

TEST(ExtraReadBudget, ALargeFleetStaysWithinATenthOfItsPolls) {
  // 100 polls a second (1,000 projects every 10 s) for ten minutes.
  ExtraReadBudget budget;
  int taken = 0;
  int polls = 0;
  for (int ms = 0; ms < 600'000; ms += 10) {
    budget.polled(t0 + std::chrono::milliseconds(ms));
    ++polls;
    while (budget.take()) ++taken;
  }
  EXPECT_LE(taken, polls / 10 + 2);  // the two it starts with
  EXPECT_GE(taken, polls / 10);
}

TEST(ExtraReadBudget, TheUnspentBudgetIsCapped) {
  ExtraReadBudget budget;
  for (int i = 0; i < 10'000; ++i) budget.polled(t0);
  EXPECT_DOUBLE_EQ(budget.calls(), 10.0);
}

oms::ProjectStep step(std::string name, std::string status, std::optional<int> progress = {}) {
  oms::ProjectStep s;
  s.name = std::move(name);
  s.status = std::move(status);
  s.progress = progress;
  return s;
}

TEST(ExtraReads, TheTransferStepIsTheCurrentOneElseTheRunningOne) {
  std::vector<oms::ProjectStep> steps = {step("STRUCT_TRANSFER", "FINISHED"),
                                         step("FULL_TRANSFER", "RUNNING", 40),
                                         step("FULL_VERIFIER", "INIT")};
  auto found = transfer_step_of(steps, "FULL_TRANSFER");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "FULL_TRANSFER");
  found = transfer_step_of(steps, "FULL_VERIFIER");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "FULL_VERIFIER");
  found = transfer_step_of(steps, "SOMETHING_NEW");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "FULL_TRANSFER");
  EXPECT_FALSE(transfer_step_of({step("INCR_TRANSFER", "MONITORING")}, "INCR_TRANSFER"));
}

TEST(ExtraReads, VerificationEndsWhenItsStepFinishesReaches100OrIsLeft) {
  EXPECT_FALSE(verification_ended(step("FULL_VERIFIER", "RUNNING", 60), "FULL_VERIFIER"));
  EXPECT_TRUE(verification_ended(step("FULL_VERIFIER", "RUNNING", 100), "FULL_VERIFIER"));
  EXPECT_TRUE(verification_ended(step("FULL_VERIFIER", "FINISHED"), "FULL_VERIFIER"));
  EXPECT_FALSE(verification_ended(std::nullopt, "FULL_VERIFIER"));
  EXPECT_TRUE(verification_ended(std::nullopt, "INCR_TRANSFER"));
}

}  // namespace
}  // namespace omswatch::daemon
