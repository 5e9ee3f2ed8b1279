#pragma once
// The rows of acks and silences, as `omswatch ack list` and `omswatch silence
// list` show them and GET /api/v1/acks and /api/v1/silences return them.

#include <vector>

#include "daemon/table.h"
#include "storage/store.h"

namespace omswatch::daemon {

// id, oms, project_id, kind, state (in_force, resolved, removed), acked_by,
// reason, acked_at, fired_at (the occurrence's first firing), ended_at
// (resolved or removed), removed_by.
Table ack_table(const std::vector<storage::Ack>& list);
// id, oms, project_id, kind, starts_at, ends_at, comment, created_by.
Table silence_table(const std::vector<storage::Silence>& list);

}  // namespace omswatch::daemon
