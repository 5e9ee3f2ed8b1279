#pragma once
// The configuration's durations: parsed and formatted by common/duration.h,
// which the detector shares without depending on the configuration.

#include "common/duration.h"

namespace omswatch::config {

using Duration = std::chrono::milliseconds;
using omswatch::format_duration;
using omswatch::parse_duration;

}  // namespace omswatch::config
