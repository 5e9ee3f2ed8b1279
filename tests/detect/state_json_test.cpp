// The detector's saved state: written directly (not through json::object),
// it must read back the same and be exactly the JSON Boost.JSON would write.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "daemon/detect/state_json.h"

namespace omswatch::daemon {
namespace {

TimePoint at(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::string reserialized(const std::string& text) {
  return boost::json::serialize(boost::json::parse(text));
}

ProjectState awkward_state() {
  ProjectState s;
  s.seen = true;
  s.status = "RUNNING";
  s.current_step = "INCR_\"SYNC\"\\\n\t\x01";
  s.alarm_level = "HIGH";
  s.struct_progress = 100;
  s.status_since = at(1'795'924'800'123);
  s.incr_checkpoint = "1795924800";
  s.incr_seen_at = at(-5);
  s.incr_advanced = true;
  s.reverse_checkpoint = "\xe6\x97\xb6\xe9\x97\xb4";  // UTF-8 text
  s.unavailable_streak = 2;
  s.firing["incr_lagging"] = {at(1), at(2), 3, Severity::warning};
  s.firing["odd \"kind\""] = {at(4), at(5), 0, Severity::critical};
  return s;
}

TEST(StateJson, ProjectStateIsWhatBoostJsonWrites) {
  for (const ProjectState& s : {ProjectState{}, awkward_state()}) {
    const std::string text = to_json(s);
    EXPECT_EQ(reserialized(text), text);
    auto back = project_state_from_json(text);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(to_json(*back), text);
  }
  auto back = project_state_from_json(to_json(awkward_state()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->current_step, awkward_state().current_step);
  EXPECT_EQ(back->reverse_checkpoint, awkward_state().reverse_checkpoint);
  EXPECT_FALSE(back->full_progress.has_value());
  EXPECT_EQ(back->struct_progress, 100);
  ASSERT_EQ(back->firing.size(), 2u);
  EXPECT_EQ(back->firing.at("odd \"kind\"").severity, Severity::critical);
  EXPECT_EQ(back->firing.at("incr_lagging").repeats, 3);
}

TEST(StateJson, OmsStateIsWhatBoostJsonWrites) {
  OmsState s;
  EXPECT_EQ(reserialized(to_json(s)), to_json(s));
  s.failures_since_success = 12;
  s.last_error = "connect: \"refused\"\n";
  s.unreachable = FiringCondition{at(10), at(20), 1, Severity::critical};
  const std::string text = to_json(s);
  EXPECT_EQ(reserialized(text), text);
  auto back = oms_state_from_json(text);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->last_error, s.last_error);
  EXPECT_EQ(back->failures_since_success, 12);
  ASSERT_TRUE(back->unreachable.has_value());
  EXPECT_EQ(back->unreachable->since, at(10));
}

}  // namespace
}  // namespace omswatch::daemon
