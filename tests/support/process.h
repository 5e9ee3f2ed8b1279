#pragma once
// Runs the real omswatch binaries from end-to-end tests: spawn with output to
// files, signal, and wait for exit with a deadline (pidfd + poll: no sleeping).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace omswatch::testing {

class Process {
 public:
  // Starts `argv` with stdout and stderr appended to the given files ("" = /dev/null).
  Process(const std::vector<std::string>& argv, const std::string& stdout_path,
          const std::string& stderr_path, const std::vector<std::string>& extra_env = {}) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    auto target = [](const std::string& p) { return p.empty() ? std::string("/dev/null") : p; };
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, target(stdout_path).c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, target(stderr_path).c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings(extra_env);
    for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
    std::vector<char*> env;
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~Process() {
    if (!exit_code_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int signo) { ::kill(pid_, signo); }
  pid_t pid() const { return pid_; }

  // The exit code (128 + signal when killed), or nullopt if still running at the deadline.
  std::optional<int> wait(std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    if (exit_code_) return exit_code_;
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (fd >= 0) {
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(deadline.count()));
      ::close(fd);
      if (ready <= 0) return std::nullopt;
    }
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct Captured {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a command to completion and returns its exit code and output.
inline Captured run_command(const std::vector<std::string>& argv, const std::string& scratch_dir,
                            std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  static int counter = 0;
  std::string base = scratch_dir + "/cmd" + std::to_string(++counter);
  Captured c;
  {
    Process p(argv, base + ".out", base + ".err");
    auto code = p.wait(deadline);
    if (!code) throw std::runtime_error(argv[0] + " did not finish before the deadline");
    c.exit_code = *code;
  }
  c.out = read_file(base + ".out");
  c.err = read_file(base + ".err");
  return c;
}

}  // namespace omswatch::testing
