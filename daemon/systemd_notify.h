#pragma once
// Tells systemd how the daemon is doing (sd_notify): READY=1 once it serves,
// STOPPING=1 when it shuts down, a STATUS= line for `systemctl status`, and
// WATCHDOG=1 pings while the event loop is alive.
//
// The pings are sent by a timer on the daemon's own io_context, never by a
// helper thread: a loop that is stuck stops pinging, and systemd (WatchdogSec=)
// kills and restarts the service.
//
// Without NOTIFY_SOCKET in the environment (not started by systemd, or
// Type= other than notify) every call does nothing and start() schedules no
// timer, so the io_context's run() returns as if the notifier were absent.
//
// Every notification is one datagram sent without waiting, from a socket of
// the notifier's own: a notify socket whose reader stops reading never
// blocks the event loop. What finds no room is dropped (a STATUS= line is
// refreshed, a WATCHDOG=1 ping follows at the next interval), except READY=1,
// RELOADING=1 and STOPPING=1, sent again with the next ping or status line.
//
// Not thread-safe: call start(), ready(), reloading(), stopping() and stop()
// on the thread that runs the executor passed to start() (ready() and the
// rest may also be called before that executor runs).

#include <sys/socket.h>
#include <sys/un.h>

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace omswatch::daemon {

// The address NOTIFY_SOCKET names: a path ("/run/systemd/notify") or an
// abstract socket name written with a leading '@'; nullopt for anything else
// (systemd's vsock addresses are not supported).
struct NotifyAddress {
  sockaddr_un addr{};
  socklen_t length = 0;
};
std::optional<NotifyAddress> notify_address(std::string_view socket);

class SystemdNotifier {
 public:
  // How often STATUS= is refreshed while running.
  static constexpr std::chrono::seconds kStatusInterval{10};

  // Reads NOTIFY_SOCKET and WATCHDOG_USEC (sd_watchdog_enabled, which also
  // honours WATCHDOG_PID) from the environment now; later changes to the
  // environment are not seen.
  SystemdNotifier();
  // Stops the timers. REQUIRES: the io_context of start()'s executor is still
  // alive (destroy the notifier first), as for any Asio timer.
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // True when systemd listens (NOTIFY_SOCKET is set).
  bool enabled() const;
  // The interval systemd expects pings within (WatchdogSec=), when it does.
  std::optional<std::chrono::microseconds> watchdog_timeout() const;

  // Schedules, on `executor`, a WATCHDOG=1 ping at once and then every half
  // of watchdog_timeout() (when the watchdog is on), and a STATUS= line with
  // `status_text()` every kStatusInterval. `status_text` runs on the executor;
  // newlines in its result are replaced and it is cut to 512 bytes.
  // Does nothing when !enabled(). Call at most once.
  void start(boost::asio::any_io_executor executor, std::function<std::string()> status_text);

  // READY=1, with the current STATUS= when start() was given a status text.
  void ready();
  // RELOADING=1: the configuration is being re-read; send ready() when done.
  void reloading();
  // STOPPING=1, and stop(): systemd no longer expects pings.
  void stopping();
  // Cancels the timers; the executor's run() may then return. Idempotent.
  void stop();

  // Sends `state` ("KEY=value" lines) as is; false when sending failed or
  // !enabled(). Failures are logged once, then ignored: systemd going away
  // must not take the daemon down.
  bool notify(const std::string& state);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace omswatch::daemon
