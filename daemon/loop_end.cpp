#include "daemon/loop_end.h"

#include <spdlog/spdlog.h>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <cstdlib>
#include <utility>

namespace omswatch::daemon {

namespace {

LoopFailureHandler& failure_handler() {
  static LoopFailureHandler handler;
  return handler;
}

}  // namespace

LoopFailureHandler set_loop_failure_handler(LoopFailureHandler handler) {
  return std::exchange(failure_handler(), std::move(handler));
}

bool report_loop_end(const std::string& what, std::exception_ptr error) {
  if (!error) {
    spdlog::debug("the {} ended", what);
    return false;
  }
  std::string reason;
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::asio::error::operation_aborted) {
      spdlog::debug("the {} ended: cancelled", what);
      return false;
    }
    reason = e.what();
  } catch (const std::exception& e) {
    reason = e.what();
  } catch (...) {
    reason = "an exception that is not a std::exception";
  }
  spdlog::critical(
      "the {} ended unexpectedly: {}. omswatch stops (exit code {}) so that it is "
      "restarted with every loop running",
      what, reason, kLoopFailedExitCode);
  if (auto& handler = failure_handler()) {
    handler(what);
  } else {
    spdlog::default_logger()->flush();
    std::exit(kLoopFailedExitCode);
  }
  return true;
}

}  // namespace omswatch::daemon
