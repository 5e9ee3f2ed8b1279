#pragma once
// The delivery plan: every decision of the dispatcher, apart from its I/O.
// Given a receiver's outbox rows, the active silences, the acks in force, the
// retry policy and the time, it says which rows go out now as one message (in
// order, at most max_events_per_message), which a silence or an ack holds
// back, which are too old to send (max_age) and which belong to no configured
// receiver; given a receiver's answer, it says what to write to the outbox
// and when the rows are tried again. Pure: no clock, no database, no network.
// Time comes in as Unix milliseconds and the retry jitter as a number, so
// every rule is tested without waiting (tests/daemon/delivery_plan_test.cpp).
// The dispatcher (daemon/dispatcher.cpp) carries the plans out.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/defaults.h"
#include "notifiers/event.h"
#include "storage/store.h"  // the outbox's row types only; the plan never opens a store

namespace omswatch::daemon {

struct RetryPolicy {
  std::chrono::milliseconds first_delay{defaults::kFirstRetry};
  std::chrono::milliseconds max_delay{defaults::kMaxRetry};
  std::chrono::milliseconds max_age{defaults::kMaxDeliveryAge};
  int max_events_per_message = 50;
};

namespace deliver {

using storage::TimeMs;

// What is written to an outbox row (or a group of them).
enum class Mark {
  delivered,
  retry,     // tried again at `at`
  failed,    // given up: refused for good, too old, or its receiver is gone
  silenced,  // held back by a silence, never sent
};

struct Write {
  Mark mark = Mark::delivered;
  std::vector<std::int64_t> ids;
  TimeMs at = 0;       // delivered and final marks: when; retry: the next attempt
  std::string reason;  // retry: the receiver's answer; failed and silenced: why
};

// The final outcome of a row that is known but not yet written (the database
// refused the write). Such a row is kept in memory, never sent again, and
// written before anything else once writes succeed.
struct HeldOutcome {
  Mark mark = Mark::delivered;
  std::string reason;
};
using Held = std::map<std::int64_t, HeldOutcome>;

// One message: the rows (indices into the rows given to plan_receiver, in
// their order) and their outbox ids.
struct Message {
  std::vector<std::size_t> rows;
  std::vector<std::int64_t> ids;
  int attempts = 0;  // the most attempts any of its rows has had
};

struct ReceiverPlan {
  bool due = false;           // a row of the receiver is due: false leaves it idle
  std::vector<Write> writes;  // silenced rows (one write per silence or ack), then expired ones
  std::size_t expired = 0;    // rows of the writes given up as older than max_age
  std::optional<Message> message;
};

// `rows` are the outbox's pending rows due by now + group_window_ms, in due
// order (Outbox::due). The receiver's rows among them, less those in `held`,
// make the batch, at most max_events_per_message. When one of the batch is
// due by `now`: rows a silence matches are silenced ("silence N: comment",
// the first matching silence); firing repeats of a condition an ack in
// `acks` covers are silenced too ("acknowledged by NAME", acks.h:
// ack_holding_back); rows older than max_age fail ("gave up: older than
// max_age"); the rest are the message. A silence beats an ack, and both beat
// max_age. A first firing, a resolution and a notice are never held by an ack.
ReceiverPlan plan_receiver(const std::string& receiver,
                           const std::vector<storage::PendingDelivery>& rows, const Held& held,
                           const std::vector<storage::Silence>& silences, const RetryPolicy& policy,
                           TimeMs now, const std::vector<storage::Ack>& acks = {});

// Rows due by `now` whose receiver is not among `receivers`: failed ("receiver
// is no longer configured"), one write per receiver, by receiver.
std::map<std::string, Write> plan_orphans(const std::vector<storage::PendingDelivery>& rows,
                                          const std::set<std::string>& receivers, TimeMs now);

// When the outbox sweep looks again, given the outbox's earliest due time:
// when something is due now the receivers are woken and the sweep looks again
// in a second; otherwise at the due time, within [10 ms, 60 s].
struct SweepWake {
  bool wake_receivers = false;
  std::chrono::milliseconds wait{60'000};
};
SweepWake plan_sweep(std::optional<TimeMs> next_due, TimeMs now);

// The delay before attempt `attempts` + 1: first_delay doubled per attempt
// made, at most max_delay, times a jitter factor in [0.5, 1] (0.5 + jitter / 2,
// `jitter` in [0, 1]), so retries of many rows spread out but never come
// sooner than half the nominal delay. A Retry-After is honoured: the delay is
// never shorter.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempts,
                                      std::optional<std::chrono::seconds> retry_after,
                                      double jitter);

// A receiver's answer to a message.
struct SendResult {
  enum class Kind {
    delivered,
    retry,           // a passing failure
    refused,         // refused for good: no retry helps
    deferred,        // not sent: the platform's rate limit asks for a pause first
    sender_removed,  // a reload replaced or removed the sender during the send
  };
  Kind kind = Kind::delivered;
  std::string detail;
  std::optional<std::chrono::seconds> retry_after;
};

struct OutcomePlan {
  std::optional<Write> write;  // none for deferred and sender_removed: the rows stay due
  // How long the receiver waits before its next message: Retry-After (1 s
  // when not given) for deferred, the retry delay for retry (the receiver
  // waits it out in memory when the retry cannot be written).
  std::optional<std::chrono::milliseconds> pause;
  bool more = false;  // the receiver may send its next message at once
};
// `done` is when the answer came; `jitter` as for retry_delay.
OutcomePlan plan_outcome(const Message& message, const SendResult& result,
                         const RetryPolicy& policy, TimeMs done, double jitter);

// The held outcomes as writes at `now`: one per mark and reason, in id order.
std::vector<Write> held_writes(const Held& held, TimeMs now);
// Keeps the final outcome of the write's rows in memory (retries are not kept).
void hold(Held& held, const Write& write);

// --- reminders (receivers with resend_firing_every, such as Alertmanager)

// The conditions still open that were delivered to a receiver, by
// oms/project/kind: the latest firing event of each.
using OpenConditions = std::map<std::string, notifiers::Event>;
// A delivered firing event opens (or refreshes) its condition; a delivered
// resolution closes it; notices change nothing.
void track_delivered(OpenConditions& open, const std::vector<notifiers::Event>& delivered);
// The message that reminds the receiver of every open condition (empty when
// none is open), and its delivery id: "resend_<receiver>_<round>".
std::vector<notifiers::Event> reminder_events(const OpenConditions& open);
std::string reminder_id(const std::string& receiver, std::uint64_t round);

// The delivery id (webhook-id) of a message: the same for the same receiver
// and rows, so a retry carries the id of the first attempt.
std::string delivery_id(const std::string& receiver, const std::vector<std::int64_t>& row_ids);

}  // namespace deliver
}  // namespace omswatch::daemon
