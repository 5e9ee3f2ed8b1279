#include "daemon/sample.h"

#include <boost/json/serialize.hpp>

#include "common/time.h"
#include "daemon/detect/state_json.h"

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

std::optional<storage::StepSample> make_step_sample(const Observation& obs, TimePoint now) {
  if (!obs.transfer_step) return std::nullopt;
  const oms::ProjectStep& step = *obs.transfer_step;
  const oms::TransferInfo& t = step.transfer;
  storage::StepSample s;
  s.observed_at = to_unix_ms(now);
  s.step = step.name;
  s.step_status = step.status;
  s.progress = step.progress;
  s.processed = t.processed_records;
  s.capacity = t.capacity;
  s.src_rps = t.src_rps;
  s.dst_rps = t.dst_rps;
  s.src_rps_ref = t.src_rps_ref;
  s.dst_rps_ref = t.dst_rps_ref;
  s.src_rt = t.src_rt;
  s.dst_rt = t.dst_rt;
  s.src_rt_ref = t.src_rt_ref;
  s.dst_rt_ref = t.dst_rt_ref;
  s.src_iops = t.src_iops;
  s.dst_iops = t.dst_iops;
  s.src_iops_ref = t.src_iops_ref;
  if (const auto& eta = obs.outlook.eta) {
    using std::chrono::duration_cast;
    using std::chrono::seconds;
    s.eta_low_s = duration_cast<seconds>(eta->low).count();
    s.eta_high_s = duration_cast<seconds>(eta->high).count();
    s.eta_basis = std::string(to_string(eta->basis));
    s.rate = eta->rate;
  }
  return s;
}

bool outlook_write_due(const std::optional<Outlook>& written, TimePoint written_at,
                       const Outlook& o, TimePoint now, bool new_reading) {
  if (!written) return true;
  if (new_reading && o.eta) return true;
  const Outlook& w = *written;
  if (w.eta.has_value() != o.eta.has_value() || w.trend.has_value() != o.trend.has_value()) {
    return true;
  }
  if (w.trend && w.trend->direction != o.trend->direction) return true;
  if (!o.eta && !o.trend) return false;  // both empty: nothing changed
  return now < written_at || now - written_at >= kOutlookWriteEvery;
}

storage::VerifyRecord make_verify_record(const oms::VerifyResult& verify, bool finished,
                                         const ProjectState& state, TimePoint now) {
  storage::VerifyRecord r;
  r.observed_at = to_unix_ms(now);
  r.finished = finished;
  r.different_number = verify.different_number;
  if (!r.different_number || *r.different_number < state.verify_differences) {
    // OMS left it out (or counts less than its tables add up to): the
    // detector's count, from the tables.
    if (state.verify_differences > 0 || finished) r.different_number = state.verify_differences;
  }
  r.tables =
      std::max<std::int64_t>(verify.total_tables, static_cast<std::int64_t>(verify.tables.size()));
  r.worst_tables_json = boost::json::serialize(worst_tables_json(state.verify_worst));
  return r;
}

}  // namespace omswatch::daemon
