#include "storage/schema.h"

#include <array>

namespace omswatch::storage {

namespace {

// Joins string literals at compile time (a migration's text is a constant).
template <std::size_t... N>
constexpr auto join(const char (&... parts)[N]) {
  std::array<char, (N + ...) - sizeof...(N) + 1> out{};
  std::size_t at = 0;
  auto append = [&](const char* part, std::size_t size) {
    for (std::size_t i = 0; i + 1 < size; ++i) out[at++] = part[i];
  };
  (append(parts, N), ...);
  return out;
}

template <std::size_t N>
constexpr std::string_view text_of(const std::array<char, N>& joined) {
  return std::string_view(joined.data(), N - 1);
}

// The columns of a sample after its project key, as sample_rows (version 2)
// and latest_sample_rows (version 4) declare them: written once, so that the
// latest sample of a project has the columns of its history.
constexpr char kSampleRowColumns[] = R"sql(  observed_at        INTEGER NOT NULL,
  outcome            INTEGER NOT NULL CHECK (outcome IN (0, 1, 2)),
  status             INTEGER,
  alarm_level        INTEGER,
  current_step       INTEGER,
  struct_progress    INTEGER,
  full_progress      INTEGER,
  incr_checkpoint,
  incr_lag_s         INTEGER,
  reverse_checkpoint,
  reverse_lag_s      INTEGER,
  latency_us         INTEGER NOT NULL,
  error              TEXT)sql";

// The decoded columns of a sample, as the samples view (version 2) and the
// latest_samples view (versions 2 and 4) show them.
constexpr char kDecodedSampleColumns[] = R"sql(SELECT p.oms, p.project_id, r.observed_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', r.observed_at / 1000.0, 'unixepoch') AS observed_utc,
       CASE r.outcome WHEN 0 THEN 'ok' WHEN 1 THEN 'unavailable' ELSE 'error' END AS outcome,
       st.text AS status, al.text AS alarm_level, cs.text AS current_step,
       r.struct_progress, r.full_progress,
       CAST(r.incr_checkpoint AS TEXT) AS incr_checkpoint, r.incr_lag_s,
       CAST(r.reverse_checkpoint AS TEXT) AS reverse_checkpoint, r.reverse_lag_s,
       r.latency_us, r.error)sql";
constexpr char kLastPolledAtColumn[] = R"sql(,
       max(r.observed_at, coalesce(ps.updated_at, r.observed_at)) AS last_polled_at
)sql";

// Version 1. Conventions (docs/schema.md): `*_at` columns are Unix
// milliseconds (UTC); views add `*_utc` text for people; a value that is
// absent is NULL, never "".
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE samples (
  id                 INTEGER PRIMARY KEY,
  oms                TEXT    NOT NULL CHECK (oms <> ''),
  project_id         TEXT    NOT NULL CHECK (project_id <> ''),
  observed_at        INTEGER NOT NULL,
  outcome            TEXT    NOT NULL CHECK (outcome IN ('ok', 'unavailable', 'error')),
  status             TEXT,
  alarm_level        TEXT,
  current_step       TEXT,
  struct_progress    INTEGER,
  full_progress      INTEGER,
  incr_checkpoint    TEXT,
  incr_lag_s         INTEGER,
  reverse_checkpoint TEXT,
  reverse_lag_s      INTEGER,
  latency_us         INTEGER NOT NULL,
  error              TEXT
);
CREATE INDEX samples_project_time ON samples (project_id, observed_at);
CREATE INDEX samples_oms_project_time ON samples (oms, project_id, observed_at);

CREATE TABLE project_state (
  oms        TEXT    NOT NULL CHECK (oms <> ''),
  project_id TEXT    NOT NULL CHECK (project_id <> ''),
  state_json TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (oms, project_id)
) WITHOUT ROWID;

