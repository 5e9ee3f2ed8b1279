// Acks: stored by `omswatch ack` and POST /api/v1/acks, ended by the
// resolution of their condition (the trigger events_end_acks_on_resolution,
// storage/schema.cpp) or removed by hand; read by the dispatcher, which
// reminds no receiver of an acked condition. Rare calls: their statements are
// prepared per call rather than cached.

#include "storage/store.h"
#include "storage/store_impl.h"

namespace omswatch::storage {

namespace {

using detail::Statement;

// The open occurrences of (project_id, kind), in any OMS (?3 NULL) or one.
constexpr std::string_view kOpenOccurrences = R"sql(
SELECT oms, first_fired_at FROM open_conditions
 WHERE project_id = ?1 AND kind = ?2 AND (?3 IS NULL OR oms = ?3)
 ORDER BY oms)sql";

constexpr std::string_view kAckColumns = R"sql(
SELECT id, oms, project_id, kind, fired_at, acked_by, reason, created_at, resolved_at,
       resolved_event_id, removed_at, removed_by
  FROM acks)sql";

constexpr std::string_view kInForce = " WHERE resolved_at IS NULL AND removed_at IS NULL";

constexpr std::string_view kInsertAck = R"sql(
INSERT INTO acks (oms, project_id, kind, fired_at, acked_by, reason, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql";

constexpr std::string_view kRemoveAck = R"sql(
UPDATE acks SET removed_at = ?2, removed_by = ?3
 WHERE id = ?1 AND resolved_at IS NULL AND removed_at IS NULL)sql";

Ack read_ack(const Statement& st) {
  Ack a;
  a.id = st.column_int64(0);
  a.oms = st.column_string(1);
  a.project_id = st.column_string(2);
  a.kind = st.column_string(3);
  a.fired_at = st.column_int64(4);
  a.acked_by = st.column_string(5);
  a.reason = st.column_string(6);
  a.created_at = st.column_int64(7);
  a.resolved_at = st.column_optional_int64(8);
  a.resolved_event_id = st.column_string(9);
  a.removed_at = st.column_optional_int64(10);
  a.removed_by = st.column_string(11);
  return a;
}

}  // namespace

Expected<AckAdded> Store::add_ack(const AckRequest& r) {
  return detail::guarded([&]() -> Expected<AckAdded> {
    if (r.project_id.empty() || r.kind.empty() || r.acked_by.empty()) {
      return make_error("an ack needs a project, a kind and who acks it");
    }
    if (auto committed = impl_->commit_group(); !committed) {
      return make_error("cannot store the ack: " + committed.error());
    }
    // One write transaction: the condition cannot resolve between the check
    // that it is open and the insert.
    auto tx = detail::Transaction::begin(impl_->db);
    if (!tx) return make_error("cannot store the ack: " + tx.error());
    AckAdded added;
    std::vector<std::pair<std::string, TimeMs>> open;
    {
      Statement st(impl_->db, kOpenOccurrences);
      st.bind(1, r.project_id);
      st.bind(2, r.kind);
      detail::bind_text_or_null(st, 3, r.oms);
      while (st.step()) open.emplace_back(st.column_string(0), st.column_int64(1));
    }
    if (open.empty()) {
      added.outcome = AckAdded::Outcome::not_open;
      return added;
    }
    if (open.size() > 1) {
      added.outcome = AckAdded::Outcome::ambiguous;
      for (const auto& [oms, at] : open) added.oms.push_back(oms);
      return added;
    }
    const auto& [oms, fired_at] = open.front();
    {
      Statement st(impl_->db, std::string(kAckColumns) + std::string(kInForce) +
                                  " AND oms = ?1 AND project_id = ?2 AND kind = ?3");
      st.bind(1, oms);
      st.bind(2, r.project_id);
      st.bind(3, r.kind);
      if (st.step()) {
        added.outcome = AckAdded::Outcome::already_acked;
        added.ack = read_ack(st);
        return added;
      }
    }
    Ack& a = added.ack;
    a.oms = oms;
    a.project_id = r.project_id;
    a.kind = r.kind;
    a.fired_at = fired_at;
    a.acked_by = std::string(detail::bounded(r.acked_by));
    a.reason = std::string(detail::bounded(r.reason));
    a.created_at = r.now;
    Statement insert(impl_->db, kInsertAck);
    insert.bind(1, a.oms);
    insert.bind(2, a.project_id);
    insert.bind(3, a.kind);
    insert.bind(4, a.fired_at);
    insert.bind(5, a.acked_by);
    insert.bind(6, a.reason);
    insert.bind(7, a.created_at);
    if (auto done = insert.run(); !done) return make_error("cannot store the ack: " + done.error());
    Statement id(impl_->db, "SELECT last_insert_rowid()");
    id.step();
    a.id = id.column_int64(0);
    if (auto committed = tx->commit(); !committed) {
      return make_error("cannot store the ack: " + committed.error());
    }
    return added;
  });
}

Expected<std::vector<Ack>> Store::acks(bool all, int limit) {
  return detail::guarded([&]() -> std::vector<Ack> {
    Statement st(impl_->db, std::string(kAckColumns) + std::string(all ? "" : kInForce) +
                                " ORDER BY id DESC LIMIT ?1");
    st.bind(1, detail::sql_limit(limit));
    std::vector<Ack> out;
    while (st.step()) out.push_back(read_ack(st));
    return out;
  });
}

Expected<bool> Store::remove_ack(std::int64_t id, const std::string& removed_by, TimeMs now) {
  return detail::guarded([&]() -> Expected<bool> {
    if (auto committed = impl_->commit_group(); !committed) {
      return make_error("cannot remove the ack: " + committed.error());
    }
    Statement st(impl_->db, kRemoveAck);
    st.bind(1, id);
    st.bind(2, now);
    st.bind(3, detail::bounded(removed_by));
    if (auto done = st.run(); !done) return make_error("cannot remove the ack: " + done.error());
    Statement changed(impl_->db, "SELECT changes()");
    changed.step();
    return changed.column_int64(0) > 0;
  });
}

}  // namespace omswatch::storage
