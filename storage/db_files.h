#pragma once
// The files of a database, looked at before SQLite opens them. SQLite opens
// whatever stands at a path: a named pipe blocks the open (and the command)
// for ever, and a `-wal` or `-shm` file the daemon cannot write makes a later
// statement fail with a message about the database rather than that file.
// So before an open: the database, when it exists, and its `-wal` and `-shm`
// files, when they exist, must be regular files; a read-write open also needs
// to write all three. A `-wal` or `-shm` file of the daemon's own user that
// lacks the owner's write bit (left by a start under another umask or by
// hand) is made writable; any other problem is refused with a message that
// names the file and what to do about it.

#include <cstdint>
#include <string>

#include "common/expected.h"

namespace omswatch::storage {

enum class DbFile { database, wal, shm };

// What stat(2) and access(2) said about one file.
struct FileFacts {
  bool exists = false;
  std::uint32_t mode = 0;  // st_mode: type and permission bits
  std::uint32_t uid = 0;   // st_uid
  bool writable = false;   // access(W_OK) for this process
};

struct FileVerdict {
  enum class Action { open, make_writable, refuse };
  Action action = Action::open;
  std::string message;  // for refuse: names the file, what is wrong and the fix
};

// Decides about `path` (the database, or its -wal or -shm file: `path` is the
// file's own path) for an open that writes (`read_write`) or only reads; a
// read-only open needs the database to exist. `euid` is this process's.
FileVerdict judge_database_file(const std::string& path, DbFile which, const FileFacts& facts,
                                bool read_write, std::uint32_t euid);

// The kind of file `mode` describes, for messages: "a named pipe", "a directory" ...
std::string file_kind(std::uint32_t mode);

// Looks at the database at `path` and its -wal and -shm files, makes a -wal or
// -shm file writable when judge_database_file() says so, and returns the
// first refusal. Nothing is opened, so nothing blocks.
Expected<void> check_database_files(const std::string& path, bool read_write);

}  // namespace omswatch::storage
