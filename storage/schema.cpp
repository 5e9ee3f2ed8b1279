#include "storage/schema.h"

#include <array>

namespace omswatch::storage {

namespace {

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

constexpr std::array kMigrations = {
    Migration{1, kSchemaV1},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

}  // namespace omswatch::storage
