// Each default is written once (common/defaults.h): what a module does
// without a configuration is what an empty configuration asks of it.

#include <gtest/gtest.h>

#include "config/config.h"
#include "daemon/detect/state.h"
#include "daemon/dispatcher.h"
#include "daemon/http_api.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace {

TEST(Defaults, ModulesWithoutAConfigurationDoWhatAnEmptyOneAsks) {
  const config::DeliverySettings delivery;
  const RetryPolicy retry;
  EXPECT_EQ(retry.first_delay, delivery.first_retry);
  EXPECT_EQ(retry.max_delay, delivery.max_retry);
  EXPECT_EQ(retry.max_age, delivery.max_age);

  const config::StorageSettings storage;
  const storage::StoreOptions store;
  EXPECT_EQ(store.sample_every, storage.sample_every);
  EXPECT_EQ(store.keep_samples, storage.keep_samples);
  EXPECT_EQ(store.keep_events, storage.keep_events);

  const config::Thresholds thresholds;
  const config::Route route;
  const DetectThresholds detect;
  EXPECT_EQ(detect.stall_after, thresholds.stall_after);
  EXPECT_EQ(detect.max_lag, thresholds.max_lag);
  EXPECT_EQ(detect.unavailable_after, thresholds.unavailable_after);
  EXPECT_EQ(detect.unreachable_after, thresholds.unreachable_after);
  EXPECT_EQ(detect.repeat, route.repeat);
  EXPECT_EQ(detect.steps_every, thresholds.steps_every);
  EXPECT_EQ(detect.slow_share, thresholds.slow_share);
  EXPECT_EQ(detect.slow_for, thresholds.slow_for);
  EXPECT_EQ(detect.slow_grace, thresholds.slow_grace);
  EXPECT_EQ(detect.max_eta, thresholds.max_eta);
  EXPECT_EQ(detect.behind_horizon, thresholds.behind_horizon);
  EXPECT_EQ(detect.cutover_max_lag, thresholds.cutover_max_lag);
  EXPECT_EQ(detect.cutover_for, thresholds.cutover_for);
  EXPECT_EQ(detect.creating_grace, thresholds.creating_grace);
  EXPECT_EQ(detect.failed_grace, thresholds.failed_grace);

  EXPECT_EQ(HttpApiOptions().listen, config::DaemonSettings().listen);
}

}  // namespace
}  // namespace omswatch::daemon
