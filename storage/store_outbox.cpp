// The delivery outbox: which deliveries are due, and how each attempt ends.

#include "storage/store.h"
#include "storage/store_impl.h"

namespace omswatch::storage {

namespace detail {

namespace {

// The event's columns come in EventRecord order, as read_event() reads them.
constexpr std::string_view kDueDeliveries = R"sql(
SELECT o.id, o.receiver, o.attempts, o.created_at, o.next_attempt_at,
       e.id, e.oms, e.project_id, e.kind, e.state, e.severity, e.alarm_level, e.summary,
       e.details_json, e.progress_json, e.observed_at, e.project_name,
       a.acked_by, a.reason,
       CASE WHEN json_valid(e.details_json)
            THEN coalesce(json_extract(e.details_json, '$.repeat'), 0) ELSE 0 END
  FROM outbox AS o JOIN events AS e ON e.id = o.event_id
  LEFT JOIN acks AS a ON a.resolved_event_id = e.id AND a.removed_at IS NULL
 WHERE o.status = 'pending' AND o.next_attempt_at <= ?1
 ORDER BY o.next_attempt_at, o.id
 LIMIT ?2)sql";

constexpr std::string_view kNextDueAt =
    "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'";
// Counted in the partial index, which holds pending rows only; the planner
// would otherwise scan the whole outbox, which grows with every delivery.
constexpr std::string_view kPendingCount =
    "SELECT count(*) FROM outbox INDEXED BY outbox_due WHERE status = 'pending'";

// Only pending rows change: marking a row twice, or a row already given up,
// leaves it as it is.
constexpr std::string_view kMarkDelivered = R"sql(
UPDATE outbox SET status = 'delivered', delivered_at = ?2, finished_at = ?2,
                  attempts = attempts + 1
 WHERE id = ?1 AND status = 'pending')sql";

constexpr std::string_view kMarkRetry = R"sql(
UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
 WHERE id = ?1 AND status = 'pending')sql";

constexpr std::string_view kMarkFinal = R"sql(
UPDATE outbox SET status = ?2, last_error = ?3, finished_at = ?4
 WHERE id = ?1 AND status = 'pending')sql";

}  // namespace

// The latest firing event of each open condition routed to receiver ?1.
constexpr std::string_view kOpenConditionsDeliveredTo = R"sql(
SELECT e.id, e.oms, e.project_id, e.kind, e.state, e.severity, e.alarm_level, e.summary,
       e.details_json, e.progress_json, e.observed_at, e.project_name
  FROM open_conditions AS c JOIN events AS e ON e.id = c.event_id
 WHERE EXISTS (SELECT 1 FROM outbox AS o WHERE o.event_id = e.id AND o.receiver = ?1)
 ORDER BY e.observed_at)sql";

// Every open condition: its latest firing event and its first firing since it last resolved.
constexpr std::string_view kOpenConditions = R"sql(
SELECT e.id, e.oms, e.project_id, e.kind, e.state, e.severity, e.alarm_level, e.summary,
       e.details_json, e.progress_json, e.observed_at, e.project_name, c.first_fired_at
  FROM open_conditions AS c JOIN events AS e ON e.id = c.event_id
 ORDER BY e.oms, coalesce(e.project_id, ''), e.kind)sql";

OutboxStatements::OutboxStatements(Database& db)
    : due_deliveries(db, kDueDeliveries),
      next_due_at(db, kNextDueAt),
      pending_count(db, kPendingCount),
      mark_delivered(db, kMarkDelivered),
      mark_retry(db, kMarkRetry),
      mark_final(db, kMarkFinal) {}

}  // namespace detail

using detail::ResetOnExit;
using detail::Statement;
using detail::Transaction;

template <class Bind>
Expected<void> Store::Impl::update_each(Statement& st, const std::vector<std::int64_t>& ids,
                                        const std::string& what, Bind bind) {
  if (ids.empty()) return {};
  try {
    if (auto committed = commit_group(); !committed) {
      return make_error("cannot " + what + ": " + committed.error());
    }
    auto tx = Transaction::begin(db);
    if (!tx) return make_error("cannot " + what + ": " + tx.error());
    for (std::int64_t id : ids) {
      st.bind(1, id);
      bind(st);
      auto done = st.run();
      if (!done) return make_error("cannot " + what + ": " + done.error());
    }
    auto committed = tx->commit();
    if (!committed) return make_error("cannot " + what + ": " + committed.error());
    return {};
  } catch (const StorageError& e) {
    return make_error("cannot " + what + ": " + e.what());
  }
}

