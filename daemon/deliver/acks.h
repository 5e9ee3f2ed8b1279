#pragma once
// What an acknowledgement decides, apart from storing it (storage/store.h,
// Ack): whether the text an operator gives is fit to store and send, whether
// an ack is still in force, which open conditions a reminder leaves out, and
// what a resolution says about the ack it ended. Pure: no clock, no database
// (tests/daemon/acks_test.cpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/deliver/plan.h"
#include "notifiers/event.h"
#include "storage/store.h"  // Ack and PendingDelivery as plain values only

namespace omswatch::daemon::deliver {

// Bounds of what an operator types (bytes of UTF-8).
inline constexpr std::size_t kMaxAckedByBytes = 64;
inline constexpr std::size_t kMaxAckReasonBytes = 500;

// A field of a request that cannot be taken, and why, for the person who sent it.
struct FieldError {
  std::string field;
  std::string message;
};

// Checks a text an operator gives (who acks, why, a silence's comment):
// valid UTF-8 without control characters, terminal escapes, line or
// bidirectional controls (it is shown in terminals, logs and chat messages),
// at most `max_bytes`, and not blank when `required`. The error names `field`.
std::optional<FieldError> check_operator_text(std::string_view field, std::string_view text,
                                              std::size_t max_bytes, bool required);

enum class AckState { in_force, resolved, removed };
// Resolved (the condition resolved) and removed are final.
AckState ack_state(const storage::Ack& ack);
std::string_view to_string(AckState state);

// Whether `ack` covers the firing event `e`: the ack is in force, names the
// same condition (oms, project, kind), and the event is of the occurrence acked
// (observed at or after its first firing; an event of an earlier occurrence
// still waiting to be resolved is not covered).
bool ack_covers(const storage::Ack& ack, const notifiers::Event& e);
bool ack_covers(const storage::Ack& ack, const storage::EventRecord& e);

// The ack that holds `row` back, if any: the row is a firing repeat
// (PendingDelivery::repeat >= 1) of an occurrence an ack covers; the first
// such ack in `acks`. A first firing, a resolution and a notice are never held.
const storage::Ack* ack_holding_back(const std::vector<storage::Ack>& acks,
                                     const storage::PendingDelivery& row);

// The reminder of the open conditions (plan.h) less those an ack covers:
// an acked condition is not re-sent; `left_out` (when given) counts them.
std::vector<notifiers::Event> reminder_events(const OpenConditions& open,
                                              const std::vector<storage::Ack>& acks,
                                              std::size_t* left_out = nullptr);

// Copies the ack a resolution ended (PendingDelivery::acked_by, ack_reason)
// to the event sent about it; other events are left as they are.
void note_ack(notifiers::Event& e, const storage::PendingDelivery& row);

}  // namespace omswatch::daemon::deliver
