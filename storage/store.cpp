#include "storage/store.h"

#include <filesystem>
#include <system_error>

#include "storage/db_files.h"
#include "storage/schema.h"
#include "storage/store_impl.h"

// Opening a Store (creating, checking and migrating the file), and what the
// pieces of Store share: the dictionary of texts, the reading of sample rows
// and events, and the group of quiet writes.

namespace omswatch::storage {

namespace detail {

std::string_view bounded(std::string_view text) {
  if (text.size() <= kMaxErrorBytes) return text;
  std::size_t n = kMaxErrorBytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

void bind_text_or_null(Statement& st, int index, const std::string& text) {
  if (text.empty()) {
    st.bind_null(index);
  } else {
    st.bind(index, text);
  }
}

void bind_error_text(Statement& st, int index, const std::string& text) {
  if (text.empty()) {
    st.bind_null(index);
  } else {
    st.bind(index, bounded(text));
  }
}

EventRecord read_event(const Statement& st, int first) {
  EventRecord e;
  e.id = st.column_string(first);
  e.oms = st.column_string(first + 1);
  e.project_id = st.column_string(first + 2);
  e.kind = st.column_string(first + 3);
  e.state = st.column_string(first + 4);
  e.severity = st.column_string(first + 5);
  e.alarm_level = st.column_string(first + 6);
  e.summary = st.column_string(first + 7);
  e.details_json = st.column_string(first + 8);
  e.progress_json = st.column_string(first + 9);
  e.observed_at = st.column_int64(first + 10);
  e.project_name = st.column_string(first + 11);
  return e;
}

namespace {
constexpr std::string_view kOutcomes[] = {"ok", "unavailable", "error"};
}  // namespace

std::optional<int> outcome_code(std::string_view outcome) {
  for (int i = 0; i < 3; ++i) {
    if (kOutcomes[i] == outcome) return i;
  }
  return std::nullopt;
}

std::string outcome_text(std::int64_t code) {
  return code >= 0 && code < 3 ? std::string(kOutcomes[code]) : std::string("error");
}

}  // namespace detail

namespace {

using detail::Database;
using detail::Statement;
using detail::Transaction;

constexpr auto kBusyTimeout = std::chrono::seconds(5);

Expected<int> user_version(Database& db) {
  Statement st(db, "PRAGMA user_version");
  if (!st.step()) return make_error("PRAGMA user_version returned nothing");
  return st.column_int(0);
}

std::string newer_schema_message(const std::string& path, int version) {
  return "database " + path + " has schema version " + std::to_string(version) +
         ", newer than version " + std::to_string(latest_schema_version()) +
         " that this omswatch knows: it was written by a newer omswatch; run that version, or "
         "point omswatch at another database";
}

// Refuses, before anything in the file is changed, a database this omswatch
// must not touch: one from a newer omswatch, or another program's (version 0
// with tables in it: adding omswatch's tables would only hide a wrong path).
Expected<void> check_ownership(Database& db) {
  auto version = user_version(db);
  if (!version) return make_error(version.error());
  if (*version > latest_schema_version()) {
    return make_error(newer_schema_message(db.path(), *version));
  }
  if (*version == 0) {
    Statement tables(db, "SELECT count(*) FROM sqlite_schema");
    if (tables.step() && tables.column_int64(0) > 0) {
      return make_error("database " + db.path() +
                        " already holds tables but no omswatch schema: it is not an omswatch "
                        "database (check [daemon] database)");
    }
  }
  return {};
}

// Applies the migrations the database has not seen, each in its own
// transaction with its version bump.
Expected<int> migrate(Database& db) {
  auto found = user_version(db);
  if (!found) return found;
  int version = *found;
  if (version > latest_schema_version()) {
    return make_error(newer_schema_message(db.path(), version));
  }
  for (const Migration& m : migrations()) {
    if (m.version <= version) continue;
    auto tx = Transaction::begin(db);
    if (!tx) return make_error("cannot migrate " + db.path() + ": " + tx.error());
    // Another process may have migrated while this one waited for the lock.
    auto current = user_version(db);
    if (!current) return current;
    if (*current >= m.version) {
      version = *current;
      continue;
    }
    auto applied = db.exec(m.sql);
    if (applied) applied = db.exec("PRAGMA user_version = " + std::to_string(m.version));
    if (applied) applied = tx->commit();
    if (!applied) {
      return make_error("cannot migrate " + db.path() + " to schema version " +
                        std::to_string(m.version) + ": " + applied.error());
    }
    version = m.version;
  }
  return version;
}

Expected<std::string> pragma_text(Database& db, std::string_view pragma) {
  Statement st(db, pragma);
  if (!st.step()) return make_error(std::string(pragma) + " returned nothing");
  return st.column_string(0);
}

Expected<Database> open_read_write(const std::string& path) {
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return make_error("cannot create the directory " + dir.string() + " for database " + path +
                        ": " + ec.message());
    }
  }
  if (auto files = check_database_files(path, true); !files) return make_error(files.error());
  auto db = Database::open(path, sqlite::kOpenReadWrite | sqlite::kOpenCreate);
  if (!db) return db;
  db->set_busy_timeout(kBusyTimeout);
  if (auto ours = check_ownership(*db); !ours) return make_error(ours.error());
  // auto_vacuum only takes effect before the first table exists; on an
  // existing database this is a no-op.
  auto set = db->exec("PRAGMA auto_vacuum = INCREMENTAL");
  if (!set) return make_error("database " + path + ": " + set.error());
  auto journal = pragma_text(*db, "PRAGMA journal_mode = WAL");
  if (!journal) return make_error("database " + path + ": " + journal.error());
  if (*journal != "wal") {
    return make_error("database " + path + " cannot use write-ahead logging (journal mode is " +
                      *journal + "); it must be on a local file system");
  }
  // NORMAL in WAL mode: a power loss may drop the last commits but never
  // corrupts the file; FULL would fsync on every poll.
  set = db->exec(
      "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
      "PRAGMA journal_size_limit = 67108864");
  if (!set) return make_error("database " + path + ": " + set.error());
  return db;
}

Expected<Database> open_read_only(const std::string& path) {
  if (auto files = check_database_files(path, false); !files) return make_error(files.error());
  auto db = Database::open(path, sqlite::kOpenReadOnly);
  if (!db) return db;
  db->set_busy_timeout(kBusyTimeout);
  auto set = db->exec("PRAGMA query_only = 1");
  if (!set) return make_error("database " + path + ": " + set.error());
  return db;
}

}  // namespace

