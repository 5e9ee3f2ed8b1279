#pragma once
// A stand-in for systemd's notify socket: an AF_UNIX datagram socket bound in
// a directory, read with poll() and a deadline. Plus an environment variable
// set for the length of a scope.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

namespace omswatch::testing {

// Sets (or, with nullopt, unsets) one environment variable and restores the
// previous value on destruction. Set it before starting threads that read the
// environment.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) throw std::runtime_error("socket path too long");
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("bind " + path_ + ": " + std::strerror(errno));
    }
  }
  ~FakeNotifySocket() { ::close(fd_); }
  FakeNotifySocket(const FakeNotifySocket&) = delete;
  FakeNotifySocket& operator=(const FakeNotifySocket&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // The next datagram, or nullopt when none arrives before `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() < 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return std::nullopt;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
    }
  }

  // Receives until a datagram contains `needle` (returned) or `timeout` passes.
  // Every datagram read on the way is appended to `seen` when given.
  std::optional<std::string> receive_until(const std::string& needle,
                                           std::chrono::milliseconds timeout,
                                           std::string* seen = nullptr) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      auto got = receive(std::max(left, std::chrono::milliseconds(0)));
      if (!got) return std::nullopt;
      if (seen) *seen += *got + "\n--\n";
      if (got->find(needle) != std::string::npos) return got;
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace omswatch::testing
