#include "storage/db_watch.h"

#include <sys/stat.h>

#include <utility>

namespace omswatch::storage {

namespace {

std::optional<FileId> file_at(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

}  // namespace

std::optional<std::string> file_change(const std::string& path, const std::string& what,
                                       const std::optional<FileId>& opened,
                                       const std::optional<FileId>& now) {
  if (!opened || (now && *now == *opened)) return std::nullopt;
  const std::string after =
      ": omswatch keeps writing to the file it opened, which is lost when it stops; restore " +
      path + " from a backup if you have one, then restart omswatch";
  if (!now) return what + " " + path + " was deleted while omswatch runs" + after;
  return what + " " + path + " was replaced by another file while omswatch runs" + after;
}

DatabaseFileWatch::DatabaseFileWatch(std::string path)
    : path_(std::move(path)), database_(file_at(path_)), wal_(file_at(path_ + "-wal")) {}

DatabaseFileWatch::Result DatabaseFileWatch::check() {
  if (problem_) return {problem_, false};
  const std::string wal_path = path_ + "-wal";
  auto problem = file_change(path_, "database file", database_, file_at(path_));
  if (!problem) {
    // A -wal file that appeared after the open (the first write creates it) is the one
    // SQLite opened.
    if (!wal_) wal_ = file_at(wal_path);
    problem = file_change(wal_path, "write-ahead log", wal_, file_at(wal_path));
  }
  if (!problem) return {};
  problem_ = std::move(problem);
  return {problem_, true};
}

}  // namespace omswatch::storage