CREATE TABLE oms_state (
  oms        TEXT    NOT NULL PRIMARY KEY CHECK (oms <> ''),
  state_json TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
  id            TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
  oms           TEXT    NOT NULL CHECK (oms <> ''),
  project_id    TEXT,
  kind          TEXT    NOT NULL CHECK (kind <> ''),
  state         TEXT    NOT NULL CHECK (state IN ('firing', 'resolved', 'notice')),
  severity      TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  alarm_level   TEXT,
  summary       TEXT    NOT NULL,
  details_json  TEXT    NOT NULL DEFAULT '{}',
  progress_json TEXT    NOT NULL DEFAULT '{}',
  observed_at   INTEGER NOT NULL,
  project_name  TEXT
);
CREATE INDEX events_time ON events (observed_at);
CREATE INDEX events_project_kind_time ON events (project_id, kind, observed_at);

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  event_id        TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  receiver        TEXT    NOT NULL CHECK (receiver <> ''),
  status          TEXT    NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'delivered', 'failed', 'silenced')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  delivered_at    INTEGER,
  finished_at     INTEGER,
  last_error      TEXT,
  UNIQUE (event_id, receiver)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

-- The latest sample of every (oms, project_id). The recursive part walks the
-- distinct projects through samples_oms_project_time one index seek at a time,
-- so the view costs a few seeks per project however long the history is.
CREATE VIEW latest_samples AS
WITH RECURSIVE project_keys(sample_id) AS (
  SELECT (SELECT id FROM samples ORDER BY oms, project_id LIMIT 1)
  UNION ALL
  SELECT coalesce(
           (SELECT n.id FROM samples AS n
             WHERE n.oms = s.oms AND n.project_id > s.project_id
             ORDER BY n.project_id LIMIT 1),
           (SELECT n.id FROM samples AS n
             WHERE n.oms > s.oms
             ORDER BY n.oms, n.project_id LIMIT 1))
    FROM project_keys AS k JOIN samples AS s ON s.id = k.sample_id
)
SELECT l.id, l.oms, l.project_id, l.observed_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', l.observed_at / 1000.0, 'unixepoch') AS observed_utc,
       l.outcome, l.status, l.alarm_level, l.current_step, l.struct_progress, l.full_progress,
       l.incr_checkpoint, l.incr_lag_s, l.reverse_checkpoint, l.reverse_lag_s, l.latency_us,
       l.error
  FROM project_keys AS k
  JOIN samples AS s ON s.id = k.sample_id
  JOIN samples AS l ON l.id = (SELECT x.id FROM samples AS x
                                WHERE x.oms = s.oms AND x.project_id = s.project_id
                                ORDER BY x.observed_at DESC, x.id DESC LIMIT 1);

-- Conditions firing now: a condition (oms, project_id, kind) fires while its
-- latest firing-or-resolved event is a firing one.
CREATE VIEW open_conditions AS
SELECT e.oms, e.project_id, e.kind, e.severity, e.alarm_level, e.summary,
       e.id AS event_id,
       (SELECT min(f.observed_at) FROM events AS f
         WHERE f.project_id IS e.project_id AND f.kind = e.kind AND f.oms = e.oms
           AND f.state = 'firing'
           AND f.observed_at > coalesce(
                 (SELECT max(r.observed_at) FROM events AS r
                   WHERE r.project_id IS e.project_id AND r.kind = e.kind AND r.oms = e.oms
                     AND r.state = 'resolved'), -1)) AS first_fired_at,
       e.observed_at AS last_fired_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', e.observed_at / 1000.0, 'unixepoch') AS last_fired_utc
  FROM events AS e
 WHERE e.state = 'firing'
   AND NOT EXISTS (SELECT 1 FROM events AS l
                    WHERE l.project_id IS e.project_id AND l.kind = e.kind AND l.oms = e.oms
                      AND l.state IN ('firing', 'resolved')
                      AND (l.observed_at, l.id) > (e.observed_at, e.id));

