// Retention: prune() deletes the history past StoreOptions' keep_samples
// and keep_events in short batches; vacuum_step() gives free pages back to
// the file system.

#include "storage/store.h"
#include "storage/store_impl.h"

namespace omswatch::storage {

namespace detail {

namespace {

constexpr std::string_view kNextProject =
    "SELECT id FROM sample_projects WHERE id > ?1 ORDER BY id LIMIT 1";

// The ?3 + 1 oldest samples of project ?1 before ?2, but never its latest.
// Every bound is a primary-key seek, so the cost follows the rows deleted.
constexpr std::string_view kPruneSamples = R"sql(
DELETE FROM sample_rows
 WHERE project = ?1
   AND observed_at < ?2
   AND observed_at < (SELECT max(x.observed_at) FROM sample_rows AS x WHERE x.project = ?1)
   AND observed_at <= coalesce((SELECT y.observed_at FROM sample_rows AS y
                                 WHERE y.project = ?1 AND y.observed_at < ?2
                                 ORDER BY y.observed_at LIMIT 1 OFFSET ?3), ?2))sql";

// Oldest first through events_time; an event with a delivery still pending
// stays, whatever its age.
constexpr std::string_view kOldEvents = R"sql(
SELECT e.id FROM events AS e
 WHERE e.observed_at < ?1
   AND NOT EXISTS (SELECT 1 FROM outbox AS o WHERE o.event_id = e.id AND o.status = 'pending')
 ORDER BY e.observed_at
 LIMIT ?2)sql";
constexpr std::string_view kCountDeliveriesOfEvent =
    "SELECT count(*) FROM outbox WHERE event_id = ?1";
constexpr std::string_view kDeleteDeliveriesOfEvent = "DELETE FROM outbox WHERE event_id = ?1";
constexpr std::string_view kDeleteEvent = "DELETE FROM events WHERE id = ?1";

}  // namespace

RetentionStatements::RetentionStatements(Database& db)
    : next_project(db, kNextProject),
      prune_samples(db, kPruneSamples),
      old_events(db, kOldEvents),
      count_deliveries_of_event(db, kCountDeliveriesOfEvent),
      delete_deliveries_of_event(db, kDeleteDeliveriesOfEvent),
      delete_event(db, kDeleteEvent) {}

}  // namespace detail

using detail::ResetOnExit;
using detail::Statement;
using detail::Transaction;

Expected<PruneResult> Store::prune(TimeMs now, int max_rows) {
  Impl& s = *impl_;
  PruneResult result;
  if (max_rows <= 0) return result;
  if (s.mode == OpenMode::read_only) return make_error("cannot prune a read-only database");
  try {
    if (auto committed = s.commit_group(); !committed) {
      return make_error("cannot prune: " + committed.error());
    }
    auto tx = Transaction::begin(s.db);
    if (!tx) return make_error("cannot prune old history: " + tx.error());
    std::int64_t budget = max_rows;

    bool samples_done = true;
    if (s.options.keep_samples.count() > 0) {
      samples_done = false;
      const TimeMs cutoff = now - s.options.keep_samples.count();
      for (int visited = 0; budget > 0 && visited < max_rows; ++visited) {
        std::optional<std::int64_t> project;
        {
          ResetOnExit done(s.retention.next_project);
          s.retention.next_project.bind(1, s.prune_cursor);
          if (s.retention.next_project.step()) project = s.retention.next_project.column_int64(0);
        }
        if (!project) {
          samples_done = true;
          s.prune_cursor = 0;
          break;
        }
        Statement& st = s.retention.prune_samples;
        st.bind(1, *project);
        st.bind(2, cutoff);
        st.bind(3, budget - 1);
        if (auto done = st.run(); !done) return make_error("cannot prune samples: " + done.error());
        int removed = s.db.changes();
        if (budget - removed > 0) {
          Statement& steps = s.progress.prune_steps;
          steps.bind(1, *project);
          steps.bind(2, cutoff);
          steps.bind(3, budget - removed - 1);
          if (auto done = steps.run(); !done) {
            return make_error("cannot prune step readings: " + done.error());
          }
          removed += s.db.changes();
        }
        result.removed += removed;
        budget -= removed;
        // A full batch may have left rows of this project: it is visited again.
        if (budget > 0) s.prune_cursor = *project;
      }
    }

    bool events_done = true;
    if (s.options.keep_events.count() > 0 && budget > 0) {
      std::vector<std::string> ids;
      {
        ResetOnExit done(s.retention.old_events);
        s.retention.old_events.bind(1, now - s.options.keep_events.count());
        s.retention.old_events.bind(2, budget);
        while (s.retention.old_events.step())
          ids.push_back(s.retention.old_events.column_string(0));
      }
      events_done = static_cast<std::int64_t>(ids.size()) < budget;
      for (const std::string& id : ids) {
        // An event goes whole, with its deliveries, and within the batch,
        // unless it alone is more than a batch.
        std::int64_t rows = 1;
        {
          ResetOnExit done(s.retention.count_deliveries_of_event);
          s.retention.count_deliveries_of_event.bind(1, id);
          if (s.retention.count_deliveries_of_event.step()) {
            rows += s.retention.count_deliveries_of_event.column_int64(0);
          }
        }
        if (rows > budget && result.removed > 0) {
          events_done = false;
          break;
        }
        for (Statement* st : {&s.retention.delete_deliveries_of_event, &s.retention.delete_event}) {
          st->bind(1, id);
          if (auto done = st->run(); !done) {
            return make_error("cannot prune event " + id + ": " + done.error());
          }
          result.removed += s.db.changes();
          budget -= s.db.changes();
        }
        if (budget <= 0) {
          events_done = false;
          break;
        }
      }
    } else if (s.options.keep_events.count() > 0) {
      events_done = false;
    }

    if (auto committed = tx->commit(); !committed) {
      return make_error("cannot prune old history: " + committed.error());
    }
    result.more = !(samples_done && events_done);
    return result;
  } catch (const StorageError& e) {
    return make_error(std::string("cannot prune old history: ") + e.what());
  }
}

Expected<VacuumResult> Store::vacuum_step(int pages) {
  Impl& s = *impl_;
  if (s.mode == OpenMode::read_only) return make_error("cannot vacuum a read-only database");
  auto pragma_int = [&](std::string_view pragma) {
    Statement st(s.db, pragma);
    return st.step() ? st.column_int64(0) : 0;
  };
  try {
    if (auto committed = s.commit_group(); !committed) {
      return make_error("cannot give free space back: " + committed.error());
    }
    VacuumResult result;
    const std::int64_t before = pragma_int("PRAGMA freelist_count");
    if (pages > 0 && before > 0) {
      auto tx = Transaction::begin(s.db);
      if (!tx) return make_error("cannot give free space back: " + tx.error());
      auto done = s.db.exec("PRAGMA incremental_vacuum(" + std::to_string(pages) + ")");
      if (done) done = tx->commit();
      if (!done) return make_error("cannot give free space back: " + done.error());
    }
    result.free_pages = pragma_int("PRAGMA freelist_count");
    result.page_count = pragma_int("PRAGMA page_count");
    result.released = before - result.free_pages;
    return result;
  } catch (const StorageError& e) {
    return make_error(std::string("cannot give free space back: ") + e.what());
  }
}

}  // namespace omswatch::storage
