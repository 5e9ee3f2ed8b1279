#pragma once
// A registry showing everything a busy daemon shows at once: every metric
// family, with the labels it has in production. MetricsTest.EveryFamily* keeps
// it complete against docs/http-api.md; the exposition tests and the Grafana
// dashboard's test read their list of metrics from it.

#include <chrono>
#include <cstdint>

#include "daemon/metrics.h"
#include "storage/store.h"

namespace omswatch::daemon::test {

inline void populate(Metrics& m) {
  m.declare_oms("staging");
  m.declare_receiver("ops");
  for (int i = 0; i < 20; ++i) {
    m.poll_completed("prod", i % 7 ? PollResult::ok : PollResult::error,
                     std::chrono::milliseconds(i * 37));
  }
  m.poll_completed("prod", PollResult::unavailable, std::chrono::milliseconds(3));
  m.project_observed("prod", "np_4w1", "RUNNING", 100, 100, 4);
  m.project_observed("prod", "np_4w2", "FAILED", 100, 35, std::nullopt);
  m.project_observed("prod", "np_\"odd\\id\n", "RUNNING_MODIFYING", std::nullopt, std::nullopt, -2);
  m.project_observed("staging", "np_x", "SUSPEND", 0, std::nullopt, std::nullopt);
  {
    const Metrics::ProjectHandle handle = m.project("prod", "np_4w2");
    Outlook outlook;
    outlook.eta = Eta{};
    outlook.eta->low = std::chrono::seconds(1500);
    outlook.eta->high = std::chrono::seconds(1860);
    handle.set_outlook(outlook);
    storage::StepSample step;
    step.src_rps = 12'500;
    step.dst_rps = 12'300;
    step.src_rps_ref = 15'000;
    step.dst_rps_ref = 14'000;
    handle.set_step(&step);
    storage::VerifyRecord verify;
    verify.different_number = 3;
    handle.set_verify(&verify);
  }
  m.event_recorded("project_failed", "firing");
  m.event_recorded("status_changed", "notice");
  m.delivery_finished("oncall", DeliveryResult::delivered, 2);
  m.delivery_finished("oncall", DeliveryResult::failed);
  m.database_write_failed();
  ScrapeGauges g;
  g.outbox_pending = [] { return std::int64_t{3}; };
  g.database_size_bytes = [] { return std::int64_t{1'048'576}; };
  g.database_filesystem_avail_bytes = [] { return std::int64_t{8'000'000'000}; };
  g.database_filesystem_size_bytes = [] { return std::int64_t{20'000'000'000}; };
  g.watched_projects = [] { return std::int64_t{4}; };
  g.conditions_firing = [] { return std::int64_t{1}; };
  m.set_scrape_gauges(g);
}

}  // namespace omswatch::daemon::test