-- Events with how their deliveries stand.
CREATE VIEW events_view AS
SELECT e.id, e.observed_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', e.observed_at / 1000.0, 'unixepoch') AS observed_utc,
       e.oms, e.project_id, e.project_name, e.kind, e.state, e.severity,
       CASE e.severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END AS severity_rank,
       e.alarm_level, e.summary, e.details_json, e.progress_json,
       (SELECT count(*) FROM outbox AS o WHERE o.event_id = e.id) AS deliveries,
       (SELECT count(*) FROM outbox AS o
         WHERE o.event_id = e.id AND o.status = 'delivered') AS delivered,
       (SELECT count(*) FROM outbox AS o WHERE o.event_id = e.id AND o.status = 'pending') AS pending,
       (SELECT count(*) FROM outbox AS o WHERE o.event_id = e.id AND o.status = 'failed') AS failed,
       (SELECT count(*) FROM outbox AS o
         WHERE o.event_id = e.id AND o.status = 'silenced') AS silenced,
       (SELECT group_concat(r, ', ')
          FROM (SELECT o.receiver || ':' || o.status AS r FROM outbox AS o
                 WHERE o.event_id = e.id ORDER BY o.receiver)) AS receivers
  FROM events AS e;

-- Outbox rows with their event, for following deliveries.
CREATE VIEW outbox_view AS
SELECT o.id, o.event_id, o.receiver, o.status, o.attempts,
       o.created_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', o.created_at / 1000.0, 'unixepoch') AS created_utc,
       o.next_attempt_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', o.next_attempt_at / 1000.0, 'unixepoch') AS next_attempt_utc,
       o.delivered_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', o.delivered_at / 1000.0, 'unixepoch') AS delivered_utc,
       o.finished_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', o.finished_at / 1000.0, 'unixepoch') AS finished_utc,
       o.last_error,
       e.oms, e.project_id, e.kind, e.state AS event_state, e.severity, e.summary,
       e.observed_at AS event_observed_at
  FROM outbox AS o JOIN events AS e ON e.id = o.event_id;
)sql";

// Version 2: samples in a compact layout. A sample row names its project and
// its texts (status, alarm level, step) by small integer keys, keeps numeric
// checkpoints as integers, and is clustered by (project, observed_at) in a
// WITHOUT ROWID table, so it needs no index of its own. `samples` and
// `latest_samples` become views with the columns version 1 had (less `id`);
// status_intervals and lag_per_hour are new. The history of version 1 is
// carried over as it is.
constexpr char kSchemaV2Head[] = R"sql(
CREATE TABLE sample_projects (
  id         INTEGER PRIMARY KEY,
  oms        TEXT    NOT NULL CHECK (oms <> ''),
  project_id TEXT    NOT NULL CHECK (project_id <> ''),
  UNIQUE (project_id, oms)
);

CREATE TABLE sample_texts (
  id   INTEGER PRIMARY KEY,
  text TEXT    NOT NULL UNIQUE CHECK (text <> '')
);

-- Checkpoints have no declared type: a numeric checkpoint is stored as an
-- INTEGER (4 bytes instead of 10), anything else as the TEXT OMS sent.
CREATE TABLE sample_rows (
  project            INTEGER NOT NULL,
)sql";
constexpr char kSchemaV2Tail[] = R"sql(,
  PRIMARY KEY (project, observed_at)
) WITHOUT ROWID;

INSERT INTO sample_projects (oms, project_id)
SELECT oms, project_id FROM samples GROUP BY oms, project_id ORDER BY min(id);

INSERT INTO sample_texts (text)
SELECT text FROM (SELECT status AS text FROM samples
                  UNION SELECT alarm_level FROM samples
                  UNION SELECT current_step FROM samples)
 WHERE text IS NOT NULL AND text <> '';

