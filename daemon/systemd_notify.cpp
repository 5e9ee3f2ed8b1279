#include "daemon/systemd_notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <cstring>

namespace omswatch::daemon {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxStatusBytes = 512;

// One line of at most kMaxStatusBytes, cut on a UTF-8 character boundary:
// a newline would start a new assignment in the notify protocol.
std::string status_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (text.size() > kMaxStatusBytes) {
    std::size_t end = kMaxStatusBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
  }
  return text;
}

}  // namespace

struct SystemdNotifier::Impl {
  bool enabled = false;
  std::optional<std::chrono::microseconds> watchdog;
  std::function<std::string()> status_text;
  std::optional<asio::steady_timer> watchdog_timer;
  std::optional<asio::steady_timer> status_timer;
  bool started = false;
  bool stopped = false;
  bool failure_logged = false;

  bool send(const std::string& state) {
    if (!enabled) return false;
    int rc = sd_notify(0, state.c_str());
    if (rc > 0) return true;
    if (!failure_logged) {
      failure_logged = true;
      // Only the first failure is logged: a gone notify socket would otherwise
      // log on every ping.
      spdlog::warn("cannot notify systemd: {}",
                   rc < 0 ? std::strerror(-rc) : "NOTIFY_SOCKET is not set");
    }
    return false;
  }

  std::string status() const { return status_text ? status_line(status_text()) : std::string(); }

  static void schedule_ping(const std::shared_ptr<Impl>& self, std::chrono::microseconds after) {
    self->watchdog_timer->expires_after(after);
    self->watchdog_timer->async_wait([weak = std::weak_ptr(self)](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      self->send("WATCHDOG=1");
      schedule_ping(self, *self->watchdog / 2);
    });
  }

  static void schedule_status(const std::shared_ptr<Impl>& self) {
    self->status_timer->expires_after(kStatusInterval);
    self->status_timer->async_wait([weak = std::weak_ptr(self)](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      self->send("STATUS=" + self->status());
      schedule_status(self);
    });
  }
};

SystemdNotifier::SystemdNotifier() : impl_(std::make_shared<Impl>()) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  impl_->enabled = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  if (impl_->enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    impl_->watchdog = std::chrono::microseconds(usec);
  }
}

SystemdNotifier::~SystemdNotifier() { stop(); }

bool SystemdNotifier::enabled() const { return impl_->enabled; }

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_timeout() const {
  return impl_->watchdog;
}

void SystemdNotifier::start(asio::any_io_executor executor,
                            std::function<std::string()> status_text) {
  if (!impl_->enabled || impl_->started) return;
  impl_->started = true;
  impl_->status_text = std::move(status_text);
  if (impl_->watchdog) {
    impl_->watchdog_timer.emplace(executor);
    // The first ping goes out as soon as the loop runs: it is the loop's
    // first proof of life.
    Impl::schedule_ping(impl_, std::chrono::microseconds(0));
  }
  if (impl_->status_text) {
    impl_->status_timer.emplace(executor);
    Impl::schedule_status(impl_);
  }
}

void SystemdNotifier::ready() {
  std::string state = "READY=1";
  if (impl_->status_text) state += "\nSTATUS=" + impl_->status();
  impl_->send(state);
}

void SystemdNotifier::reloading() {
  impl_->send("RELOADING=1\nSTATUS=reloading the configuration");
}

void SystemdNotifier::stopping() {
  impl_->send("STOPPING=1\nSTATUS=stopping");
  stop();
}

void SystemdNotifier::stop() {
  impl_->stopped = true;
  if (impl_->watchdog_timer) impl_->watchdog_timer->cancel();
  if (impl_->status_timer) impl_->status_timer->cancel();
}

bool SystemdNotifier::notify(const std::string& state) { return impl_->send(state); }

}  // namespace omswatch::daemon
