#include "daemon/detect/lifecycle.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "daemon/detect/event_kind.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = TimePoint(std::chrono::seconds(1'700'000'000));

Observation ok_with_status(std::string status) {
  Observation o;
  o.outcome = Observation::Outcome::ok;
  o.progress.project_id = "np_1";
  o.progress.status = std::move(status);
  return o;
}

oms::ProjectSummary listed(std::string id, std::string status = "RUNNING",
                           std::string type = "MIGRATION", std::vector<std::string> labels = {}) {
  oms::ProjectSummary s;
  s.id = std::move(id);
  s.status = std::move(status);
  s.type = std::move(type);
  s.labels = std::move(labels);
  return s;
}

oms::ProjectStep step(int order, std::string name, std::string status, std::string code = "",
                      std::string message = "") {
  oms::ProjectStep s;
  s.order = order;
  s.name = std::move(name);
  s.status = std::move(status);
  s.error = {std::move(code), std::move(message)};
  return s;
}

TEST(Lifecycle, ReleasedAndDeletedAreGone) {
  EXPECT_TRUE(is_gone_status("RELEASED"));
  EXPECT_TRUE(is_gone_status("DELETED"));
  for (auto s : {"RUNNING", "RELEASING", "FAILED", "FINISHED", "SUSPEND", "", "released"}) {
    EXPECT_FALSE(is_gone_status(s)) << s;
  }
}

TEST(Lifecycle, OnlyAReplyWithAGoneStatusEndsTheWatch) {
  EXPECT_EQ(removal_reason(ok_with_status("RELEASED")), "status is RELEASED");
  EXPECT_EQ(removal_reason(ok_with_status("DELETED")), "status is DELETED");
  EXPECT_EQ(removal_reason(ok_with_status("RUNNING")), std::nullopt);
  Observation unavailable = ok_with_status("DELETED");
  unavailable.outcome = Observation::Outcome::unavailable;
  EXPECT_EQ(removal_reason(unavailable), std::nullopt);
  Observation failed = ok_with_status("DELETED");
  failed.outcome = Observation::Outcome::failed;
  EXPECT_EQ(removal_reason(failed), std::nullopt);
}

TEST(Lifecycle, DiscoveryWantsListedProjectsOfTheWantedTypesAndLabels) {
  EXPECT_TRUE(discovery_wants(listed("np_1"), {}, {}));
  EXPECT_FALSE(discovery_wants(listed(""), {}, {}));
  EXPECT_FALSE(discovery_wants(listed("np_1", "RELEASED"), {}, {}));
  EXPECT_FALSE(discovery_wants(listed("np_1", "DELETED"), {}, {}));
  EXPECT_TRUE(discovery_wants(listed("np_1", "RUNNING", "SYNC"), {"MIGRATION", "SYNC"}, {}));
  EXPECT_FALSE(discovery_wants(listed("np_1", "RUNNING", "SYNC"), {"MIGRATION"}, {}));
  EXPECT_TRUE(discovery_wants(listed("np_1", "RUNNING", "SYNC", {"a", "prod"}), {}, {"prod"}));
  EXPECT_FALSE(discovery_wants(listed("np_1", "RUNNING", "SYNC", {"a"}), {}, {"prod"}));
  EXPECT_FALSE(discovery_wants(listed("np_1"), {}, {"prod"}));
}

TEST(Lifecycle, ARemovedProjectResolvesItsConditionsAndSaysWhy) {
  ProjectState state;
  state.firing[std::string(event_kind::project_failed)] =
      FiringCondition{kNow - 192s, kNow - 192s, 0, Severity::critical};
  state.firing[std::string(event_kind::incr_lagging)] =
      FiringCondition{kNow - 2h, kNow - 1h, 1, Severity::warning};
  std::vector<Finding> findings(1);  // what the poll's detection found stays first
  finish_project("np_1", state, "status is DELETED", kNow, findings);

  EXPECT_TRUE(state.firing.empty());
  ASSERT_EQ(findings.size(), 4u);
  const Finding& lagging = findings[1];
  EXPECT_EQ(lagging.kind, event_kind::incr_lagging);
  EXPECT_EQ(lagging.state, "resolved");
  EXPECT_EQ(lagging.severity, Severity::warning);
  EXPECT_EQ(lagging.summary, "np_1 is no longer watched (status is DELETED) after 2h");
  EXPECT_EQ(lagging.details.at("duration_s").as_int64(), 7200);
  EXPECT_EQ(lagging.details.at("reason").as_string(), "status is DELETED");
  const Finding& failed = findings[2];
  EXPECT_EQ(failed.kind, event_kind::project_failed);
  EXPECT_EQ(failed.severity, Severity::critical);
  EXPECT_EQ(failed.summary, "np_1 is no longer watched (status is DELETED) after 3m 12s");
  const Finding& removed = findings[3];
  EXPECT_EQ(removed.kind, event_kind::project_removed);
  EXPECT_EQ(removed.state, "notice");
  EXPECT_EQ(removed.severity, Severity::info);
  EXPECT_EQ(removed.summary, "np_1 is no longer watched: status is DELETED");
  EXPECT_EQ(removed.details.at("reason").as_string(), "status is DELETED");
}

