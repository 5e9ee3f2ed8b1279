#include "config/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace omswatch::config::detail {

namespace {

std::string size_text(std::size_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Expected<FileContents> read_bounded_file(const std::string& path, std::size_t max_bytes) {
  if (path.empty()) return make_error("no file name given");
  const auto failure = [] {
    return make_error(std::string("cannot be read: ") + std::strerror(errno));
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return failure();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failure();
  if (S_ISDIR(st.st_mode)) return make_error("is a directory, not a file");
  if (!S_ISREG(st.st_mode)) return make_error("is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return make_error("is larger than " + size_text(max_bytes));
  }
  FileContents contents;
  contents.mode = static_cast<unsigned>(st.st_mode) & 07777;
  // The size may change between fstat and read: read one byte past the bound to notice.
  contents.data.resize(max_bytes + 1);
  std::size_t got = 0;
  while (got < contents.data.size()) {
    const ssize_t n = ::read(fd.get(), contents.data.data() + got, contents.data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure();
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) return make_error("is larger than " + size_text(max_bytes));
  contents.data.resize(got);
  return contents;
}

std::string mode_string(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777);
  return text;
}

}  // namespace omswatch::config::detail
