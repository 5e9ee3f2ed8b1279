#pragma once
// What one progress poll observed: the result of a DescribeProjectProgress
// call (a reply, or the failure to get one) turned into the detector's
// Observation. Pure: no I/O and no clock.

#include <string>

#include "daemon/detect/state.h"
#include "oms/client.h"

namespace omswatch::daemon {

// "CODE: message" of a success:false reply (either part alone when the other
// is empty); a fixed text when the reply carries neither.
std::string describe_api_error(const oms::ApiError& error);

// The Observation of one DescribeProjectProgress call of `project_id`:
// failed for a transport error or a success:true reply without data,
// unavailable for a success:false reply (its error described), ok otherwise,
// with the progress's project id set to `project_id` when the reply leaves it
// empty. server_time is the reply's Date. failed_step stays empty: the caller
// reads the steps when needs_failed_step() says so.
Observation observation_from_reply(oms::CallResult<oms::ProjectProgress> call,
                                   const std::string& project_id);

}  // namespace omswatch::daemon
