#pragma once
// The sample row one poll stores (storage::Sample). Pure: the caller passes
// the time.

#include <chrono>
#include <string>

#include "daemon/detect/state.h"
#include "storage/store.h"

namespace omswatch::daemon {

// The sample of one poll of `project_id` on `oms` observed at `now`: its
// outcome ("ok", "unavailable", "error") and error, the progress of an ok
// reply, and the lags of its checkpoints measured on OMS's own clock (the
// reply's Date, else `now`; no lag for a checkpoint that is not a time).
storage::Sample make_sample(const std::string& oms, const std::string& project_id,
                            const Observation& obs, TimePoint now,
                            std::chrono::microseconds latency);

// The step sample of a poll that read a full transfer or verification step
// (obs.transfer_step), with the ETA of obs.outlook; none without such a step.
std::optional<storage::StepSample> make_step_sample(const Observation& obs, TimePoint now);

// The stored verification of a poll that read one: its reading (finished,
// the rows that differ, the tables OMS listed) and the worst tables as the
// detector keeps them in `state` (after this observation).
storage::VerifyRecord make_verify_record(const oms::VerifyResult& verify, bool finished,
                                         const ProjectState& state, TimePoint now);

// Whether the project's outlook is written with this poll: when it gained or
// lost its ETA or its trend, when the trend turned, with each new transfer
// reading (`new_reading`: the ETA was made afresh), and otherwise when it
// changed and the last write is kOutlookWriteEvery old (a trend's lag moves
// at every poll: writing it each time would cost a row update a poll).
inline constexpr std::chrono::seconds kOutlookWriteEvery{30};
bool outlook_write_due(const std::optional<Outlook>& written, TimePoint written_at,
                       const Outlook& now_outlook, TimePoint now, bool new_reading);

}  // namespace omswatch::daemon
