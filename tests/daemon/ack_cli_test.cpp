// `omswatch ack` on a real database, run through run_cli as `omswatch` would be.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "daemon/cli.h"
#include "storage/store.h"
#include "tests/daemon/cli_runner.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

namespace json = boost::json;
using storage::TimeMs;
using ::testing::HasSubstr;

constexpr TimeMs kT0 = 1'795'910'400'000;  // 2026-11-29T00:00:00Z

class AckCliTest : public ::testing::Test {
 protected:
  void SetUp() override { record("f1", "firing", kT0); }

  // Stores an event of np_1's project_failed condition (a firing or a resolution).
  void record(const std::string& id, const std::string& state, TimeMs at) {
    auto store = storage::Store::open(db_, storage::OpenMode::read_write, {});
    ASSERT_TRUE(store.has_value()) << store.error();
    storage::EventRecord e;
    e.id = id;
    e.oms = "prod";
    e.project_id = "np_1";
    e.kind = "project_failed";
    e.state = state;
    e.severity = "critical";
    e.summary = "np_1 FAILED";
    e.observed_at = at;
    storage::ObservationWrite w;
    w.oms = "prod";
    w.project_id = "np_1";
    w.now = at;
    w.events.push_back(e);
    w.deliveries.push_back({id, "ops"});
    auto r = (*store)->record(w);
    ASSERT_TRUE(r.has_value()) << r.error();
  }

  json::array list(bool all = false) {
    std::vector<std::string> args = {"ack", "list", "--format", "json", "--db", db_};
    if (all) args.push_back("--all");
    auto o = omswatch(args);
    EXPECT_EQ(o.code, kExitOk) << o.err;
    return json::parse(o.out).as_array();
  }

  omswatch::testing::TempDir dir_;
  std::string db_ = dir_.file("omswatch.db");
};

TEST_F(AckCliTest, AcksAnOpenConditionListsAndRemovesIt) {
  auto o = omswatch({"ack", "np_1", "project_failed", "--by", "alice", "--reason",
                     "restarting the source", "--db", db_});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("ack 1: project_failed of np_1 (OMS prod) acked by alice"));

  auto acks = list();
  ASSERT_EQ(acks.size(), 1u);
  const auto& a = acks[0].as_object();
  EXPECT_EQ(a.at("id").as_int64(), 1);
  EXPECT_EQ(a.at("state").as_string(), "in_force");
  EXPECT_EQ(a.at("acked_by").as_string(), "alice");
  EXPECT_EQ(a.at("reason").as_string(), "restarting the source");
  EXPECT_EQ(a.at("fired_at").as_string(), "2026-11-29T00:00:00Z");
  EXPECT_TRUE(a.at("ended_at").is_null());

  o = omswatch({"ack", "add", "np_1", "project_failed", "--by", "bob", "--db", db_});
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_THAT(o.err, HasSubstr("already acked by alice (ack 1)"));

  o = omswatch({"ack", "remove", "1", "--db", db_});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(o.out, "ack 1 removed\n");
  EXPECT_TRUE(list().empty());
  auto all = list(true);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("state").as_string(), "removed");
  o = omswatch({"ack", "remove", "1", "--db", db_});
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_THAT(o.err, HasSubstr("no ack in force has id 1"));
}

TEST_F(AckCliTest, TheAckEndsWhenTheConditionResolves) {
  ASSERT_EQ(omswatch({"ack", "np_1", "project_failed", "--by", "alice", "--db", db_}).code,
            kExitOk);
  record("r1", "resolved", kT0 + 600'000);
  EXPECT_TRUE(list().empty());
  auto all = list(true);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("state").as_string(), "resolved");
  EXPECT_EQ(all[0].at("ended_at").as_string(), "2026-11-29T00:10:00Z");

  auto o = omswatch({"ack", "np_1", "project_failed", "--by", "alice", "--db", db_});
  EXPECT_EQ(o.code, kExitFailure);
  EXPECT_THAT(o.err, HasSubstr("project_failed of np_1 is not firing now"));
}

TEST_F(AckCliTest, RefusesTextThatIsNotOneLineOrTooLong) {
  auto o = omswatch({"ack", "np_1", "project_failed", "--by", "alice", "--reason",
                     "ok\x1b]0;pwned\x07", "--db", db_});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--reason must be one line of UTF-8 text without control"));
  o = omswatch({"ack", "np_1", "project_failed", "--by", std::string(65, 'a'), "--db", db_});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--by is 65 bytes long; at most 64 are kept"));
  o = omswatch({"ack", "np_1", "--db", db_});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("say which condition: PROJECT KIND"));
  o = omswatch({"ack", "remove", "x", "--db", db_});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_TRUE(list(true).empty());
}

TEST_F(AckCliTest, WithoutByTheUserRunningTheCommandAcks) {
  auto o = omswatch({"ack", "np_1", "project_failed", "--db", db_});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_EQ(list()[0].at("acked_by").as_string(), invoking_user());
}

}  // namespace
}  // namespace omswatch::daemon
