#pragma once
// omswatch's history and work queue in one SQLite file (WAL mode): samples,
// per-project detector state, events, and the delivery outbox. The schema is
// documented in docs/schema.md and migrated forward on open.
//
// Not thread-safe: one Store per thread. Read-only stores (the CLI) never
// block the daemon's writes (WAL), and the daemon's writes wait up to the busy
// timeout for a reader's lock instead of failing.
//
// Errors: every call that can fail (reads included) returns Expected, whose
// error names what failed and SQLite's message. A Store call never throws for
// a database failure; events() throws std::invalid_argument only for a filter
// that breaks its precondition, a bug in the caller.
//
// History is kept compact (docs/schema.md, "How samples are kept"): record()
// stores a sample only when it shows a change, and prune() drops what is older
// than the retention.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/defaults.h"
#include "common/expected.h"

namespace omswatch::storage {

// Thrown inside storage/ by the SQLite wrappers (storage/sqlite.h) when SQLite
// fails underneath a read: an I/O error, a corrupt file, a lock held past the
// busy timeout. Store never lets it out: every Store call that can fail
// returns Expected, with the message as the error.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Times are Unix milliseconds (UTC) everywhere in this interface and in the schema.
using TimeMs = std::int64_t;

struct Sample {
  std::string oms;
  std::string project_id;
  TimeMs observed_at = 0;
  std::string outcome;  // "ok", "unavailable" (success:false), "error" (no usable reply)
  std::string error;    // for unavailable/error: code and message
  std::string status;
  std::string alarm_level;
  std::string current_step;
  std::optional<int> struct_progress;
  std::optional<int> full_progress;
  std::string incr_checkpoint;             // raw, "" when absent
  std::string reverse_checkpoint;          // raw, "" when absent
  std::optional<std::int64_t> incr_lag_s;  // OMS time minus checkpoint, when numeric
  std::optional<std::int64_t> reverse_lag_s;
  std::int64_t latency_us = 0;
};

struct EventRecord {
  std::string id;  // stable, unique: the same on every retry and in every payload
  std::string oms;
  std::string project_id;
  std::string kind;      // status_changed, project_failed, ...
  std::string state;     // firing, resolved, notice
  std::string severity;  // info, warning, critical
  std::string alarm_level;
  std::string summary;
  std::string details_json;   // a JSON object
  std::string progress_json;  // a JSON object: the progress that showed it
  TimeMs observed_at = 0;
  std::string project_name;  // from DescribeProject / ListProjects; "" when unknown
};

// A condition firing now (GET /api/v1/conditions): its latest firing event,
// and since when it has held (its first firing after its last resolution).
struct OpenCondition {
  EventRecord event;
  TimeMs since = 0;
};

// A reading of a full transfer or verification step (DescribeProjectSteps),
// with the ETA made from it. Written each time the steps are read.
struct StepSample {
  TimeMs observed_at = 0;
  std::string step;         // FULL_TRANSFER, FULL_VERIFIER, ...
  std::string step_status;  // RUNNING, FINISHED, ...
  std::optional<int> progress;
  std::optional<std::int64_t> processed, capacity;
  std::optional<std::int64_t> src_rps, dst_rps, src_rps_ref, dst_rps_ref;
  std::optional<std::int64_t> src_rt, dst_rt, src_rt_ref, dst_rt_ref;
  std::optional<std::int64_t> src_iops, dst_iops, src_iops_ref;
  std::optional<std::int64_t> eta_low_s, eta_high_s;  // remaining seconds, when an ETA exists
  std::string eta_basis;                              // "records", "percent"; "" without an ETA
  std::optional<double> rate;                         // per second, in the basis's unit
};

// A reading of ListProjectFullVerifyResult. The latest per project is kept.
struct VerifyRecord {
  TimeMs observed_at = 0;
  bool finished = false;  // verification ended (or reached 100 %)
  std::optional<std::int64_t> different_number;
  std::int64_t tables = 0;        // tables OMS listed
  std::string worst_tables_json;  // JSON array of the tables with the most differences
};

// One observation's writes, committed in one transaction (all or nothing).
struct ObservationWrite {
  std::optional<Sample> sample;
  std::string oms;
  std::string project_id;                         // "" for OMS-level writes (oms_unreachable)
  std::optional<std::string> project_state_json;  // detector state of the project
  std::optional<std::string> oms_state_json;      // detector state of the OMS
  // The project's outlook (ETA and trend, JSON: daemon/rows.h), kept with its
  // state for `status`; written when it changed.
  std::optional<std::string> outlook_json;
  std::optional<StepSample> step_sample;
  std::optional<VerifyRecord> verify;
  std::vector<EventRecord> events;
  struct Delivery {
    std::string event_id;
    std::string receiver;
    TimeMs due_at = 0;  // first attempt; `now` when earlier (the route's group_wait delays it)
  };
  std::vector<Delivery> deliveries;  // one outbox row each
  TimeMs now = 0;
};

struct PendingDelivery {  // an outbox row joined with its event
  std::int64_t id = 0;
  std::string receiver;
  int attempts = 0;
  TimeMs created_at = 0;
  TimeMs next_attempt_at = 0;
  EventRecord event;
  // The event's details "repeat" (read from details_json): 1, 2, ... for a
  // firing event that announces again a condition still holding; 0 otherwise.
  int repeat = 0;
  // A resolution whose condition had been acknowledged: who acked it and
  // why (the ack that the resolution ended); "" otherwise.
  std::string acked_by;
  std::string ack_reason;
};

struct ProjectState {
  std::string oms;
  std::string project_id;
  std::string state_json;
  TimeMs updated_at = 0;
};

// How much history a read-write Store keeps (the [storage] configuration).
struct StoreOptions {
  // A sample that differs from the project's previous stored sample in its
  // outcome, status, step, alarm level, progress or error is always stored.
  // One that differs only in its checkpoints and lags is stored when at least
  // sample_every has passed since the previous stored sample (or the clock went
  // back). An identical one is not stored. Zero stores every sample.
  std::chrono::milliseconds sample_every = defaults::kSampleEvery;
  // prune() removes samples older than keep_samples, except each project's
  // latest, and events older than keep_events that have no pending delivery,
  // with their deliveries. Zero keeps them forever.
  std::chrono::milliseconds keep_samples = defaults::kKeepSamples;
  std::chrono::milliseconds keep_events = defaults::kKeepEvents;
  // Group commit. Zero: every record() commits its own transaction. Above
  // zero: a quiet write (a record() without events or deliveries, which is
  // almost every poll) joins one open transaction, committed once it is
  // commit_delay old (checked at each record()), by flush(), before a write
  // with events or deliveries returns (it is committed together with them),
  // before any other call that writes or opens a transaction, and when the
  // store closes. A crash loses at most commit_delay of quiet writes (samples
  // and detector states; never an event or a delivery), and other connections
  // see them up to commit_delay late. After a failed commit, writes commit
  // one by one until one succeeds.
  // An open group holds the database's write lock; another process's writer
  // (omswatch silence add) gets its turn between two groups, since its busy
  // wait tries the lock every millisecond (Database::set_busy_timeout).
  std::chrono::milliseconds commit_delay{0};
  // Called by record() when it opens a group: the owner then calls flush()
  // after commit_delay (from a timer), so that the last writes before a quiet
  // spell do not wait for the next record().
  std::function<void()> on_group_opened;
};

struct PruneResult {
  std::int64_t removed = 0;  // samples, events and deliveries deleted
  bool more = false;         // call again: the batch was full, or the pass is not over
};

struct VacuumResult {
  std::int64_t released = 0;    // pages given back to the file system
  std::int64_t free_pages = 0;  // pages still free inside the file afterwards
  std::int64_t page_count = 0;  // pages of the file afterwards
};

// Counts since open(): how thinning went.
struct SampleCounts {
  std::int64_t stored = 0;
  std::int64_t skipped = 0;  // thinned out: no change worth a row
};

// One interval of a project's status timeline: samples of the same outcome
// and status, from the first of them until the next interval starts.
struct StatusInterval {
  std::string oms;
  std::string project_id;
  std::string outcome;  // ok, unavailable, error
  std::string status;   // "" unless outcome is ok
  TimeMs from = 0;
  TimeMs to = 0;         // the next interval's start, or the latest poll when ongoing
  bool ongoing = false;  // the latest interval: the project is still in it
};

struct ProjectStatus {  // `omswatch status`: the latest sample of each project
  std::string oms;
  std::string project_id;
  TimeMs observed_at = 0;
  std::string outcome;
  std::string status;
  std::string alarm_level;
  std::string current_step;
  std::optional<int> struct_progress;
  std::optional<int> full_progress;
  std::optional<std::int64_t> incr_lag_s;
  std::string error;
  std::int64_t open_conditions = 0;  // conditions firing now
  // The latest poll: later than observed_at when the polls since changed
  // nothing worth a sample (their lag is then up to sample_every old).
  TimeMs last_polled_at = 0;
  // Migration progress: the latest step reading (while or after a full
  // transfer or verification ran), the latest verification result, and the
  // latest outlook written (a JSON object, daemon/rows.h; "" when none).
  std::optional<StepSample> step;
  std::optional<VerifyRecord> verify;
  std::string outlook_json;
};

// A stored step reading with its project (`omswatch history ID --steps`).
struct ProjectStepSample {
  std::string oms;
  std::string project_id;
  StepSample sample;
};

struct EventFilter {
  std::string project_id;    // "" = any
  std::string kind;          // "" = any
  std::string min_severity;  // "" = any
  std::optional<TimeMs> since;
  std::optional<TimeMs> until;
  int limit = 1000;
};

struct EventWithDeliveries {
  EventRecord event;
  struct Delivery {
    std::string receiver;
    std::string status;  // pending, delivered, failed, silenced
    int attempts = 0;
    std::string last_error;
    std::optional<TimeMs> delivered_at;
  };
  std::vector<Delivery> deliveries;
};

// A silence suppresses the deliveries of matching events while it is active
// (starts_at <= now < ends_at). Empty fields match anything; at least one is set.
struct Silence {
  std::int64_t id = 0;
  std::string oms;
  std::string project_id;
  std::string kind;
  std::string comment;
  std::string created_by;
  TimeMs created_at = 0;
  TimeMs starts_at = 0;
  TimeMs ends_at = 0;
  bool matches(const EventRecord& e) const {
    return (oms.empty() || oms == e.oms) && (project_id.empty() || project_id == e.project_id) &&
           (kind.empty() || kind == e.kind);
  }
};

// An acknowledgement of one open condition of a project (`omswatch ack`,
// POST /api/v1/acks): someone is on it. It covers the occurrence that was
// open when it was made (fired_at: that occurrence's first firing) and ends
// when that occurrence resolves (the store records the resolution with it, in
// the transaction that stores the resolution event) or when it is removed. A
// later occurrence of the same condition is not acked.
struct Ack {
  std::int64_t id = 0;
  std::string oms;
  std::string project_id;
  std::string kind;
  TimeMs fired_at = 0;
  std::string acked_by;
  std::string reason;
  TimeMs created_at = 0;
  std::optional<TimeMs> resolved_at;  // the condition resolved
  std::string resolved_event_id;      // the resolution event; "" until then
  std::optional<TimeMs> removed_at;   // removed by hand
  std::string removed_by;
};

struct AckRequest {
  std::string oms;  // "": whichever OMS has the condition open (only one may)
  std::string project_id;
  std::string kind;
  std::string acked_by;
  std::string reason;
  TimeMs now = 0;
};

struct AckAdded {
  enum class Outcome {
    added,          // `ack` is the new ack
    not_open,       // the condition is not firing now
    already_acked,  // `ack` is the ack already in force
    ambiguous,      // open in more than one OMS: `oms` names them; give one
  };
  Outcome outcome = Outcome::added;
  Ack ack;
  std::vector<std::string> oms;
};

enum class OpenMode { read_write, read_only };

class Store {
 public:
  // Opens (read_write: creating the file and its directory, and migrating the
  // schema). Errors name the path and SQLite's message. A database written by
  // a newer omswatch (a schema version this build does not know) is refused in
  // both modes. read_only creates nothing: a missing file is an error, and so
  // is a file without the schema or with an older one (the daemon migrates it).
  // This overload stores every sample, as omswatch 0.1 did (sample_every 0);
  // the daemon passes its [storage] options to the one below.
  static Expected<std::unique_ptr<Store>> open(const std::string& path, OpenMode mode);
  // The same, with the history options (ignored by read-only stores).
  static Expected<std::unique_ptr<Store>> open(const std::string& path, OpenMode mode,
                                               const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version() const;

  // Stores the sample, the states, the step reading, the verification, the
  // outlook, the events and their deliveries (pending, due at write.now) in
  // one transaction. A step reading or verification needs write.project_id;
  // an outlook_json of "" removes the project's outlook. On error (a duplicate event id, a
  // delivery of an unknown event, a value outside the schema, a read-only
  // store, a full disk) nothing of the write is stored. Error texts longer
  // than 4 KiB are cut. The sample is thinned as StoreOptions::sample_every
  // says; a thinned sample is no error. Each project's latest stored sample is
  // kept in memory (read from the file at the project's first write), so
  // thinning carries over a restart.
  // With StoreOptions::commit_delay, a quiet write returns before its
  // transaction commits; a failed group commit makes the record() or flush()
  // that commits it fail, and the quiet writes of that group are lost.
  Expected<void> record(const ObservationWrite& write);
  // Commits the quiet writes record() holds back (nothing when none are).
  Expected<void> flush();
  SampleCounts sample_counts() const;
  // Applies a changed [storage] configuration: sample_every to the writes
  // that follow, keep_samples and keep_events to the next prune(). The other
  // options (group commit) stay as opened. Ignored by a read-only store.
  void set_history_options(const StoreOptions& options);

  // --- retention
  // Deletes at most about `max_rows` rows past the retention of StoreOptions
  // in one short transaction: samples and step readings first (each
  // project's latest of each kept) (walking the projects from where
  // the previous call stopped, at most `max_rows` projects per call), then
  // events without a pending delivery, with their deliveries. A call removes
  // at most max_rows rows (an event with more deliveries than that goes alone,
  // whole). Call it again while `more` is true; a pass over every project
  // ends with more = false. A call of 500 rows takes about half a millisecond
  // (docs/schema.md, "Size and speed").
  // Fails on a read-only store or when the write lock is not had within the
  // busy timeout.
  Expected<PruneResult> prune(TimeMs now, int max_rows);
  // Gives at most `pages` free pages back to the file system (PRAGMA
  // incremental_vacuum), in one short transaction. Pruned space is reused by
  // new rows anyway: this only shrinks the file, so it is worth it when much
  // of the file is free (after keep_samples was shortened), not after every
  // pass. vacuum_step(0) only reports free_pages and page_count.
  Expected<VacuumResult> vacuum_step(int pages);

  Expected<std::vector<ProjectState>> load_project_states();
  Expected<std::optional<std::string>> load_oms_state(const std::string& oms);

  // --- outbox
  // Pending rows with next_attempt_at <= now, ordered by (next_attempt_at,
  // id), at most `limit` (none when limit <= 0).
  Expected<std::vector<PendingDelivery>> due_deliveries(TimeMs now, int limit);
  // The earliest next_attempt_at of a pending row.
  Expected<std::optional<TimeMs>> next_due_at();
  Expected<std::int64_t> pending_count();
  // The mark_* calls change only rows that are still pending (a repeated or
  // late mark leaves a finished row as it is; unknown ids are ignored), all
  // ids in one transaction. delivered and retry count one attempt each.
  Expected<void> mark_delivered(const std::vector<std::int64_t>& ids, TimeMs now);
  Expected<void> mark_retry(const std::vector<std::int64_t>& ids, TimeMs next_attempt_at,
                            const std::string& error);
  // Final: "failed" (gave up) or "silenced"; any other status is an error.
  // The reason is kept as the row's last_error; attempts are not counted.
  Expected<void> mark_final(const std::vector<std::int64_t>& ids, const std::string& status,
                            const std::string& reason, TimeMs now);

  // The latest firing event of every condition still open that was routed to
  // `receiver`, oldest first (for receivers that must be reminded of what
  // holds, such as Alertmanager).
  Expected<std::vector<EventRecord>> open_conditions_delivered_to(const std::string& receiver);
  // Every condition firing now, ordered by OMS, project id (OMS-level ones,
  // without a project, first) and kind.
  Expected<std::vector<OpenCondition>> open_conditions();

  // --- silences
  // Stores a new silence and returns its id; an error when it matches
  // everything or ends before it starts.
  Expected<std::int64_t> add_silence(const Silence& silence);
  // Active at `at` (nullopt: all, expired ones included), newest first.
  Expected<std::vector<Silence>> silences(std::optional<TimeMs> active_at);
  // Ends a silence now; false when no active silence has that id.
  Expected<bool> expire_silence(std::int64_t id, TimeMs now);

  // --- acks (storage/store_acks.cpp)
  // Acks the condition (project_id, kind) if it is firing now, in one
  // transaction; see AckAdded for the outcomes. The texts are stored as given
  // (the caller checks them: daemon/acks.h), cut at 4 KiB.
  Expected<AckAdded> add_ack(const AckRequest& request);
  // The acks in force (all = false: neither resolved nor removed), or every
  // ack (all = true), newest first, at most `limit` (<= 0: all).
  Expected<std::vector<Ack>> acks(bool all, int limit = 0);
  // Removes an ack in force; false when no ack in force has that id.
  Expected<bool> remove_ack(std::int64_t id, const std::string& removed_by, TimeMs now);

  // --- queries
  // Time windows are since <= observed_at < until; an absent bound is open.
  // Ordered by (oms, project_id).
  Expected<std::vector<ProjectStatus>> latest_status();
  // Oldest first. When more than `limit` samples match, the most recent
  // `limit` of them; limit <= 0 returns all.
  Expected<std::vector<Sample>> history(const std::string& project_id, std::optional<TimeMs> since,
                                        std::optional<TimeMs> until, int limit);
  // The project's step readings (of every OMS that has it), oldest first,
  // by time then OMS; of more than `limit`, the most recent `limit` (limit
  // <= 0: all).
  Expected<std::vector<ProjectStepSample>> step_history(const std::string& project_id,
                                                        std::optional<TimeMs> since,
                                                        std::optional<TimeMs> until, int limit);
  // The project's status intervals that overlap [since, until), oldest first
  // (by from, then oms). Intervals keep their real bounds: the first may start
  // before `since`, the last end after `until`. The status_intervals view
  // gives the same intervals.
  Expected<std::vector<StatusInterval>> status_timeline(const std::string& project_id,
                                                        std::optional<TimeMs> since,
                                                        std::optional<TimeMs> until);
  // Newest first, at most filter.limit (limit <= 0: all), each with its
  // deliveries ordered by receiver. REQUIRES: min_severity is "", "info",
  // "warning" or "critical" (anything else throws std::invalid_argument).
  Expected<std::vector<EventWithDeliveries>> events(const EventFilter& filter);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace omswatch::storage
