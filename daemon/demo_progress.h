#pragma once
// The progress line `omswatch demo` prints every few seconds for a project
// whose full transfer (or verification) has an ETA, so the ETA can be seen
// counting down. Pure: the caller passes the project's status and the time.

#include <optional>
#include <string>

#include "storage/store.h"

namespace omswatch::daemon {

// "np_mig_catalog  FULL_TRANSFER 45%  540000 of 1200000 rows  ETA 16s-18s"
// with the ETA counted down from when it was made to `now`; none when the
// project has no ETA.
std::optional<std::string> demo_progress_line(const storage::ProjectStatus& status,
                                              storage::TimeMs now);

}  // namespace omswatch::daemon