INSERT OR REPLACE INTO sample_rows
SELECT p.id, s.observed_at,
       CASE s.outcome WHEN 'ok' THEN 0 WHEN 'unavailable' THEN 1 ELSE 2 END,
       (SELECT t.id FROM sample_texts AS t WHERE t.text = s.status),
       (SELECT t.id FROM sample_texts AS t WHERE t.text = s.alarm_level),
       (SELECT t.id FROM sample_texts AS t WHERE t.text = s.current_step),
       s.struct_progress, s.full_progress,
       CASE WHEN CAST(CAST(s.incr_checkpoint AS INTEGER) AS TEXT) = s.incr_checkpoint
            THEN CAST(s.incr_checkpoint AS INTEGER) ELSE s.incr_checkpoint END,
       s.incr_lag_s,
       CASE WHEN CAST(CAST(s.reverse_checkpoint AS INTEGER) AS TEXT) = s.reverse_checkpoint
            THEN CAST(s.reverse_checkpoint AS INTEGER) ELSE s.reverse_checkpoint END,
       s.reverse_lag_s, s.latency_us, s.error
  FROM samples AS s
  JOIN sample_projects AS p ON p.oms = s.oms AND p.project_id = s.project_id
 ORDER BY s.id;

DROP VIEW latest_samples;
DROP TABLE samples;

-- Every stored sample, decoded: the columns of version 1's table.
CREATE VIEW samples AS
)sql";
constexpr char kSchemaV2Samples[] = R"sql(
  FROM sample_rows AS r
  JOIN sample_projects AS p ON p.id = r.project
  LEFT JOIN sample_texts AS st ON st.id = r.status
  LEFT JOIN sample_texts AS al ON al.id = r.alarm_level
  LEFT JOIN sample_texts AS cs ON cs.id = r.current_step;

-- The latest sample of every project: one primary-key seek per project. A
-- poll that changed nothing stores no sample, so last_polled_at (the detector
-- state is saved with every poll) tells when the project was last polled.
CREATE VIEW latest_samples AS
)sql";
constexpr char kSchemaV2TailRest[] = R"sql(  FROM sample_projects AS p
  JOIN sample_rows AS r
    ON r.project = p.id
   AND r.observed_at = (SELECT max(x.observed_at) FROM sample_rows AS x WHERE x.project = p.id)
  LEFT JOIN sample_texts AS st ON st.id = r.status
  LEFT JOIN sample_texts AS al ON al.id = r.alarm_level
  LEFT JOIN sample_texts AS cs ON cs.id = r.current_step
  LEFT JOIN project_state AS ps ON ps.oms = p.oms AND ps.project_id = p.project_id;

-- Each project's history as intervals of one (outcome, status): an interval
-- starts with the first sample that differs from the one before, and lasts
-- until the next interval starts; the latest one lasts until the latest poll
-- (ongoing = 1). The windows are partitioned by (oms, project_id), so a
-- WHERE on those columns is applied before the windows are computed.
CREATE VIEW status_intervals AS
WITH marked AS (
  SELECT p.oms, p.project_id, r.project, r.observed_at, r.outcome, r.status,
         (lag(r.outcome) OVER w IS r.outcome AND lag(r.status) OVER w IS r.status) AS same
    FROM sample_rows AS r JOIN sample_projects AS p ON p.id = r.project
  WINDOW w AS (PARTITION BY p.oms, p.project_id ORDER BY r.observed_at)
), starts AS (
  SELECT oms, project_id, project, observed_at, outcome, status,
         lead(observed_at) OVER (PARTITION BY oms, project_id ORDER BY observed_at) AS next_at
    FROM marked WHERE NOT same
), bounded AS (
  SELECT s.oms, s.project_id, s.outcome, s.status, s.observed_at AS from_at,
         coalesce(s.next_at,
                  max((SELECT max(x.observed_at) FROM sample_rows AS x WHERE x.project = s.project),
                      coalesce((SELECT ps.updated_at FROM project_state AS ps
                                 WHERE ps.oms = s.oms AND ps.project_id = s.project_id), 0)))
           AS to_at,
         s.next_at IS NULL AS ongoing
    FROM starts AS s
)
SELECT b.oms, b.project_id,
       CASE b.outcome WHEN 0 THEN 'ok' WHEN 1 THEN 'unavailable' ELSE 'error' END AS outcome,
       st.text AS status,
       b.from_at, strftime('%Y-%m-%dT%H:%M:%fZ', b.from_at / 1000.0, 'unixepoch') AS from_utc,
       b.to_at, strftime('%Y-%m-%dT%H:%M:%fZ', b.to_at / 1000.0, 'unixepoch') AS to_utc,
       (b.to_at - b.from_at) / 1000 AS duration_s, b.ongoing
  FROM bounded AS b LEFT JOIN sample_texts AS st ON st.id = b.status;

