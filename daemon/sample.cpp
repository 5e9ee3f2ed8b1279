#include "daemon/sample.h"

#include "common/time.h"

namespace omswatch::daemon {

storage::Sample make_sample(const std::string& oms, const std::string& project_id,
                            const Observation& obs, TimePoint now,
                            std::chrono::microseconds latency) {
  storage::Sample s;
  s.oms = oms;
  s.project_id = project_id;
  s.observed_at = to_unix_ms(now);
  s.latency_us = latency.count();
  switch (obs.outcome) {
    case Observation::Outcome::ok: {
      s.outcome = "ok";
      const auto& pr = obs.progress;
      s.status = pr.status;
      s.alarm_level = pr.alarm_level;
      s.current_step = pr.current_step;
      s.struct_progress = pr.struct_transfer_progress;
      s.full_progress = pr.full_transfer_progress;
      s.incr_checkpoint = pr.incr_sync_checkpoint.raw;
      s.reverse_checkpoint = pr.reverse_incr_transfer_checkpoint.raw;
      const std::int64_t oms_now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                         obs.server_time.value_or(now).time_since_epoch())
                                         .count();
      auto lag = [&](const oms::Checkpoint& c) -> std::optional<std::int64_t> {
        if (!c.unix_seconds) return std::nullopt;
        return oms_now_s - *c.unix_seconds;
      };
      s.incr_lag_s = lag(pr.incr_sync_checkpoint);
      s.reverse_lag_s = lag(pr.reverse_incr_transfer_checkpoint);
      break;
    }
    case Observation::Outcome::unavailable:
      s.outcome = "unavailable";
      s.error = obs.error;
      break;
    case Observation::Outcome::failed:
      s.outcome = "error";
      s.error = obs.error;
      break;
  }
  return s;
}

}  // namespace omswatch::daemon
