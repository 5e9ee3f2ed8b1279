#include "daemon/systemd_notify.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstddef>
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

// True when `state` carries more than a STATUS= line or a WATCHDOG=1 ping:
// READY=1, RELOADING=1 or STOPPING=1, which systemd waits for.
bool must_arrive(const std::string& state) {
  return state.find("READY=1") != std::string::npos ||
         state.find("RELOADING=1") != std::string::npos ||
         state.find("STOPPING=1") != std::string::npos;
}

}  // namespace

std::optional<NotifyAddress> notify_address(std::string_view socket) {
  NotifyAddress a;
  a.addr.sun_family = AF_UNIX;
  // A path, or an abstract name written with a leading '@' (a NUL on the wire).
  if (socket.size() < 2 || (socket[0] != '/' && socket[0] != '@') ||
      socket.size() > sizeof(a.addr.sun_path)) {
    return std::nullopt;
  }
  std::memcpy(a.addr.sun_path, socket.data(), socket.size());
  if (socket[0] == '@') {
    a.addr.sun_path[0] = '\0';
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size());
  } else {
    if (socket.size() == sizeof(a.addr.sun_path)) return std::nullopt;  // no room for the NUL
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size() + 1);
  }
  return a;
}

struct SystemdNotifier::Impl {
  ~Impl() {
    if (fd >= 0) ::close(fd);
  }

  bool enabled = false;
  std::string socket_name;
  std::optional<NotifyAddress> address;
  int fd = -1;
  // The latest READY=1, RELOADING=1 or STOPPING=1 that found no room on the
  // socket: sent again at the next ping or status line.
  std::optional<std::string> pending;
  bool full_logged = false;
  std::optional<std::chrono::microseconds> watchdog;
  std::function<std::string()> status_text;
  std::optional<asio::steady_timer> watchdog_timer;
  std::optional<asio::steady_timer> status_timer;
  bool started = false;
  bool stopped = false;
  bool failure_logged = false;

  // One datagram, never waiting: a notify socket whose reader does not read
  // (its queue full) drops it. A dropped STATUS= line is refreshed anyway
  // and a dropped WATCHDOG=1 is followed by the next ping; a dropped READY=1,
  // RELOADING=1 or STOPPING=1 is kept and sent again with the next one.
  bool send(const std::string& state) {
    if (!enabled) return false;
    const int err = send_datagram(state);
    if (err == 0) {
      // A READY=1, RELOADING=1 or STOPPING=1 that arrives supersedes the one
      // kept: sent later, that one would tell systemd something no longer true.
      if (must_arrive(state)) pending.reset();
      full_logged = false;
      return true;
    }
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
      if (must_arrive(state)) pending = state;
      if (!full_logged) {
        full_logged = true;
        spdlog::warn(
            "the notify socket of systemd ({}) is full: its reader does not read; "
            "notifications are dropped until it does",
            socket_name);
      }
      return false;
    }
    if (!failure_logged) {
      failure_logged = true;
      // Only the first failure is logged: a gone notify socket would otherwise
      // log on every ping.
      spdlog::warn("cannot notify systemd ({}): {}", socket_name, std::strerror(err));
    }
    return false;
  }

  // Sends what a notification that found no room left behind.
  void send_pending() {
    if (pending) send(std::string(*pending));
  }

  // 0, or the errno of the failure.
  int send_datagram(const std::string& state) {
    if (!address) return EINVAL;
    if (fd < 0) {
      fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) return errno;
    }
    iovec iov{const_cast<char*>(state.data()), state.size()};
    msghdr msg{};
    msg.msg_name = &address->addr;
    msg.msg_namelen = address->length;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    // Like sd_notify(): the kernel attaches our credentials for a receiver
    // that asks for them (SO_PASSCRED); explicit ones only when the real and
    // effective ids differ, so the receiver sees the ones it should trust.
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))] = {};
    if (::getuid() != ::geteuid() || ::getgid() != ::getegid()) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_CREDENTIALS;
      c->cmsg_len = CMSG_LEN(sizeof(ucred));
      ucred cred{::getpid(), ::getuid(), ::getgid()};
      std::memcpy(CMSG_DATA(c), &cred, sizeof(cred));
    }
    for (;;) {
      if (::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return 0;
      if (errno != EINTR) return errno;
    }
  }

  std::string status() const { return status_text ? status_line(status_text()) : std::string(); }

  static void schedule_ping(const std::shared_ptr<Impl>& self, std::chrono::microseconds after) {
    self->watchdog_timer->expires_after(after);
    self->watchdog_timer->async_wait([weak = std::weak_ptr(self)](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      self->send_pending();
      self->send("WATCHDOG=1");
      schedule_ping(self, *self->watchdog / 2);
    });
  }

  static void schedule_status(const std::shared_ptr<Impl>& self) {
    self->status_timer->expires_after(kStatusInterval);
    self->status_timer->async_wait([weak = std::weak_ptr(self)](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      self->send_pending();
      self->send("STATUS=" + self->status());
      schedule_status(self);
    });
  }
};

SystemdNotifier::SystemdNotifier() : impl_(std::make_shared<Impl>()) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  impl_->enabled = socket != nullptr && *socket != '\0';
  if (impl_->enabled) {
    impl_->socket_name = socket;
    impl_->address = notify_address(socket);
  }
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
