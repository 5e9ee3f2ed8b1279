#pragma once
// Notices when the files of an open database are deleted or replaced under
// it. SQLite keeps working on the inodes it opened, so a deleted database or
// `-wal` file fails nothing: every write succeeds into a file nobody can open
// any more, and is gone at the next start. The watch remembers which files
// (device and inode) stood at the paths when the database was opened and
// compares them with what stands there now.

#include <cstdint>
#include <optional>
#include <string>

namespace omswatch::storage {

// Which file stands at a path: stat(2)'s device and inode.
struct FileId {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  bool operator==(const FileId&) const = default;
};

// What is wrong with `path` (described as `what`, "database file"), given the
// file opened there (`opened`; nullopt: none was seen yet) and the one there
// now (`now`; nullopt: nothing there). nullopt when nothing is wrong.
std::optional<std::string> file_change(const std::string& path, const std::string& what,
                                       const std::optional<FileId>& opened,
                                       const std::optional<FileId>& now);

class DatabaseFileWatch {
 public:
  // Remembers the files at `path` and `path`-wal now: construct it right
  // after the database is opened (in WAL mode, so the -wal file exists).
  explicit DatabaseFileWatch(std::string path);

  struct Result {
    std::optional<std::string> problem;  // a sentence naming the file; stays once found
    bool first = false;                  // this check found it (log it once)
  };
  // Looks at the paths again (two stat calls). Once a problem is found it is
  // kept: the daemon goes on writing to the file it opened, so nothing that
  // appears at the path later mends it.
  Result check();

 private:
  std::string path_;
  std::optional<FileId> database_;
  std::optional<FileId> wal_;
  std::optional<std::string> problem_;
};

}  // namespace omswatch::storage
