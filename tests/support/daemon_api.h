#pragma once
// Talking to the HTTP endpoint of a running `omswatch run` from end-to-end
// tests: wait for a text in its log file (inotify, with a deadline: no
// sleeping), learn the port it bound (listen = "127.0.0.1:0"), and make one
// blocking GET with a deadline.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>

#include "tests/support/process.h"

namespace omswatch::testing {

// How many times `text` occurs in `s`.
inline std::size_t count_of(const std::string& s, const std::string& text) {
  std::size_t n = 0;
  for (auto pos = s.find(text); pos != std::string::npos; pos = s.find(text, pos + 1)) ++n;
  return n;
}

// Waits until `done(content)` holds for the content of the file at `path`,
// waking on each write to the file; false at the deadline.
template <class Pred>
bool wait_for_file(const std::string& path, Pred done,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  // The directory is watched, so a file that does not exist yet is seen too.
  const std::string dir = path.substr(0, path.rfind('/'));
  ::inotify_add_watch(fd, dir.c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
  bool found = false;
  for (;;) {
    if (done(read_file(path))) {
      found = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char buf[4096];
      while (::read(fd, buf, sizeof(buf)) > 0) {
      }
    }
  }
  ::close(fd);
  return found;
}

// Waits until the file at `path` contains `text` at least `times` times.
inline bool wait_for_text(const std::string& path, const std::string& text,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30),
                          std::size_t times = 1) {
  return wait_for_file(
      path, [&](const std::string& content) { return count_of(content, text) >= times; }, timeout);
}

// The port of the daemon's HTTP endpoint, from its "HTTP endpoint on
// 127.0.0.1:PORT" log line (the latest one, after a rebind).
inline std::optional<std::uint16_t> endpoint_port(
    const std::string& log_path, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  if (!wait_for_text(log_path, "HTTP endpoint on 127.0.0.1:", timeout)) return std::nullopt;
  const std::string log = read_file(log_path);
  static const std::regex kLine("HTTP endpoint on 127\\.0\\.0\\.1:([0-9]+)");
  std::optional<std::uint16_t> port;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kLine); it != std::sregex_iterator();
       ++it) {
    port = static_cast<std::uint16_t>(std::stoi((*it)[1].str()));
  }
  return port;
}

struct GetResult {
  int status = 0;  // 0: no answer before the deadline, or no connection
  std::string body;
};

// GET `target` from 127.0.0.1:`port` (HTTP/1.0, so the server closes the
// connection after its answer), with an optional bearer token.
inline GetResult http_get(std::uint16_t port, const std::string& target,
                          const std::string& token = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  GetResult result;
  const auto until = std::chrono::steady_clock::now() + timeout;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto wait = [&](short events) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
  };
  std::string request = "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  request += "\r\n";
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return result;
  }
  std::size_t sent = 0;
  while (sent < request.size() && wait(POLLOUT)) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  while (sent == request.size() && wait(POLLIN)) {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto head_end = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.", 0) != 0 || reply.size() < 12 || head_end == std::string::npos) {
    return result;
  }
  result.status = std::stoi(reply.substr(9, 3));
  result.body = reply.substr(head_end + 4);
  return result;
}

}  // namespace omswatch::testing
