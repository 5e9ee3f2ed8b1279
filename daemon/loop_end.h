#pragma once
// How the daemon's long-running coroutines (poll, discovery, delivery and
// maintenance loops, the HTTP endpoint's accept loop) end. Each is spawned
// with log_loop_end("what it does") as its co_spawn completion handler, so
// that no loop ends without a trace:
//
//   - a loop that returns, or ends by cancellation (operation_aborted), is
//     logged at debug level;
//   - a loop that ends by any other exception broke an invariant the daemon
//     relies on (its work would silently stop): the end is logged as
//     critical, with what the loop was doing and the exception, and the
//     daemon stops with exit code kLoopFailedExitCode so that systemd
//     (Restart=on-failure) starts it afresh.
//
// How the daemon stops is set by run_daemon (set_loop_failure_handler): it
// stops the service and makes run() return, then exits with that code.
// Without a handler the process exits with that code at once.
// Single-threaded, like the event loop that runs the loops.

#include <exception>
#include <functional>
#include <string>

namespace omswatch::daemon {

// EX_SOFTWARE: an internal error; systemd restarts the service.
inline constexpr int kLoopFailedExitCode = 70;

// Called, after the critical line, when a loop ends by an unexpected
// exception; `what` names the loop. Empty: exit(kLoopFailedExitCode).
using LoopFailureHandler = std::function<void(const std::string& what)>;
// Replaces the handler; returns the previous one.
LoopFailureHandler set_loop_failure_handler(LoopFailureHandler handler);

// Logs the end of the loop `what` ("poll loop of project np_x on prod");
// true when it ended by an unexpected exception (then the failure handler
// has been called).
bool report_loop_end(const std::string& what, std::exception_ptr error);

// A co_spawn completion handler that calls report_loop_end(what, error).
class LoopEnd {
 public:
  explicit LoopEnd(std::string what) : what_(std::move(what)) {}
  void operator()(std::exception_ptr error) const { report_loop_end(what_, error); }

 private:
  std::string what_;
};
inline LoopEnd log_loop_end(std::string what) { return LoopEnd(std::move(what)); }

}  // namespace omswatch::daemon
