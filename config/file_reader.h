#pragma once
// Bounded reads of the configuration file and of *_file secrets (private to
// the config module).

#include <cstddef>
#include <string>

#include "common/expected.h"

namespace omswatch::config::detail {

struct FileContents {
  std::string data;
  unsigned mode = 0;  // permission bits, e.g. 0644
};

// Reads a regular file of at most `max_bytes`. Fails when it is missing,
// unreadable, not a regular file (a FIFO would block the daemon's start) or
// larger than the bound. The message is a predicate for the path, which the
// caller puts before it ("is larger than 64 KiB", "cannot be read: ..."); it
// quotes nothing read from the file.
Expected<FileContents> read_bounded_file(const std::string& path, std::size_t max_bytes);

// "0644": permission bits as chmod writes them.
std::string mode_string(unsigned mode);

}  // namespace omswatch::config::detail
