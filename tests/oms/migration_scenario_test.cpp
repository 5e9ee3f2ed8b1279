// The simulator's migration scenarios, driven through their clock and read
// through the real client: step times and figures, full verification, and
// OMS's own faults (a transfer instance being created, a failed and retried
// full transfer, an unknown project).

#include <gtest/gtest.h>

#include <algorithm>

#include "oms/simulator.h"
#include "tests/oms/oms_test_support.h"

namespace omswatch::oms::testing {
namespace {

using namespace std::chrono_literals;

// t = 0 of the storylines in these tests: 2026-01-01T00:00:00Z.
const auto kStart = std::chrono::system_clock::time_point(1'767'225'600s);
constexpr std::int64_t kStartSeconds = 1'767'225'600;

class MigrationScenarioTest : public OmsTest {
 protected:
  MigrationScenarioTest() : client_(make_client(http_, endpoint())) {}

  // The simulator shows `scenario` as it is `t` into its storyline.
  void at(std::chrono::milliseconds t, std::string_view scenario = "migration") {
    sim_.set_server_time(kStart + t);
    for (auto& p : migration_projects_at(scenario, t, kStart)) sim_.put_project(std::move(p));
  }
  CallResult<std::vector<ProjectStep>> steps(const std::string& id) {
    return run<CallResult<std::vector<ProjectStep>>>([&] { return client_->describe_steps(id); });
  }
  CallResult<VerifyResult> verify(const std::string& id, int page = 1, int size = 150) {
    return run<CallResult<VerifyResult>>(
        [&] { return client_->list_full_verify_result(id, page, size); });
  }
  ProjectStep step_named(const std::string& id, std::string_view name) {
    auto r = steps(id);
    EXPECT_TRUE(r.ok()) << r.transport_error.value_or(r.reply.error.message);
    if (r.ok()) {
      for (const auto& s : *r.reply.data) {
        if (s.name == name) return s;
      }
    }
    ADD_FAILURE() << "no step " << name << " in " << id;
    return {};
  }
  std::unique_ptr<Client> client_;
};

TEST(MigrationScenarios, NamesAndProjects) {
  EXPECT_EQ(migration_scenarios(),
            (std::vector<std::string_view>{"migration", "full-transfer", "slow-transfer",
                                           "transfer-retry", "creating"}));
  std::vector<std::string> ids;
  for (const auto& p : migration_projects_at("migration", 0ms, kStart)) {
    ids.push_back(p.progress.project_id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"np_mig_catalog", "np_mig_archive", "np_mig_ledger",
                                           "np_mig_fresh"}));
  EXPECT_EQ(migration_projects_at("full-transfer", 0ms, kStart).size(), 1u);
  EXPECT_TRUE(migration_projects_at("nonsense", 0ms, kStart).empty());
  // A pure function of its arguments.
  EXPECT_EQ(migration_projects_at("migration", 17'500ms, kStart)[0].steps,
            migration_projects_at("migration", 17'500ms, kStart)[0].steps);
}

TEST_F(MigrationScenarioTest, FullTransferFiguresAdvanceWithTheClock) {
  at(7s, "full-transfer");
  ProjectStep full = step_named("np_mig_catalog", "FULL_TRANSFER");
  EXPECT_EQ(full.status, "RUNNING");
  EXPECT_EQ(full.start_time, kStartSeconds + 2);  // written without a zone, read as UTC
  EXPECT_EQ(full.finish_time, std::nullopt);
  EXPECT_EQ(full.transfer.processed_records, 200'000);
  EXPECT_EQ(full.transfer.capacity, 1'000'000);
  EXPECT_EQ(full.progress, 20);
  EXPECT_EQ(full.transfer.dst_rps, 40'000);
  EXPECT_EQ(full.transfer.dst_rps_ref, 42'000);
  EXPECT_GT(*full.transfer.src_rps, 0);
  EXPECT_GT(*full.transfer.src_rps_ref, 0);
  EXPECT_TRUE(full.transfer.src_rt && full.transfer.dst_rt && full.transfer.src_iops &&
              full.transfer.dst_iops && full.transfer.src_rt_ref && full.transfer.dst_rt_ref &&
              full.transfer.src_iops_ref);
  at(12s, "full-transfer");  // OMS revises its estimate upward, once
  full = step_named("np_mig_catalog", "FULL_TRANSFER");
  EXPECT_EQ(full.transfer.processed_records, 400'000);
  EXPECT_EQ(full.transfer.capacity, 1'200'000);
  EXPECT_EQ(full.progress, 33);
  at(31'500ms, "full-transfer");
  EXPECT_EQ(step_named("np_mig_catalog", "FULL_TRANSFER").transfer.processed_records, 1'180'000);
  at(32s, "full-transfer");
  full = step_named("np_mig_catalog", "FULL_TRANSFER");
  EXPECT_EQ(full.status, "FINISHED");
  EXPECT_EQ(full.finish_time, kStartSeconds + 32);
  EXPECT_EQ(full.transfer.processed_records, 1'200'000);
  ProjectStep verifier = step_named("np_mig_catalog", "FULL_VERIFIER");
  EXPECT_EQ(verifier.status, "RUNNING");
  EXPECT_EQ(verifier.start_time, kStartSeconds + 32);
}

TEST_F(MigrationScenarioTest, VerificationFindsDifferencesThenIncrementalSyncRuns) {
  at(20s, "full-transfer");
  auto none = verify("np_mig_catalog");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.reply.data->different_number, std::nullopt);
  EXPECT_TRUE(none.reply.data->tables.empty());

  at(38s, "full-transfer");
  ProjectStep verifier = step_named("np_mig_catalog", "FULL_VERIFIER");
  EXPECT_EQ(verifier.status, "RUNNING");
  EXPECT_EQ(verifier.transfer.processed_records, 600'000);
  EXPECT_EQ(verifier.progress, 50);
  auto mid = verify("np_mig_catalog");
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid.reply.data->different_number, 12);
  EXPECT_EQ(mid.reply.data->total_tables, 6);
  const VerifyTable& prices = mid.reply.data->tables[1];
  EXPECT_EQ(prices.source_table, "product_prices");
  EXPECT_EQ(prices.status, "FINISHED");
  EXPECT_EQ(prices.source_only, 2);
  EXPECT_EQ(prices.dest_only, 1);
  EXPECT_EQ(prices.mismatched, 9);
  EXPECT_EQ(mid.reply.data->tables[5].status, "INIT");

  at(50s, "full-transfer");
  auto done = verify("np_mig_catalog");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done.reply.data->different_number, 16);
  // Paged like ListProjects.
  auto page = verify("np_mig_catalog", 2, 4);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.reply.data->tables.size(), 2u);
  EXPECT_EQ(page.reply.data->tables[0].source_table, "stock_levels");
  EXPECT_EQ(page.reply.data->tables[0].mismatched, 4);
  EXPECT_EQ(page.reply.data->total_tables, 6);
  EXPECT_EQ(step_named("np_mig_catalog", "FULL_VERIFIER").status, "FINISHED");
  ProjectStep incr = step_named("np_mig_catalog", "INCR_TRANSFER");
  EXPECT_EQ(incr.status, "MONITORING");
  EXPECT_EQ(incr.incr.sample_timestamp, kStartSeconds + 44);  // sampled every 10 s
  EXPECT_EQ(incr.incr.checkpoint, kStartSeconds + 41);
  auto progress = this->progress(*client_, "np_mig_catalog");
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress.reply.data->current_step, "INCR_TRANSFER");
  EXPECT_EQ(progress.reply.data->incr_sync_checkpoint.unix_seconds, kStartSeconds + 41);
  EXPECT_EQ(sim_.stats().verify_requests, 4u);
}

TEST_F(MigrationScenarioTest, SlowTransferRunsFarBelowItsBaseline) {
  at(100s, "slow-transfer");
  ProjectStep full = step_named("np_mig_archive", "FULL_TRANSFER");
  EXPECT_EQ(full.status, "RUNNING");
  EXPECT_EQ(full.transfer.processed_records, 300'000);
  EXPECT_EQ(full.transfer.capacity, 5'000'000);
  EXPECT_EQ(full.transfer.dst_rps, 3'000);
  EXPECT_EQ(full.transfer.dst_rps_ref, 20'000);
}

TEST_F(MigrationScenarioTest, FailedFullTransferIsRetriedByOms) {
  at(9s, "transfer-retry");
  EXPECT_EQ(step_named("np_mig_ledger", "FULL_TRANSFER").status, "RUNNING");
  at(15s, "transfer-retry");
  ProjectStep failed = step_named("np_mig_ledger", "FULL_TRANSFER");
  EXPECT_EQ(failed.status, "FAILED");
  EXPECT_EQ(failed.error.error_code, "GHANA-CONNECT000001");
  EXPECT_NE(failed.error.error_msg.find("Connection reset by peer"), std::string::npos);
  EXPECT_EQ(failed.failed_time, kStartSeconds + 10);
  EXPECT_EQ(failed.transfer.processed_records, 250'000);
  auto progress = this->progress(*client_, "np_mig_ledger");
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress.reply.data->status, "FAILED");
  at(30s, "transfer-retry");
  ProjectStep retried = step_named("np_mig_ledger", "FULL_TRANSFER");
  EXPECT_EQ(retried.status, "RUNNING");
  EXPECT_EQ(retried.error, StepError{});
  EXPECT_EQ(retried.transfer.processed_records, 375'000);
  EXPECT_EQ(this->progress(*client_, "np_mig_ledger").reply.data->status, "RUNNING");
  at(55s, "transfer-retry");
  ProjectStep finished = step_named("np_mig_ledger", "FULL_TRANSFER");
  EXPECT_EQ(finished.status, "FINISHED");
  EXPECT_EQ(finished.finish_time, kStartSeconds + 55);
  EXPECT_EQ(step_named("np_mig_ledger", "INCR_TRANSFER").status, "MONITORING");
}

TEST_F(MigrationScenarioTest, NewProjectAnswersInstanceBeingCreatedAtFirst) {
  at(30s, "creating");
  auto progress = this->progress(*client_, "np_mig_fresh");
  EXPECT_FALSE(progress.transport_error);
  EXPECT_FALSE(progress.reply.success);
  EXPECT_EQ(progress.reply.error.code, "GHANA-OPERIE000000");
  EXPECT_EQ(steps("np_mig_fresh").reply.error.code, "GHANA-OPERIE000000");
  EXPECT_EQ(verify("np_mig_fresh").reply.error.code, "GHANA-OPERIE000000");
  auto listed = run<CallResult<ProjectList>>([&] { return client_->list_projects({}, 1, 150); });
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed.reply.data->total_count, 1);
  at(75s, "creating");
  ProjectStep full = step_named("np_mig_fresh", "FULL_TRANSFER");
  EXPECT_EQ(full.status, "RUNNING");
  EXPECT_EQ(full.start_time, kStartSeconds + 60);
  EXPECT_EQ(full.transfer.processed_records, 750'000);
  at(90s, "creating");
  EXPECT_EQ(step_named("np_mig_fresh", "FULL_TRANSFER").status, "FINISHED");
}

TEST_F(MigrationScenarioTest, UnknownProjectIsGhanaProject000001ForEveryCall) {
  for (auto code : {progress(*client_, "np_nope").reply.error.code,
                    steps("np_nope").reply.error.code, verify("np_nope").reply.error.code}) {
    EXPECT_EQ(code, "GHANA-PROJECT000001");
  }
  EXPECT_EQ(verify("np_nope").reply.error.message, "the project does not exist");
}

}  // namespace
}  // namespace omswatch::oms::testing
