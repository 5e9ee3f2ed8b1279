#pragma once
// What the dispatcher reads from and writes to the outbox, and nothing more:
// the dispatcher depends on this interface, the daemon backs it with its
// store (daemon/dispatcher_outbox.h), and tests with rows in memory.
//
// Every call returns an error when the database fails under it. The mark_*
// calls change only rows that are still pending, so a repeated mark is
// harmless.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "storage/store.h"

namespace omswatch::daemon::deliver {

class Outbox {
 public:
  virtual ~Outbox() = default;

  // Pending rows with next_attempt_at <= until, in (next_attempt_at, id)
  // order, at most `limit`.
  virtual Expected<std::vector<storage::PendingDelivery>> due(storage::TimeMs until, int limit) = 0;
  // The earliest next_attempt_at of a pending row.
  virtual Expected<std::optional<storage::TimeMs>> next_due_at() = 0;
  // The silences active at `now`.
  virtual Expected<std::vector<storage::Silence>> silences(storage::TimeMs now) = 0;
  // The acks in force (neither resolved nor removed).
  virtual Expected<std::vector<storage::Ack>> acks() = 0;
  // The latest firing event of every open condition delivered to `receiver`.
  virtual Expected<std::vector<storage::EventRecord>> open_conditions_delivered_to(
      const std::string& receiver) = 0;

  virtual Expected<void> mark_delivered(const std::vector<std::int64_t>& ids,
                                        storage::TimeMs now) = 0;
  virtual Expected<void> mark_retry(const std::vector<std::int64_t>& ids,
                                    storage::TimeMs next_attempt_at, const std::string& error) = 0;
  // `status` is "failed" or "silenced".
  virtual Expected<void> mark_final(const std::vector<std::int64_t>& ids, const std::string& status,
                                    const std::string& reason, storage::TimeMs now) = 0;
};

}  // namespace omswatch::daemon::deliver
