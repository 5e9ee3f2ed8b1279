#include "daemon/observation.h"

namespace omswatch::daemon {

std::string describe_api_error(const oms::ApiError& error) {
  std::string s = error.code;
  if (!error.message.empty()) s += (s.empty() ? "" : ": ") + error.message;
  return s.empty() ? std::string("success:false without a code") : s;
}

Observation observation_from_reply(oms::CallResult<oms::ProjectProgress> call,
                                   const std::string& project_id) {
  Observation obs;
  obs.server_time = call.server_date;
  if (call.transport_error) {
    obs.outcome = Observation::Outcome::failed;
    obs.error = std::move(*call.transport_error);
  } else if (!call.reply.success) {
    obs.outcome = Observation::Outcome::unavailable;
    obs.error = describe_api_error(call.reply.error);
  } else if (!call.reply.data) {
    obs.outcome = Observation::Outcome::failed;
    obs.error = "reply has success:true but no data";
  } else {
    obs.outcome = Observation::Outcome::ok;
    obs.progress = std::move(*call.reply.data);
    if (obs.progress.project_id.empty()) obs.progress.project_id = project_id;
  }
  return obs;
}

}  // namespace omswatch::daemon
