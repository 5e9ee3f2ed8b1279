#include "daemon/dispatcher_outbox.h"

namespace omswatch::daemon {

Expected<std::vector<storage::PendingDelivery>> StoreOutbox::due(storage::TimeMs until, int limit) {
  return store_.due_deliveries(until, limit);
}
Expected<std::optional<storage::TimeMs>> StoreOutbox::next_due_at() { return store_.next_due_at(); }
Expected<std::vector<storage::Silence>> StoreOutbox::silences(storage::TimeMs now) {
  return store_.silences(now);
}
Expected<std::vector<storage::Ack>> StoreOutbox::acks() { return store_.acks(false); }
Expected<std::vector<storage::EventRecord>> StoreOutbox::open_conditions_delivered_to(
    const std::string& receiver) {
  return store_.open_conditions_delivered_to(receiver);
}
Expected<void> StoreOutbox::mark_delivered(const std::vector<std::int64_t>& ids,
                                           storage::TimeMs now) {
  return store_.mark_delivered(ids, now);
}
Expected<void> StoreOutbox::mark_retry(const std::vector<std::int64_t>& ids,
                                       storage::TimeMs next_attempt_at, const std::string& error) {
  return store_.mark_retry(ids, next_attempt_at, error);
}
Expected<void> StoreOutbox::mark_final(const std::vector<std::int64_t>& ids,
                                       const std::string& status, const std::string& reason,
                                       storage::TimeMs now) {
  return store_.mark_final(ids, status, reason, now);
}

}  // namespace omswatch::daemon
