#include "daemon/demo_progress.h"

#include <algorithm>
#include <cmath>

#include "common/duration.h"
#include "daemon/rows.h"

namespace omswatch::daemon {

std::optional<std::string> demo_progress_line(const storage::ProjectStatus& status,
                                              storage::TimeMs now) {
  const OutlookFigures outlook = parse_outlook_json(status.outlook_json);
  if (!outlook.eta) return std::nullopt;
  const auto& eta = *outlook.eta;
  const std::int64_t elapsed_s = std::max<std::int64_t>(0, (now - eta.at) / 1000);
  const std::int64_t low = std::max<std::int64_t>(0, eta.low_s - elapsed_s);
  const std::int64_t high = std::max<std::int64_t>(0, eta.high_s - elapsed_s);
  std::string line = status.project_id + "  " + status.current_step;
  if (status.step && status.step->progress)
    line += " " + std::to_string(*status.step->progress) + "%";
  if (status.step && status.step->processed && status.step->capacity) {
    line += "  " + format_count(*status.step->processed) + " of " +
            format_count(*status.step->capacity) + " rows";
  }
  line += "  ETA " + format_duration_range(low, high);
  if (eta.basis == "records" && eta.rate > 0) {
    line += " at " + format_count(std::llround(eta.rate)) + " rows/s";
  }
  return line;
}

}  // namespace omswatch::daemon
