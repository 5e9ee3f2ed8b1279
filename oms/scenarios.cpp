// The scripted projects of the demo and of the benchmark scenario (declared
// in simulator.h).

#include <algorithm>
#include <cstdio>

#include "oms/scenario_step.h"
#include "oms/simulator.h"

namespace omswatch::oms {
namespace {

// 2026-01-01T00:00:00Z: t = 0 of the storyline when no start time is given.
constexpr std::int64_t kFixedStart = 1'767'225'600;

// Storyline times, in seconds since the start (documented in simulator.h).
constexpr std::int64_t kOrdersStructStart = 5;
constexpr std::int64_t kOrdersFullStart = 15;
constexpr std::int64_t kOrdersIncrStart = 45;
constexpr std::int64_t kBillingStallStart = 20;
constexpr std::int64_t kBillingStallEnd = 70;
constexpr std::int64_t kAuditFailsAt = 25;

Checkpoint checkpoint_at(std::int64_t unix_seconds) {
  return Checkpoint{std::to_string(unix_seconds), unix_seconds};
}

// Percentage of the way from `from` to `to` at `t`.
int percent(std::int64_t t, std::int64_t from, std::int64_t to) {
  return static_cast<int>(std::clamp<std::int64_t>((t - from) * 100 / (to - from), 0, 100));
}

SimProject orders(std::int64_t t, std::int64_t start) {
  SimProject p;
  p.name = "orders: MySQL 8.0 -> OceanBase";
  p.type = "MIGRATION";
  p.labels = {"demo", "payments"};
  ProjectProgress& pr = p.progress;
  pr.project_id = "np_demo_orders";
  pr.alarm_level = "MEDIUM";
  pr.enable_struct_transfer = true;
  pr.enable_full_transfer = true;
  pr.enable_incr_sync = true;
  pr.enable_reverse_incr_transfer = false;
  pr.struct_transfer_progress = 0;
  pr.full_transfer_progress = 0;

  std::string precheck = "INIT", structure = "INIT", full = "INIT", incr = "INIT";
  if (t < kOrdersStructStart) {
    pr.status = "INIT";
  } else {
    pr.status = "RUNNING";
    precheck = "FINISHED";
    if (t < kOrdersFullStart) {
      pr.current_step = "STRUCT_TRANSFER";
      pr.struct_transfer_progress = percent(t, kOrdersStructStart, kOrdersFullStart);
      structure = "RUNNING";
    } else if (t < kOrdersIncrStart) {
      pr.current_step = "FULL_TRANSFER";
      pr.struct_transfer_progress = 100;
      pr.full_transfer_progress = percent(t, kOrdersFullStart, kOrdersIncrStart);
      structure = "FINISHED";
      full = "RUNNING";
    } else {
      // In production now: the operator raised its protection level.
      pr.current_step = "INCR_TRANSFER";
      pr.alarm_level = "HIGH";
      pr.struct_transfer_progress = 100;
      pr.full_transfer_progress = 100;
      pr.incr_sync_checkpoint = checkpoint_at(start + t - 3);
      structure = "FINISHED";
      full = "FINISHED";
      incr = "MONITORING";
    }
  }
  p.steps = {
      scenario_step(1, "TRANSFER_PRECHECK", "Pre-check", precheck,
                    precheck == "FINISHED" ? 100 : 0),
      scenario_step(2, "STRUCT_TRANSFER", "Schema migration", structure,
                    pr.struct_transfer_progress),
      scenario_step(3, "FULL_TRANSFER", "Full data migration", full, pr.full_transfer_progress),
      scenario_step(4, "INCR_TRANSFER", "Incremental synchronization", incr)};
  return p;
}

SimProject billing(std::int64_t t, std::int64_t start) {
  SimProject p;
  p.name = "billing: Oracle 19c -> OceanBase";
  p.type = "SYNC";
  p.labels = {"demo", "finance"};
  ProjectProgress& pr = p.progress;
  pr.project_id = "np_demo_billing";
  pr.status = "RUNNING";
  pr.alarm_level = "HIGH";
  pr.current_step = "INCR_SYNC";
  pr.enable_struct_transfer = false;
  pr.enable_full_transfer = false;
  pr.enable_incr_sync = true;
  pr.enable_reverse_incr_transfer = false;
  // The log reader stops at kBillingStallStart and catches up at kBillingStallEnd.
  const std::int64_t read_up_to =
      (t >= kBillingStallStart && t < kBillingStallEnd) ? kBillingStallStart : t;
  pr.incr_sync_checkpoint = checkpoint_at(start + read_up_to - 2);
  p.steps = {scenario_step(1, "TRANSFER_PRECHECK", "Pre-check", "FINISHED", 100),
             scenario_step(2, "INCR_SYNC", "Incremental synchronization", "MONITORING")};
  return p;
}

SimProject audit(std::int64_t t, std::int64_t start) {
  SimProject p;
  p.name = "audit: Oracle 12c -> OceanBase";
  p.type = "SYNC";
  p.labels = {"demo"};
  ProjectProgress& pr = p.progress;
  pr.project_id = "np_demo_audit";
  pr.alarm_level = "MEDIUM";
  pr.current_step = "INCR_SYNC";
  pr.enable_struct_transfer = false;
  pr.enable_full_transfer = false;
  pr.enable_incr_sync = true;
  pr.enable_reverse_incr_transfer = false;
  ProjectStep incr = scenario_step(2, "INCR_SYNC", "Incremental synchronization", "MONITORING");
  if (t < kAuditFailsAt) {
    pr.status = "RUNNING";
    pr.incr_sync_checkpoint = checkpoint_at(start + t - 1);
  } else {
    pr.status = "FAILED";
    pr.incr_sync_checkpoint = checkpoint_at(start + kAuditFailsAt - 1);
    incr.status = "FAILED";
    incr.error.error_code = "ORA-01555";
    incr.error.error_msg =
        "ORA-01555: snapshot too old: rollback segment number 12 with name "
        "\"_SYSSMU12_2710538562$\" too small";
  }
  p.steps = {scenario_step(1, "TRANSFER_PRECHECK", "Pre-check", "FINISHED", 100), std::move(incr)};
  return p;
}

}  // namespace

std::vector<SimProject> demo_projects_at(std::chrono::seconds since_start,
                                         std::chrono::system_clock::time_point started_at) {
  const std::int64_t t = std::max<std::int64_t>(since_start.count(), 0);
  const std::int64_t start =
      std::chrono::floor<std::chrono::seconds>(started_at.time_since_epoch()).count();
  return {orders(t, start), billing(t, start), audit(t, start)};
}

std::vector<SimProject> demo_projects_at(std::chrono::seconds since_start) {
  return demo_projects_at(since_start,
                          std::chrono::system_clock::time_point(std::chrono::seconds(kFixedStart)));
}

std::vector<SimProject> static_projects_at(std::size_t count,
                                           std::chrono::system_clock::time_point now) {
  const std::int64_t checkpoint =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count() - 2;
  std::vector<SimProject> projects;
  projects.reserve(count);
  for (std::size_t i = 1; i <= count; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "np_sim_%06zu", i);
    SimProject p;
    p.name = std::string("simulated project ") + std::to_string(i);
    p.type = "SYNC";
    p.labels = {"sim"};
    ProjectProgress& pr = p.progress;
    pr.project_id = id;
    pr.status = "RUNNING";
    pr.alarm_level = "MEDIUM";
    pr.current_step = "INCR_SYNC";
    pr.enable_struct_transfer = true;
    pr.enable_full_transfer = true;
    pr.enable_incr_sync = true;
    pr.enable_reverse_incr_transfer = false;
    pr.struct_transfer_progress = 100;
    pr.full_transfer_progress = 100;
    pr.incr_sync_checkpoint = checkpoint_at(checkpoint);
    p.steps = {scenario_step(1, "TRANSFER_PRECHECK", "Pre-check", "FINISHED", 100),
               scenario_step(2, "INCR_SYNC", "Incremental synchronization", "MONITORING")};
    projects.push_back(std::move(p));
  }
  return projects;
}

}  // namespace omswatch::oms