TEST(Lifecycle, ARemovedProjectWithNothingOpenGetsTheNoticeAlone) {
  ProjectState state;
  std::vector<Finding> findings;
  finish_project("np_2", state, "no longer listed by OMS", kNow, findings);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, event_kind::project_removed);
  EXPECT_EQ(findings[0].summary, "np_2 is no longer watched: no longer listed by OMS");
}

TEST(Lifecycle, StepsAreReadWhenTheProjectEntersFailed) {
  ProjectState state;
  oms::ProjectProgress progress;
  progress.status = "FAILED";
  EXPECT_TRUE(needs_failed_step(state, progress));  // first sight
  state.status = "RUNNING";
  EXPECT_TRUE(needs_failed_step(state, progress));
  state.status = "FAILED";
  EXPECT_FALSE(needs_failed_step(state, progress));  // already known, already reported
  progress.status = "RUNNING";
  state.status = "RUNNING";
  EXPECT_FALSE(needs_failed_step(state, progress));
}

TEST(Lifecycle, TheFailedStepIsTheFirstFailedOne) {
  auto chosen = choose_failed_step({step(1, "STRUCT_TRANSFER", "FINISHED"),
                                    step(2, "FULL_TRANSFER", "FINISHED", "W1", "a warning"),
                                    step(3, "INCR_SYNC", "FAILED", "ORA-01555", "snapshot too old"),
                                    step(4, "FULL_VERIFIER", "FAILED", "X", "later")});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->name, "INCR_SYNC");
  EXPECT_EQ(chosen->error.error_code, "ORA-01555");
}

TEST(Lifecycle, WithoutAFailedStepTheFirstStepWithAnErrorIsChosen) {
  auto chosen = choose_failed_step({step(1, "STRUCT_TRANSFER", "FINISHED"),
                                    step(2, "FULL_TRANSFER", "RUNNING", "", "disk almost full"),
                                    step(3, "INCR_SYNC", "RUNNING", "E2", "")});
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->name, "FULL_TRANSFER");
}

TEST(Lifecycle, NoStepIsChosenWhenNoneFailedOrCarriesAnError) {
  EXPECT_EQ(choose_failed_step({}), std::nullopt);
  EXPECT_EQ(choose_failed_step({step(1, "STRUCT_TRANSFER", "FINISHED")}), std::nullopt);
}

TEST(Lifecycle, AListingWatchesWhatItWantsAndLetsGoOfWhatDisappears) {
  const std::map<std::string, WatchedBy> watched = {
      {"np_config", {true, false}},   // configured only
      {"np_both", {true, true}},      // configured and listed before
      {"np_listed", {false, true}},   // listed before, still listed
      {"np_gone", {false, true}},     // listed before, not any more
      {"np_released", {false, true}}, // still listed, but RELEASED
  };
  ListingChanges c = follow_listing(
      watched,
      {listed("np_listed"), listed("np_new"), listed("np_sync", "RUNNING", "SYNC"),
       listed("np_released", "RELEASED")},
      {"MIGRATION"}, {});
  std::vector<std::string> wanted;
  for (const auto& item : c.wanted) wanted.push_back(item.id);
  EXPECT_EQ(wanted, (std::vector<std::string>{"np_listed", "np_new"}));
  EXPECT_EQ(c.unlisted, (std::vector<std::string>{"np_both", "np_gone", "np_released"}));
  EXPECT_EQ(c.removed, (std::vector<std::string>{"np_gone", "np_released"}));
  EXPECT_EQ(kNoLongerListed, "no longer listed by OMS");
}

TEST(Lifecycle, AnEmptyListingLetsGoOfEveryDiscoveredProjectOnly) {
  ListingChanges c = follow_listing({{"np_a", {false, true}}, {"np_b", {true, false}}}, {}, {}, {});
  EXPECT_TRUE(c.wanted.empty());
  EXPECT_EQ(c.unlisted, (std::vector<std::string>{"np_a"}));
  EXPECT_EQ(c.removed, (std::vector<std::string>{"np_a"}));
}

TEST(Lifecycle, AReloadDropsWhatItNoLongerConfiguresUnlessDiscoveryStillWatchesIt) {
  const std::map<std::string, WatchedBy> watched = {
      {"np_kept", {true, false}},
      {"np_dropped", {true, false}},
      {"np_listed", {true, true}},
  };
  EXPECT_EQ(dropped_by_reload(watched, {"np_kept", "np_added"}, /*discover=*/true),
            (std::vector<std::string>{"np_dropped"}));
  EXPECT_EQ(dropped_by_reload(watched, {"np_kept"}, /*discover=*/false),
            (std::vector<std::string>{"np_dropped", "np_listed"}));
  EXPECT_TRUE(dropped_by_reload(watched, {"np_kept", "np_dropped", "np_listed"}, false).empty());
}

}  // namespace
}  // namespace omswatch::daemon
