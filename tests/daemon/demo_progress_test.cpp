#include "daemon/demo_progress.h"

#include <gtest/gtest.h>

#include "daemon/rows.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;

storage::ProjectStatus transferring(storage::TimeMs eta_at) {
  storage::ProjectStatus s;
  s.project_id = "np_mig_catalog";
  s.current_step = "FULL_TRANSFER";
  storage::StepSample step;
  step.progress = 45;
  step.processed = 540000;
  step.capacity = 1200000;
  s.step = step;
  Outlook outlook;
  Eta eta;
  eta.low = 16s;
  eta.high = 18s;
  eta.rate = 40000.4;
  eta.remaining = 660000;
  eta.at = TimePoint(std::chrono::milliseconds(eta_at));
  outlook.eta = eta;
  s.outlook_json = outlook_json(outlook);
  return s;
}

TEST(DemoProgress, TheEtaCountsDownFromWhenItWasMade) {
  const storage::TimeMs at = 1'780'000'000'000;
  auto line = demo_progress_line(transferring(at), at);
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "np_mig_catalog  FULL_TRANSFER 45%  540,000 of 1,200,000 rows  ETA 16s-18s at "
                   "40,000 rows/s");
  line = demo_progress_line(transferring(at), at + 6'500);
  ASSERT_TRUE(line);
  EXPECT_NE(line->find("ETA 10s-12s"), std::string::npos) << *line;
  line = demo_progress_line(transferring(at), at + 60'000);
  ASSERT_TRUE(line);
  EXPECT_NE(line->find("ETA 0s"), std::string::npos) << *line;
}

TEST(DemoProgress, NoLineWithoutAnEta) {
  storage::ProjectStatus s;
  s.project_id = "np_demo_billing";
  s.current_step = "INCR_SYNC";
  EXPECT_FALSE(demo_progress_line(s, 0));
  s.outlook_json = "{}";
  EXPECT_FALSE(demo_progress_line(s, 0));
}

}  // namespace
}  // namespace omswatch::daemon
