#include "daemon/poll_log.h"

namespace omswatch::daemon {

PollFailureLog::Failed PollFailureLog::failed(bool was_failing, Clock::time_point now) {
  Failed out;
  out.summary = run_.failed(now) == FailureRun::Say::summary;
  if (was_failing) {
    out.again = true;
    return out;
  }
  ++failing_;
  if (logged_ < kProjectLinesPerRun) {
    ++logged_;
    out.line = Line::own_warning;
  } else if (!more_logged_) {
    more_logged_ = true;
    out.line = Line::more_failing;
  }
  return out;
}

PollFailureLog::Recovered PollFailureLog::recovered(Clock::time_point now) {
  Recovered out;
  if (failing_ > 0) --failing_;
  if (failing_ > 0) return out;
  out.lasted = run_.lasted(now);
  out.failures = run_.recovered(now);
  out.every_project = more_logged_;
  logged_ = 0;
  more_logged_ = false;
  return out;
}

}  // namespace omswatch::daemon
