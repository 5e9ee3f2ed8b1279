// Store::open_conditions: the conditions firing now, with since when they
// have held, read from a real SQLite file written through Store::record.

#include <gtest/gtest.h>

#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using namespace storage::testing;

TEST(OpenConditions, ListTheFiringOnesWithTheirFirstFiringSinceTheLastResolution) {
  omswatch::testing::TempDir dir;
  auto store = open_store(dir.file("omswatch.db"));
  // np_1 stalled, resolved, stalled again (reminded once): open since the second firing.
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 - 50 * kMinute),
                                     {make_event("s1", "np_1", "incr_stalled", "firing", "warning",
                                                 kT0 - 50 * kMinute)}));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 - 40 * kMinute),
                                     {make_event("s2", "np_1", "incr_stalled", "resolved", "warning",
                                                 kT0 - 40 * kMinute)}));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 - 30 * kMinute),
                                     {make_event("s3", "np_1", "incr_stalled", "firing", "warning",
                                                 kT0 - 30 * kMinute)}));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_1", kT0 - 10 * kMinute),
                                     {make_event("s4", "np_1", "incr_stalled", "firing", "critical",
                                                 kT0 - 10 * kMinute)}));
  // np_2 failed and recovered: not open. A notice is never a condition.
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_2", kT0 - 20 * kMinute),
                                     {make_event("f1", "np_2", "project_failed", "firing", "critical",
                                                 kT0 - 20 * kMinute),
                                      make_event("n1", "np_2", "status_changed", "notice", "info",
                                                 kT0 - 20 * kMinute)}));
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_2", kT0 - 5 * kMinute),
                                     {make_event("f2", "np_2", "project_failed", "resolved",
                                                 "critical", kT0 - 5 * kMinute)}));
  // The same project id on another OMS fails there.
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_2", kT0 - 4 * kMinute, 5, "staging"),
                                     {make_event("f3", "np_2", "project_failed", "firing", "critical",
                                                 kT0 - 4 * kMinute, "staging")}));

  auto open = store->open_conditions();
  ASSERT_TRUE(open) << open.error();
  ASSERT_EQ(open->size(), 2u);
  const OpenCondition& stalled = (*open)[0];
  EXPECT_EQ(stalled.event.oms, "prod");
  EXPECT_EQ(stalled.event.project_id, "np_1");
  EXPECT_EQ(stalled.event.kind, "incr_stalled");
  EXPECT_EQ(stalled.event.id, "s4") << "the latest firing event";
  EXPECT_EQ(stalled.event.severity, "critical");
  EXPECT_EQ(stalled.since, kT0 - 30 * kMinute) << "held since it fired again after resolving";
  const OpenCondition& failed = (*open)[1];
  EXPECT_EQ(failed.event.oms, "staging");
  EXPECT_EQ(failed.event.project_id, "np_2");
  EXPECT_EQ(failed.since, kT0 - 4 * kMinute);
}

}  // namespace
}  // namespace omswatch::storage