-- Incremental sync lag per project and hour (UTC), from the stored samples
-- that carry a lag.
CREATE VIEW lag_per_hour AS
SELECT p.oms, p.project_id,
       r.observed_at / 3600000 * 3600000 AS hour_at,
       strftime('%Y-%m-%dT%H:00Z', r.observed_at / 3600000 * 3600, 'unixepoch') AS hour_utc,
       count(*) AS samples,
       min(r.incr_lag_s) AS min_lag_s, CAST(round(avg(r.incr_lag_s)) AS INTEGER) AS avg_lag_s,
       max(r.incr_lag_s) AS max_lag_s, max(r.reverse_lag_s) AS max_reverse_lag_s
  FROM sample_rows AS r JOIN sample_projects AS p ON p.id = r.project
 WHERE r.incr_lag_s IS NOT NULL OR r.reverse_lag_s IS NOT NULL
 GROUP BY p.oms, p.project_id, hour_at;
)sql";
constexpr auto kSchemaV2Text =
    join(kSchemaV2Head, kSampleRowColumns, kSchemaV2Tail, kDecodedSampleColumns, kSchemaV2Samples,
         kDecodedSampleColumns, kLastPolledAtColumn, kSchemaV2TailRest);
constexpr std::string_view kSchemaV2 = text_of(kSchemaV2Text);

// Version 3: silences (`omswatch silence ...`), which suppress matching
// deliveries; a suppressed delivery is recorded as 'silenced' in the outbox.
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE silences (
  id          INTEGER PRIMARY KEY,
  oms         TEXT,              -- NULL: any OMS
  project_id  TEXT,              -- NULL: any project
  kind        TEXT,              -- NULL: any kind
  comment     TEXT    NOT NULL DEFAULT '',
  created_by  TEXT    NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  starts_at   INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL,
  CHECK (oms IS NOT NULL OR project_id IS NOT NULL OR kind IS NOT NULL),
  CHECK (ends_at > starts_at)
);
CREATE INDEX silences_ends ON silences (ends_at);
)sql";

// Version 4: each project's latest sample is kept in latest_sample_rows by
// triggers on sample_rows, so `omswatch status` and latest_samples read one
// row per project, in (oms, project_id) order through sample_projects_by_oms,
// instead of seeking the latest in each project's history.
// The triggers cost a poll nothing unless it stores a sample (one more row
// written then); a deletion or update of a latest sample (by hand: prune
// never deletes one) puts the project's next latest in its place.
constexpr char kSchemaV4Head[] = R"sql(
CREATE TABLE latest_sample_rows (
  project            INTEGER PRIMARY KEY,
)sql";
constexpr char kSchemaV4Tail[] = R"sql(
);

-- `omswatch status` lists projects by (oms, project_id): this index gives
-- that order without a sort. It changes only when a project is first seen.
CREATE UNIQUE INDEX sample_projects_by_oms ON sample_projects (oms, project_id);

INSERT INTO latest_sample_rows
SELECT r.project, r.observed_at, r.outcome, r.status, r.alarm_level, r.current_step,
       r.struct_progress, r.full_progress, r.incr_checkpoint, r.incr_lag_s,
       r.reverse_checkpoint, r.reverse_lag_s, r.latency_us, r.error
  FROM sample_projects AS p
  JOIN sample_rows AS r
    ON r.project = p.id
   AND r.observed_at = (SELECT max(x.observed_at) FROM sample_rows AS x WHERE x.project = p.id);

-- A sample at least as late as the project's latest becomes its latest (a
-- clock that went back stores an earlier one, which does not).
CREATE TRIGGER sample_rows_keep_latest_on_insert AFTER INSERT ON sample_rows
WHEN NEW.observed_at >= coalesce((SELECT l.observed_at FROM latest_sample_rows AS l
                                   WHERE l.project = NEW.project), NEW.observed_at)
