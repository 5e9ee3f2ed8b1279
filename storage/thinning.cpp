#include "storage/thinning.h"

#include <functional>
#include <tuple>
#include <utility>

namespace omswatch::storage {

namespace {

// What a stored sample must always show when it changes.
auto state_of(const StoredSample& s) {
  const Sample& x = s.sample;
  return std::tie(x.outcome, x.status, x.alarm_level, x.current_step, x.struct_progress,
                  x.full_progress, s.error_hash);
}

// What is stored at most once per sample_every.
auto checkpoints_of(const StoredSample& s) {
  const Sample& x = s.sample;
  return std::tie(x.incr_checkpoint, x.reverse_checkpoint, x.incr_lag_s, x.reverse_lag_s);
}

}  // namespace

std::size_t error_hash(std::string_view stored_error) {
  return stored_error.empty() ? 0 : std::hash<std::string_view>{}(stored_error) | 1;
}

StoredSample stored_form(const Sample& x, std::string_view stored_error) {
  StoredSample s{x, error_hash(stored_error)};
  s.sample.oms.clear();
  s.sample.project_id.clear();
  s.sample.error.clear();
  return s;
}

bool worth_storing(const StoredSample& next, const StoredSample* last,
                   std::chrono::milliseconds sample_every) {
  if (!last || sample_every.count() <= 0 || state_of(next) != state_of(*last)) return true;
  if (checkpoints_of(next) == checkpoints_of(*last)) return false;
  // A clock that went back would otherwise hold checkpoints back until it
  // caught up again.
  const TimeMs at = next.sample.observed_at;
  const TimeMs last_at = last->sample.observed_at;
  return at < last_at || at - last_at >= sample_every.count();
}

}  // namespace omswatch::storage
