#pragma once
// The outbox of the daemon's store (storage/store.h) behind the dispatcher's
// Outbox interface (daemon/deliver/outbox.h).

#include "daemon/deliver/outbox.h"

namespace omswatch::daemon {

class StoreOutbox : public deliver::Outbox {
 public:
  // `store` must outlive the outbox.
  explicit StoreOutbox(storage::Store& store) : store_(store) {}

  Expected<std::vector<storage::PendingDelivery>> due(storage::TimeMs until, int limit) override;
  Expected<std::optional<storage::TimeMs>> next_due_at() override;
  Expected<std::vector<storage::Silence>> silences(storage::TimeMs now) override;
  Expected<std::vector<storage::Ack>> acks() override;
  Expected<std::vector<storage::EventRecord>> open_conditions_delivered_to(
      const std::string& receiver) override;
  Expected<void> mark_delivered(const std::vector<std::int64_t>& ids, storage::TimeMs now) override;
  Expected<void> mark_retry(const std::vector<std::int64_t>& ids, storage::TimeMs next_attempt_at,
                            const std::string& error) override;
  Expected<void> mark_final(const std::vector<std::int64_t>& ids, const std::string& status,
                            const std::string& reason, storage::TimeMs now) override;

 private:
  storage::Store& store_;
};

}  // namespace omswatch::daemon