BEGIN
  INSERT OR REPLACE INTO latest_sample_rows
  VALUES (NEW.project, NEW.observed_at, NEW.outcome, NEW.status, NEW.alarm_level,
          NEW.current_step, NEW.struct_progress, NEW.full_progress, NEW.incr_checkpoint,
          NEW.incr_lag_s, NEW.reverse_checkpoint, NEW.reverse_lag_s, NEW.latency_us, NEW.error);
END;

CREATE TRIGGER sample_rows_keep_latest_on_delete AFTER DELETE ON sample_rows
WHEN OLD.observed_at >= (SELECT l.observed_at FROM latest_sample_rows AS l
                          WHERE l.project = OLD.project)
BEGIN
  DELETE FROM latest_sample_rows WHERE project = OLD.project;
  INSERT INTO latest_sample_rows
  SELECT project, observed_at, outcome, status, alarm_level, current_step, struct_progress,
         full_progress, incr_checkpoint, incr_lag_s, reverse_checkpoint, reverse_lag_s,
         latency_us, error
    FROM sample_rows WHERE project = OLD.project ORDER BY observed_at DESC LIMIT 1;
END;

CREATE TRIGGER sample_rows_keep_latest_on_update AFTER UPDATE ON sample_rows
BEGIN
  DELETE FROM latest_sample_rows WHERE project IN (OLD.project, NEW.project);
  INSERT OR REPLACE INTO latest_sample_rows
  SELECT project, observed_at, outcome, status, alarm_level, current_step, struct_progress,
         full_progress, incr_checkpoint, incr_lag_s, reverse_checkpoint, reverse_lag_s,
         latency_us, error
    FROM sample_rows AS r
   WHERE r.project IN (OLD.project, NEW.project)
     AND r.observed_at = (SELECT max(x.observed_at) FROM sample_rows AS x
                           WHERE x.project = r.project);
END;

DROP VIEW latest_samples;

-- The latest sample of every project, read from latest_sample_rows. A poll
-- that changed nothing stores no sample, so last_polled_at (the detector
-- state is saved with every poll) tells when the project was last polled.
CREATE VIEW latest_samples AS
)sql";
constexpr char kSchemaV4TailRest[] = R"sql(  FROM latest_sample_rows AS r
  JOIN sample_projects AS p ON p.id = r.project
  LEFT JOIN sample_texts AS st ON st.id = r.status
  LEFT JOIN sample_texts AS al ON al.id = r.alarm_level
  LEFT JOIN sample_texts AS cs ON cs.id = r.current_step
  LEFT JOIN project_state AS ps ON ps.oms = p.oms AND ps.project_id = p.project_id;
)sql";
constexpr auto kSchemaV4Text = join(kSchemaV4Head, kSampleRowColumns, kSchemaV4Tail,
                                    kDecodedSampleColumns, kLastPolledAtColumn, kSchemaV4TailRest);
constexpr std::string_view kSchemaV4 = text_of(kSchemaV4Text);

// Version 5: migration progress. step_sample_rows keeps each reading of a
// full transfer or verification step (DescribeProjectSteps), clustered by
// project and time like sample_rows; the step_samples view decodes it.
// verifications keeps each project's latest verification result, and
// project_outlook each project's latest ETA and trend (a JSON object).
constexpr std::string_view kSchemaV5 = R"sql(
CREATE TABLE step_sample_rows (
  project      INTEGER NOT NULL,
  observed_at  INTEGER NOT NULL,
  step         TEXT    NOT NULL CHECK (step <> ''),
  step_status  TEXT,
  progress     INTEGER,
  processed    INTEGER,
  capacity     INTEGER,
  src_rps      INTEGER,
  dst_rps      INTEGER,
  src_rps_ref  INTEGER,
  dst_rps_ref  INTEGER,
  src_rt       INTEGER,
  dst_rt       INTEGER,
  src_rt_ref   INTEGER,
  dst_rt_ref   INTEGER,
  src_iops     INTEGER,
  dst_iops     INTEGER,
  src_iops_ref INTEGER,
  eta_low_s    INTEGER,
  eta_high_s   INTEGER,
  eta_basis    TEXT    CHECK (eta_basis IN ('records', 'percent')),
  rate         REAL,
  PRIMARY KEY (project, observed_at)
) WITHOUT ROWID;