Store::Impl::Impl(Database database, OpenMode open_mode, int schema_version,
                  StoreOptions store_options)
    : db(std::move(database)),
      mode(open_mode),
      version(schema_version),
      options(std::move(store_options)),
      write(db),
      retention(db),
      outbox(db),
      query(db),
      progress(db) {}

Store::Impl::~Impl() {
  (void)commit_group();
  // Lets SQLite refresh its planner statistics where they drifted; cheap
  // when nothing changed.
  if (mode == OpenMode::read_write) (void)db.exec("PRAGMA optimize");
}

Expected<void> Store::Impl::commit_group() {
  if (!group) return {};
  Transaction tx = std::move(*group);
  group.reset();
  // SQLite rolls a transaction back by itself after some failures (a full
  // disk, an I/O error).
  Expected<void> committed = db.in_transaction()
                                 ? tx.commit()
                                 : Expected<void>(make_error("SQLite rolled the writes back"));
  if (!committed) {
    ungrouped = true;
    project_key_cache.clear();
    text_cache.clear();
    text_of_key_cache.clear();
    last_stored_cache.clear();
  }
  return committed;
}

void Store::Impl::commit_group_or_throw() {
  if (auto committed = commit_group(); !committed) {
    throw StorageError("could not commit the latest polls: " + committed.error());
  }
}

std::string Store::Impl::text_of(std::optional<std::int64_t> id) {
  if (!id) return "";
  if (auto it = text_of_key_cache.find(*id); it != text_of_key_cache.end()) return it->second;
  Statement& st = query.text_of_id;
  detail::ResetOnExit done(st);
  st.bind(1, *id);
  std::string text = st.step() ? st.column_string(0) : std::string();
  if (text_of_key_cache.size() >= detail::kMaxCachedTexts) text_of_key_cache.clear();
  text_of_key_cache.emplace(*id, text);
  return text;
}

Sample Store::Impl::read_sample_row(const Statement& st, int first) {
  Sample x;
  x.observed_at = st.column_int64(first);
  x.outcome = detail::outcome_text(st.column_int64(first + 1));
  x.status = text_of(st.column_optional_int64(first + 2));
  x.alarm_level = text_of(st.column_optional_int64(first + 3));
  x.current_step = text_of(st.column_optional_int64(first + 4));
  x.struct_progress = st.column_optional_int(first + 5);
  x.full_progress = st.column_optional_int(first + 6);
  x.incr_checkpoint = st.column_string(first + 7);
  x.incr_lag_s = st.column_optional_int64(first + 8);
  x.reverse_checkpoint = st.column_string(first + 9);
  x.reverse_lag_s = st.column_optional_int64(first + 10);
  x.latency_us = st.column_int64(first + 11);
  x.error = st.column_string(first + 12);
  return x;
}

Expected<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode) {
  StoreOptions every_sample;
  every_sample.sample_every = std::chrono::milliseconds(0);
  return open(path, mode, every_sample);
}

Expected<std::unique_ptr<Store>> Store::open(const std::string& path, OpenMode mode,
                                             const StoreOptions& options) {
  if (path.empty()) return make_error("no database path given");
  try {
    auto db = mode == OpenMode::read_write ? open_read_write(path) : open_read_only(path);
    if (!db) return make_error(db.error());
    int version = 0;
    if (mode == OpenMode::read_write) {
      auto migrated = migrate(*db);
      if (!migrated) return make_error(migrated.error());
      version = *migrated;
    } else {
      auto found = user_version(*db);
      if (!found) return make_error(found.error());
      version = *found;
      if (version == 0) {
        return make_error("database " + path +
                          " holds no omswatch schema (is it an omswatch database? the daemon "
                          "creates it on its first start)");
      }
      if (version > latest_schema_version()) return make_error(newer_schema_message(path, version));
      if (version < latest_schema_version()) {
        return make_error("database " + path + " has schema version " + std::to_string(version) +
                          ", older than version " + std::to_string(latest_schema_version()) +
                          " of this omswatch; it is migrated when this version of the daemon "
                          "opens it");
      }
    }
    auto impl = std::make_unique<Impl>(std::move(*db), mode, version, options);
    return std::unique_ptr<Store>(new Store(std::move(impl)));
  } catch (const StorageError& e) {
    return make_error("database " + path + ": " + e.what());
  }
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

int Store::schema_version() const { return impl_->version; }

Expected<void> Store::flush() {
  try {
    return impl_->commit_group();
  } catch (const StorageError& e) {
    return make_error(e.what());
  }
}

SampleCounts Store::sample_counts() const { return impl_->counts; }

void Store::set_history_options(const StoreOptions& options) {
  impl_->options.sample_every = options.sample_every;
  impl_->options.keep_samples = options.keep_samples;
  impl_->options.keep_events = options.keep_events;
}

}  // namespace omswatch::storage