Expected<std::vector<PendingDelivery>> Store::due_deliveries(TimeMs now, int limit) {
  return detail::guarded([&]() -> std::vector<PendingDelivery> {
    if (limit <= 0) return {};
    Statement& st = impl_->outbox.due_deliveries;
    ResetOnExit done(st);
    st.bind(1, now);
    st.bind(2, limit);
    std::vector<PendingDelivery> out;
    while (st.step()) {
      PendingDelivery d;
      d.id = st.column_int64(0);
      d.receiver = st.column_string(1);
      d.attempts = st.column_int(2);
      d.created_at = st.column_int64(3);
      d.next_attempt_at = st.column_int64(4);
      d.event = detail::read_event(st, 5);
      d.acked_by = st.column_string(17);
      d.ack_reason = st.column_string(18);
      d.repeat = st.column_int(19);
      out.push_back(std::move(d));
    }
    return out;
  });
}

Expected<std::optional<TimeMs>> Store::next_due_at() {
  return detail::guarded([&]() -> std::optional<TimeMs> {
    Statement& st = impl_->outbox.next_due_at;
    ResetOnExit done(st);
    if (!st.step()) return std::nullopt;
    return st.column_optional_int64(0);
  });
}

Expected<std::int64_t> Store::pending_count() {
  return detail::guarded([&]() -> std::int64_t {
    Statement& st = impl_->outbox.pending_count;
    ResetOnExit done(st);
    return st.step() ? st.column_int64(0) : 0;
  });
}

Expected<void> Store::mark_delivered(const std::vector<std::int64_t>& ids, TimeMs now) {
  return impl_->update_each(impl_->outbox.mark_delivered, ids, "mark deliveries as delivered",
                            [&](Statement& st) { st.bind(2, now); });
}

Expected<void> Store::mark_retry(const std::vector<std::int64_t>& ids, TimeMs next_attempt_at,
                                 const std::string& error) {
  return impl_->update_each(impl_->outbox.mark_retry, ids, "schedule a retry of deliveries",
                            [&](Statement& st) {
                              st.bind(2, next_attempt_at);
                              detail::bind_error_text(st, 3, error);
                            });
}

Expected<void> Store::mark_final(const std::vector<std::int64_t>& ids, const std::string& status,
                                 const std::string& reason, TimeMs now) {
  if (status != "failed" && status != "silenced") {
    return make_error("cannot close deliveries with status '" + status +
                      "': it must be failed or silenced");
  }
  return impl_->update_each(impl_->outbox.mark_final, ids, "mark deliveries as " + status,
                            [&](Statement& st) {
                              st.bind(2, status);
                              detail::bind_error_text(st, 3, reason);
                              st.bind(4, now);
                            });
}

Expected<std::vector<EventRecord>> Store::open_conditions_delivered_to(
    const std::string& receiver) {
  return detail::guarded([&]() -> std::vector<EventRecord> {
    // Rare (a daemon start): prepared per call rather than cached.
    Statement st(impl_->db, detail::kOpenConditionsDeliveredTo);
    st.bind(1, receiver);
    std::vector<EventRecord> out;
    while (st.step()) out.push_back(detail::read_event(st, 0));
    return out;
  });
}

Expected<std::vector<OpenCondition>> Store::open_conditions() {
  return detail::guarded([&]() -> std::vector<OpenCondition> {
    impl_->commit_group_or_throw();
    // A handful of rows, read every few seconds at most by a console: prepared per call.
    Statement st(impl_->db, detail::kOpenConditions);
    std::vector<OpenCondition> out;
    while (st.step()) {
      OpenCondition& c = out.emplace_back();
      c.event = detail::read_event(st, 0);
      c.since = st.column_optional_int64(12).value_or(c.event.observed_at);
    }
    return out;
  });
}

}  // namespace omswatch::storage
