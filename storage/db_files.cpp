#include "storage/db_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace omswatch::storage {

namespace {

std::string octal_mode(std::uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777u);
  return text;
}

std::string what_it_is(DbFile which) {
  switch (which) {
    case DbFile::database:
      return "the database";
    case DbFile::wal:
      return "the database's write-ahead log";
    case DbFile::shm:
      return "the database's shared-memory index";
  }
  return "";
}

}  // namespace

std::string file_kind(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "a regular file";
    case S_IFDIR:
      return "a directory";
    case S_IFIFO:
      return "a named pipe";
    case S_IFSOCK:
      return "a socket";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    case S_IFLNK:
      return "a symbolic link";
  }
  return "not a regular file";
}

FileVerdict judge_database_file(const std::string& path, DbFile which, const FileFacts& facts,
                                bool read_write, std::uint32_t euid) {
  using Action = FileVerdict::Action;
  if (!facts.exists) {
    if (which == DbFile::database && !read_write) {
      return {Action::refuse, "no database at " + path + ": the file does not exist"};
    }
    return {};
  }
  if ((facts.mode & S_IFMT) != S_IFREG) {
    if (which == DbFile::database) {
      return {Action::refuse, path + " is " + file_kind(facts.mode) +
                                  ", not a database file: name an omswatch database (a regular "
                                  "file) in [daemon] database or --db"};
    }
    return {Action::refuse, path + " is " + file_kind(facts.mode) + " where " + what_it_is(which) +
                                " belongs: remove it while no omswatch process runs"};
  }
  if (!read_write || facts.writable) return {};
  const std::string found = path + " (" + what_it_is(which) + ", mode " + octal_mode(facts.mode) +
                            ", owner uid " + std::to_string(facts.uid) + ")";
  if (which != DbFile::database && facts.uid == euid && (facts.mode & S_IWUSR) == 0) {
    return {Action::make_writable, ""};
  }
  switch (which) {
    case DbFile::database:
      return {Action::refuse, "cannot write " + found +
                                  ": give it to the daemon's user (chown omswatch:omswatch " +
                                  path + "; chmod 0640 " + path + ")"};
    case DbFile::wal:
      return {Action::refuse, "cannot write " + found +
                                  ": give it to the daemon's user (chown omswatch:omswatch " +
                                  path + "; chmod 0640 " + path +
                                  "); do not delete it, it holds the latest commits"};
    case DbFile::shm:
      return {Action::refuse, "cannot write " + found +
                                  ": remove it while no omswatch process runs (SQLite rebuilds "
                                  "it), or give it to the daemon's user (chown omswatch:omswatch " +
                                  path + "; chmod 0640 " + path + ")"};
  }
  return {};
}

Expected<void> check_database_files(const std::string& path, bool read_write) {
  const std::uint32_t euid = ::geteuid();
  for (auto [which, suffix] : {std::pair{DbFile::database, ""}, std::pair{DbFile::wal, "-wal"},
                               std::pair{DbFile::shm, "-shm"}}) {
    const std::string file = path + suffix;
    FileFacts facts;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) {
      facts.exists = true;
      facts.mode = st.st_mode;
      facts.uid = st.st_uid;
      facts.writable = ::access(file.c_str(), W_OK) == 0;
    } else if (errno != ENOENT) {
      return make_error("cannot look at " + file + ": " + std::strerror(errno));
    }
    FileVerdict verdict = judge_database_file(file, which, facts, read_write, euid);
    if (verdict.action == FileVerdict::Action::refuse) return make_error(verdict.message);
    if (verdict.action == FileVerdict::Action::make_writable &&
        ::chmod(file.c_str(), (facts.mode & 07777u) | S_IWUSR) != 0) {
      return make_error("cannot make " + file + " writable (" + std::strerror(errno) +
                        "): remove it while no omswatch process runs");
    }
  }
  return {};
}

}  // namespace omswatch::storage
