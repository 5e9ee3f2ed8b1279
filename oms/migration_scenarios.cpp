// The migration scenarios of omswatch-sim (declared in simulator.h): full
// transfers whose figures advance with the simulator's clock, a full
// verification that finds differences, a transfer that fails and is retried,
// a project whose transfer instance is still being created.

#include <algorithm>
#include <cmath>
#include <string_view>

#include "oms/scenario_step.h"
#include "oms/simulator.h"

namespace omswatch::oms {
namespace {

using Seconds = std::int64_t;

// The storyline times and rates (documented in simulator.h), in simulated seconds.
constexpr double kCatalogStructEnd = 2;
constexpr double kCatalogRate = 40'000;  // rows per second
constexpr std::int64_t kCatalogFirstGuess = 1'000'000;
constexpr std::int64_t kCatalogRows = 1'200'000;  // the estimate, revised at kCatalogRevisedAt
constexpr double kCatalogRevisedAt = 12;
constexpr double kCatalogFullEnd = kCatalogStructEnd + kCatalogRows / kCatalogRate;  // 32 s
constexpr double kCatalogVerifyRate = 100'000;
constexpr double kCatalogVerifyEnd = kCatalogFullEnd + kCatalogRows / kCatalogVerifyRate;  // 44 s

constexpr double kArchiveRate = 3'000;
constexpr double kArchiveRateRef = 20'000;
constexpr std::int64_t kArchiveRows = 5'000'000;

constexpr double kLedgerRate = 25'000;
constexpr std::int64_t kLedgerRows = 1'000'000;
constexpr double kLedgerFailsAt = 10;
constexpr double kLedgerRetriedAt = 25;

constexpr double kFreshCreatedAt = 60;
constexpr double kFreshRate = 50'000;
constexpr std::int64_t kFreshRows = 1'500'000;

// One table of the catalog's verification: its rows and its differences.
struct TableSpec {
  const char* name;
  std::int64_t rows;
  std::int64_t source_only, dest_only, mismatched;
};
constexpr TableSpec kCatalogTables[] = {
    {"products", 300'000, 0, 0, 0},     {"product_prices", 250'000, 2, 1, 9},
    {"categories", 50'000, 0, 0, 0},    {"suppliers", 100'000, 0, 0, 0},
    {"stock_levels", 400'000, 0, 0, 4}, {"brands", 100'000, 0, 0, 0},
};

int percent_of(std::int64_t done, std::int64_t total) {
  if (total <= 0) return 0;
  return static_cast<int>(std::clamp<std::int64_t>(done * 100 / total, 0, 100));
}

// Transfer figures at `rate` rows/s against OMS's baseline `rate_ref`.
TransferInfo figures(std::int64_t processed, std::int64_t capacity, double rate, double rate_ref) {
  TransferInfo t;
  t.processed_records = processed;
  t.capacity = capacity;
  t.src_rps = static_cast<std::int64_t>(rate * 1.02);
  t.dst_rps = static_cast<std::int64_t>(rate);
  t.src_rt = 2;
  t.dst_rt = 3;
  t.src_iops = static_cast<std::int64_t>(rate * 1.02) * 256;
  t.dst_iops = static_cast<std::int64_t>(rate) * 256;
  t.src_rps_ref = static_cast<std::int64_t>(rate_ref * 1.02);
  t.dst_rps_ref = static_cast<std::int64_t>(rate_ref);
  t.src_rt_ref = 2;
  t.dst_rt_ref = 2;
  t.src_iops_ref = static_cast<std::int64_t>(rate_ref * 1.02) * 256;
  return t;
}

// The clock of one storyline: t seconds since its start at Unix second `start`.
struct Clock {
  double t;
  Seconds start;
  Seconds at(double offset) const { return start + static_cast<Seconds>(std::floor(offset)); }
  Seconds now() const { return at(t); }
};

SimProject base(std::string id, std::string name) {
  SimProject p;
  p.name = std::move(name);
  p.type = "MIGRATION";
  p.labels = {"migration"};
  ProjectProgress& pr = p.progress;
  pr.project_id = std::move(id);
  pr.status = "RUNNING";
  pr.alarm_level = "MEDIUM";
  pr.enable_struct_transfer = true;
  pr.enable_full_transfer = true;
  pr.enable_incr_sync = true;
  pr.enable_reverse_incr_transfer = false;
  pr.struct_transfer_progress = 100;
  pr.full_transfer_progress = 0;
  return p;
}

// The incremental step once the full transfer (and verification) are done:
// OMS samples its checkpoint every 10 s, 3 s behind the sample.
ProjectStep incr_step(int order, const Clock& c, Seconds since, ProjectProgress& pr) {
  ProjectStep s =
      scenario_step(order, "INCR_TRANSFER", "Incremental synchronization", "MONITORING");
  s.start_time = since;
  const Seconds sample = c.now() - ((c.now() - since) % 10);
  s.incr.sample_timestamp = sample;
  s.incr.checkpoint = sample - 3;
  pr.current_step = "INCR_TRANSFER";
  pr.incr_sync_checkpoint = Checkpoint{std::to_string(sample - 3), sample - 3};
  return s;
}

// A project with one full transfer from `from` at `rate`: its steps, progress
// and figures at c.t, and the time its transfer ends.
void full_transfer(SimProject& p, const Clock& c, double from, std::int64_t rows, double rate,
                   double rate_ref) {
  ProjectProgress& pr = p.progress;
  ProjectStep full = scenario_step(2, "FULL_TRANSFER", "Full data migration", "RUNNING");
  full.start_time = c.at(from);
  const double end = from + rows / rate;
  std::vector<ProjectStep> steps = {
      scenario_step(1, "STRUCT_TRANSFER", "Schema migration", "FINISHED", 100)};
  steps.front().start_time = c.at(0);
  steps.front().finish_time = c.at(from);
  if (c.t < end) {
    const auto done = static_cast<std::int64_t>((c.t - from) * rate);
    pr.current_step = "FULL_TRANSFER";
    pr.full_transfer_progress = percent_of(done, rows);
    full.progress = pr.full_transfer_progress;
    full.transfer = figures(done, rows, rate, rate_ref);
    steps.push_back(std::move(full));
    steps.push_back(scenario_step(3, "INCR_TRANSFER", "Incremental synchronization", "INIT"));
  } else {
    pr.full_transfer_progress = 100;
    full.status = "FINISHED";
    full.progress = 100;
    full.finish_time = c.at(end);
    full.transfer = figures(rows, rows, 0, rate_ref);
    steps.push_back(std::move(full));
    steps.push_back(incr_step(3, c, c.at(end), pr));
  }
  p.steps = std::move(steps);
}

VerifyResult catalog_verification(double t) {
  VerifyResult v;
  v.different_number = 0;
  double table_start = kCatalogFullEnd;
  for (const TableSpec& spec : kCatalogTables) {
    const double table_end = table_start + spec.rows / kCatalogVerifyRate;
    VerifyTable table;
    table.source_schema = "catalog";
    table.source_table = spec.name;
    table.dest_schema = "catalog";
    table.dest_table = spec.name;
    if (t >= table_end) {
      table.source_only = spec.source_only;
      table.dest_only = spec.dest_only;
      table.mismatched = spec.mismatched;
      table.consistent = spec.rows - spec.source_only - spec.mismatched;
      table.progress = "100";
      table.status = "FINISHED";
      const std::int64_t differences = spec.source_only + spec.dest_only + spec.mismatched;
      table.result_type = differences > 0 ? "INCONSISTENT" : "CONSISTENT";
      *v.different_number += differences;
    } else if (t >= table_start) {
      const auto checked = static_cast<std::int64_t>((t - table_start) * kCatalogVerifyRate);
      table.consistent = checked;
      table.progress = std::to_string(percent_of(checked, spec.rows));
      table.status = "RUNNING";
    } else {
      table.progress = "0";
      table.status = "INIT";
    }
    v.tables.push_back(std::move(table));
    table_start = table_end;
  }
  v.total_tables = static_cast<std::int64_t>(v.tables.size());
  return v;
}

SimProject catalog(const Clock& c) {
  SimProject p = base("np_mig_catalog", "catalog: MySQL 5.7 -> OceanBase");
  ProjectProgress& pr = p.progress;
  const double t = c.t;
  ProjectStep structure = scenario_step(1, "STRUCT_TRANSFER", "Schema migration", "RUNNING");
  structure.start_time = c.at(0);
  ProjectStep full = scenario_step(2, "FULL_TRANSFER", "Full data migration", "INIT", 0);
  ProjectStep verify = scenario_step(3, "FULL_VERIFIER", "Full data verification", "INIT", 0);
  ProjectStep incr = scenario_step(4, "INCR_TRANSFER", "Incremental synchronization", "INIT");
  if (t < kCatalogStructEnd) {
    pr.current_step = "STRUCT_TRANSFER";
    pr.struct_transfer_progress = static_cast<int>(t * 100 / kCatalogStructEnd);
    structure.progress = pr.struct_transfer_progress;
  } else {
    structure.status = "FINISHED";
    structure.progress = 100;
    structure.finish_time = c.at(kCatalogStructEnd);
    full.start_time = c.at(kCatalogStructEnd);
    if (t < kCatalogFullEnd) {
      pr.current_step = "FULL_TRANSFER";
      const auto done = static_cast<std::int64_t>((t - kCatalogStructEnd) * kCatalogRate);
      // OMS first estimates the rows low and revises the estimate once.
      const std::int64_t capacity = t < kCatalogRevisedAt ? kCatalogFirstGuess : kCatalogRows;
      full.status = "RUNNING";
      full.progress = pr.full_transfer_progress = percent_of(done, capacity);
      full.transfer = figures(done, capacity, kCatalogRate, kCatalogRate * 1.05);
    } else {
      pr.full_transfer_progress = 100;
      full.status = "FINISHED";
      full.progress = 100;
      full.finish_time = c.at(kCatalogFullEnd);
      full.transfer = figures(kCatalogRows, kCatalogRows, 0, kCatalogRate * 1.05);
      verify.start_time = c.at(kCatalogFullEnd);
      p.verify = catalog_verification(t);
      if (t < kCatalogVerifyEnd) {
        pr.current_step = "FULL_VERIFIER";
        const auto checked = static_cast<std::int64_t>((t - kCatalogFullEnd) * kCatalogVerifyRate);
        verify.status = "RUNNING";
        verify.progress = percent_of(checked, kCatalogRows);
        verify.transfer =
            figures(checked, kCatalogRows, kCatalogVerifyRate, kCatalogVerifyRate * 1.1);
      } else {
        verify.status = "FINISHED";
        verify.progress = 100;
        verify.finish_time = c.at(kCatalogVerifyEnd);
        verify.transfer = figures(kCatalogRows, kCatalogRows, 0, kCatalogVerifyRate * 1.1);
        incr = incr_step(4, c, c.at(kCatalogVerifyEnd), pr);
      }
    }
  }
  p.steps = {std::move(structure), std::move(full), std::move(verify), std::move(incr)};
  return p;
}

SimProject archive(const Clock& c) {
  SimProject p = base("np_mig_archive", "archive: Oracle 11g -> OceanBase");
  full_transfer(p, c, 0, kArchiveRows, kArchiveRate, kArchiveRateRef);
  return p;
}

SimProject ledger(const Clock& c) {
  SimProject p = base("np_mig_ledger", "ledger: DB2 LUW 11.5 -> OceanBase");
  const double pause = kLedgerRetriedAt - kLedgerFailsAt;
  if (c.t < kLedgerFailsAt) {
    full_transfer(p, c, 0, kLedgerRows, kLedgerRate, kLedgerRate);
  } else if (c.t < kLedgerRetriedAt) {
    // The figures stop where the step failed.
    full_transfer(p, Clock{kLedgerFailsAt, c.start}, 0, kLedgerRows, kLedgerRate, kLedgerRate);
    p.progress.status = "FAILED";
    ProjectStep& full = p.steps[1];
    full.status = "FAILED";
    full.transfer.src_rps = full.transfer.dst_rps = 0;
    full.error.error_code = "GHANA-CONNECT000001";
    full.error.error_msg =
        "full transfer: writing to the destination failed: Connection reset by peer";
    full.failed_time = c.at(kLedgerFailsAt);
  } else {
    // OMS retried the step: it goes on where it stopped, the pause added.
    const Clock shifted{c.t - pause, c.start};
    full_transfer(p, shifted, 0, kLedgerRows, kLedgerRate, kLedgerRate);
    for (ProjectStep& s : p.steps) {
      if (s.finish_time && s.name != "STRUCT_TRANSFER")
        *s.finish_time += static_cast<Seconds>(pause);
      if (s.name == "INCR_TRANSFER" && s.start_time) {
        s = incr_step(3, c, *s.start_time + static_cast<Seconds>(pause), p.progress);
      }
    }
  }
  return p;
}

SimProject fresh(const Clock& c) {
  SimProject p = base("np_mig_fresh", "fresh: MySQL 8.0 -> OceanBase");
  if (c.t < kFreshCreatedAt) {
    p.progress.status = "INIT";
    p.progress.struct_transfer_progress = 0;
    p.failure =
        ApiError{"GHANA-OPERIE000000",
                 "the transfer instance is being created, please wait 5-10 minutes", "retry later"};
    p.steps = {scenario_step(1, "TRANSFER_PRECHECK", "Pre-check", "INIT", 0)};
    return p;
  }
  // Its clock starts once the instance exists.
  full_transfer(p, Clock{c.t - kFreshCreatedAt, c.at(kFreshCreatedAt)}, 0, kFreshRows, kFreshRate,
                kFreshRate);
  return p;
}

}  // namespace

const std::vector<std::string_view>& migration_scenarios() {
  static const std::vector<std::string_view> names = {"migration", "full-transfer", "slow-transfer",
                                                      "transfer-retry", "creating"};
  return names;
}

std::vector<SimProject> migration_projects_at(std::string_view scenario,
                                              std::chrono::milliseconds since_start,
                                              std::chrono::system_clock::time_point started_at) {
  const Clock c{std::max<double>(static_cast<double>(since_start.count()) / 1000.0, 0),
                std::chrono::floor<std::chrono::seconds>(started_at.time_since_epoch()).count()};
  const bool all = scenario == "migration";
  std::vector<SimProject> projects;
  if (all || scenario == "full-transfer") projects.push_back(catalog(c));
  if (all || scenario == "slow-transfer") projects.push_back(archive(c));
  if (all || scenario == "transfer-retry") projects.push_back(ledger(c));
  if (all || scenario == "creating") projects.push_back(fresh(c));
  return projects;
}

}  // namespace omswatch::oms
