#include "daemon/deliver/acks.h"

#include <algorithm>

#include "common/escape.h"
#include "common/time.h"

namespace omswatch::daemon::deliver {

std::optional<FieldError> check_operator_text(std::string_view field, std::string_view text,
                                              std::size_t max_bytes, bool required) {
  const std::string name(field);
  if (text.size() > max_bytes) {
    return FieldError{name, "is " + std::to_string(text.size()) + " bytes long; at most " +
                                std::to_string(max_bytes) + " are kept"};
  }
  if (needs_escaping(text)) {
    return FieldError{name,
                      "must be one line of UTF-8 text without control characters or "
                      "terminal escapes"};
  }
  const bool blank = std::all_of(text.begin(), text.end(), [](char c) { return c == ' '; });
  if (required && blank) return FieldError{name, "is required"};
  return std::nullopt;
}

AckState ack_state(const storage::Ack& ack) {
  if (ack.removed_at) return AckState::removed;
  if (ack.resolved_at) return AckState::resolved;
  return AckState::in_force;
}

std::string_view to_string(AckState state) {
  switch (state) {
    case AckState::in_force:
      return "in_force";
    case AckState::resolved:
      return "resolved";
    case AckState::removed:
      return "removed";
  }
  return "in_force";
}

namespace {
bool covers(const storage::Ack& ack, const std::string& oms, const std::string& project_id,
            const std::string& kind, storage::TimeMs observed_at) {
  return ack_state(ack) == AckState::in_force && ack.oms == oms && ack.project_id == project_id &&
         ack.kind == kind && observed_at >= ack.fired_at;
}
}  // namespace

bool ack_covers(const storage::Ack& ack, const notifiers::Event& e) {
  return covers(ack, e.oms, e.project_id, e.kind, to_unix_ms(e.observed_at));
}

bool ack_covers(const storage::Ack& ack, const storage::EventRecord& e) {
  return covers(ack, e.oms, e.project_id, e.kind, e.observed_at);
}

const storage::Ack* ack_holding_back(const std::vector<storage::Ack>& acks,
                                     const storage::PendingDelivery& row) {
  if (row.repeat < 1 || row.event.state != "firing") return nullptr;
  const auto it = std::find_if(acks.begin(), acks.end(),
                               [&](const storage::Ack& a) { return ack_covers(a, row.event); });
  return it == acks.end() ? nullptr : &*it;
}

std::vector<notifiers::Event> reminder_events(const OpenConditions& open,
                                              const std::vector<storage::Ack>& acks,
                                              std::size_t* left_out) {
  std::vector<notifiers::Event> events;
  std::size_t skipped = 0;
  for (const auto& entry : open) {
    // A named copy of the binding: clang 14 cannot capture a structured binding.
    const notifiers::Event& e = entry.second;
    const bool acked = std::any_of(acks.begin(), acks.end(),
                                   [&](const storage::Ack& a) { return ack_covers(a, e); });
    if (acked) {
      ++skipped;
    } else {
      events.push_back(e);
    }
  }
  if (left_out) *left_out = skipped;
  return events;
}

void note_ack(notifiers::Event& e, const storage::PendingDelivery& row) {
  if (e.state != "resolved" || row.acked_by.empty()) return;
  e.acked_by = row.acked_by;
  e.ack_reason = row.ack_reason;
}

}  // namespace omswatch::daemon::deliver