CREATE TABLE verifications (
  oms               TEXT    NOT NULL CHECK (oms <> ''),
  project_id        TEXT    NOT NULL CHECK (project_id <> ''),
  observed_at       INTEGER NOT NULL,
  finished          INTEGER NOT NULL CHECK (finished IN (0, 1)),
  different_number  INTEGER,
  tables            INTEGER NOT NULL,
  worst_tables_json TEXT    NOT NULL DEFAULT '[]',
  PRIMARY KEY (oms, project_id)
) WITHOUT ROWID;

CREATE TABLE project_outlook (
  oms          TEXT    NOT NULL CHECK (oms <> ''),
  project_id   TEXT    NOT NULL CHECK (project_id <> ''),
  outlook_json TEXT    NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (oms, project_id)
) WITHOUT ROWID;

-- Every stored step reading, with its project's oms and id.
CREATE VIEW step_samples AS
SELECT p.oms, p.project_id, r.observed_at,
       strftime('%Y-%m-%dT%H:%M:%fZ', r.observed_at / 1000.0, 'unixepoch') AS observed_utc,
       r.step, r.step_status, r.progress, r.processed, r.capacity,
       r.src_rps, r.dst_rps, r.src_rps_ref, r.dst_rps_ref,
       r.src_rt, r.dst_rt, r.src_rt_ref, r.dst_rt_ref,
       r.src_iops, r.dst_iops, r.src_iops_ref,
       r.eta_low_s, r.eta_high_s, r.eta_basis, r.rate
  FROM step_sample_rows AS r
  JOIN sample_projects AS p ON p.id = r.project;
)sql";

// Version 6: acknowledgements (`omswatch ack`, POST /api/v1/acks). An ack
// covers one occurrence of an open condition (fired_at: its first firing);
// the trigger ends it when that occurrence resolves, in the transaction that
// stores the resolution, and names the resolution event, so that what is
// sent about the resolution can say who had acknowledged it.
constexpr std::string_view kSchemaV6 = R"sql(
CREATE TABLE acks (
  id                INTEGER PRIMARY KEY,
  oms               TEXT    NOT NULL CHECK (oms <> ''),
  project_id        TEXT    NOT NULL CHECK (project_id <> ''),
  kind              TEXT    NOT NULL CHECK (kind <> ''),
  fired_at          INTEGER NOT NULL,
  acked_by          TEXT    NOT NULL CHECK (acked_by <> ''),
  reason            TEXT    NOT NULL DEFAULT '',
  created_at        INTEGER NOT NULL,
  resolved_at       INTEGER,
  resolved_event_id TEXT,
  removed_at        INTEGER,
  removed_by        TEXT
);
-- At most one ack in force per condition.
CREATE UNIQUE INDEX acks_in_force ON acks (oms, project_id, kind)
 WHERE resolved_at IS NULL AND removed_at IS NULL;
CREATE INDEX acks_resolved_event ON acks (resolved_event_id)
 WHERE resolved_event_id IS NOT NULL;

CREATE TRIGGER events_end_acks_on_resolution AFTER INSERT ON events
WHEN NEW.state = 'resolved' AND NEW.project_id IS NOT NULL
BEGIN
  UPDATE acks SET resolved_at = NEW.observed_at, resolved_event_id = NEW.id
   WHERE oms = NEW.oms AND project_id = NEW.project_id AND kind = NEW.kind
     AND resolved_at IS NULL AND removed_at IS NULL;
END;
)sql";

constexpr std::array kMigrations = {
    Migration{1, kSchemaV1},
    Migration{2, kSchemaV2},
    Migration{3, kSchemaV3},
    Migration{4, kSchemaV4},
    Migration{5, kSchemaV5},
    Migration{6, kSchemaV6},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

}  // namespace omswatch::storage
