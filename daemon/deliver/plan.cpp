#include "daemon/deliver/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "daemon/deliver/acks.h"

namespace omswatch::daemon::deliver {

ReceiverPlan plan_receiver(const std::string& receiver,
                           const std::vector<storage::PendingDelivery>& rows, const Held& held,
                           const std::vector<storage::Silence>& silences, const RetryPolicy& policy,
                           TimeMs now, const std::vector<storage::Ack>& acks) {
  ReceiverPlan plan;
  std::vector<std::size_t> batch;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (row.receiver != receiver || held.count(row.id)) continue;
    plan.due = plan.due || row.next_attempt_at <= now;
    batch.push_back(i);
    if (static_cast<int>(batch.size()) >= policy.max_events_per_message) break;
  }
  if (!plan.due) return plan;

  std::map<std::int64_t, std::size_t> by_silence;  // silence id -> index in plan.writes
  std::map<std::int64_t, std::size_t> by_ack;      // ack id -> index in plan.writes
  Write expired{Mark::failed, {}, now, "gave up: older than max_age"};
  Message message;
  for (auto i : batch) {
    const auto& row = rows[i];
    const auto silence =
        std::find_if(silences.begin(), silences.end(),
                     [&](const storage::Silence& s) { return s.matches(row.event); });
    if (silence != silences.end()) {
      auto [at, added] = by_silence.try_emplace(silence->id, plan.writes.size());
      if (added) {
        std::string reason = "silence " + std::to_string(silence->id);
        if (!silence->comment.empty()) reason += ": " + silence->comment;
        plan.writes.push_back(Write{Mark::silenced, {}, now, std::move(reason)});
      }
      plan.writes[at->second].ids.push_back(row.id);
    } else if (const auto* ack = ack_holding_back(acks, row)) {
      auto [at, added] = by_ack.try_emplace(ack->id, plan.writes.size());
      if (added) {
        plan.writes.push_back(Write{Mark::silenced, {}, now, "acknowledged by " + ack->acked_by});
      }
      plan.writes[at->second].ids.push_back(row.id);
    } else if (now - row.created_at > policy.max_age.count()) {
      expired.ids.push_back(row.id);
    } else {
      message.rows.push_back(i);
      message.ids.push_back(row.id);
      message.attempts = std::max(message.attempts, row.attempts);
    }
  }
  plan.expired = expired.ids.size();
  if (!expired.ids.empty()) plan.writes.push_back(std::move(expired));
  if (!message.ids.empty()) plan.message = std::move(message);
  return plan;
}

std::map<std::string, Write> plan_orphans(const std::vector<storage::PendingDelivery>& rows,
                                          const std::set<std::string>& receivers, TimeMs now) {
  std::map<std::string, Write> orphans;
  for (const auto& row : rows) {
    if (row.next_attempt_at > now || receivers.count(row.receiver)) continue;
    auto [at, added] = orphans.try_emplace(row.receiver);
    if (added) at->second = Write{Mark::failed, {}, now, "receiver is no longer configured"};
    at->second.ids.push_back(row.id);
  }
  return orphans;
}

SweepWake plan_sweep(std::optional<TimeMs> next_due, TimeMs now) {
  SweepWake wake;
  if (next_due && *next_due <= now) {
    wake.wake_receivers = true;
    next_due = now + 1000;
  }
  const auto wait =
      next_due ? std::chrono::milliseconds(*next_due - now) : std::chrono::milliseconds(60'000);
  wake.wait = std::clamp(wait, std::chrono::milliseconds(10), std::chrono::milliseconds(60'000));
  return wake;
}

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempts,
                                      std::optional<std::chrono::seconds> retry_after,
                                      double jitter) {
  double nominal =
      static_cast<double>(policy.first_delay.count()) * std::pow(2.0, std::clamp(attempts, 0, 20));
  nominal = std::min(nominal, static_cast<double>(policy.max_delay.count()));
  const double factor = 0.5 + std::clamp(jitter, 0.0, 1.0) / 2;
  std::chrono::milliseconds delay(static_cast<std::int64_t>(nominal * factor));
  if (retry_after) delay = std::max<std::chrono::milliseconds>(delay, *retry_after);
  return delay;
}

OutcomePlan plan_outcome(const Message& message, const SendResult& result,
                         const RetryPolicy& policy, TimeMs done, double jitter) {
  OutcomePlan plan;
  switch (result.kind) {
    case SendResult::Kind::delivered:
      plan.write = Write{Mark::delivered, message.ids, done, ""};
      plan.more = true;
      break;
    case SendResult::Kind::refused:
      plan.write = Write{Mark::failed, message.ids, done, result.detail};
      plan.more = true;
      break;
    case SendResult::Kind::retry: {
      const auto delay = retry_delay(policy, message.attempts, result.retry_after, jitter);
      plan.write = Write{Mark::retry, message.ids, done + delay.count(), result.detail};
      plan.pause = delay;
      break;
    }
    case SendResult::Kind::deferred:
      plan.pause = result.retry_after.value_or(std::chrono::seconds(1));
      break;
    case SendResult::Kind::sender_removed:
      break;
  }
  return plan;
}

std::vector<Write> held_writes(const Held& held, TimeMs now) {
  std::map<std::pair<Mark, std::string>, std::vector<std::int64_t>> groups;
  for (const auto& [id, outcome] : held) groups[{outcome.mark, outcome.reason}].push_back(id);
  std::vector<Write> writes;
  for (auto& [key, ids] : groups)
    writes.push_back(Write{key.first, std::move(ids), now, key.second});
  return writes;
}

void hold(Held& held, const Write& write) {
  if (write.mark == Mark::retry) return;
  for (auto id : write.ids) held[id] = HeldOutcome{write.mark, write.reason};
}

namespace {
std::string condition_key(const notifiers::Event& e) {
  return e.oms + "\n" + e.project_id + "\n" + e.kind;
}
}  // namespace

void track_delivered(OpenConditions& open, const std::vector<notifiers::Event>& delivered) {
  for (const auto& e : delivered) {
    if (e.state == "firing") open[condition_key(e)] = e;
    if (e.state == "resolved") open.erase(condition_key(e));
  }
}

std::vector<notifiers::Event> reminder_events(const OpenConditions& open) {
  std::vector<notifiers::Event> events;
  for (const auto& [key, e] : open) events.push_back(e);
  return events;
}

std::string reminder_id(const std::string& receiver, std::uint64_t round) {
  return "resend_" + receiver + "_" + std::to_string(round);
}

std::string delivery_id(const std::string& receiver, const std::vector<std::int64_t>& row_ids) {
  // FNV-1a: stable across processes and versions, unlike std::hash.
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(receiver);
  for (auto id : row_ids) {
    mix("/");
    mix(std::to_string(id));
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string("msg_") + buf + "_" + std::to_string(row_ids.empty() ? 0 : row_ids.front());
}

}  // namespace omswatch::daemon::deliver
