// Silences: stored by `omswatch silence add`, read by the dispatcher, which
// closes the deliveries of matching events as silenced. Rare calls: their
// statements are prepared per call rather than cached.

#include "storage/store.h"
#include "storage/store_impl.h"

namespace omswatch::storage {

namespace {

using detail::Statement;

constexpr std::string_view kInsertSilence = R"sql(
INSERT INTO silences (oms, project_id, kind, comment, created_by, created_at, starts_at, ends_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql";

// Newest first; ?1 NULL: every silence, expired ones included.
constexpr std::string_view kSilences = R"sql(
SELECT id, oms, project_id, kind, comment, created_by, created_at, starts_at, ends_at
  FROM silences
 WHERE ?1 IS NULL OR (starts_at <= ?1 AND ends_at > ?1)
 ORDER BY id DESC)sql";

// Ends an active silence at ?2 (never before it starts).
constexpr std::string_view kExpireSilence =
    "UPDATE silences SET ends_at = max(starts_at + 1, ?2) WHERE id = ?1 AND ends_at > ?2";

}  // namespace

Expected<std::int64_t> Store::add_silence(const Silence& x) {
  return detail::guarded([&]() -> Expected<std::int64_t> {
    if (x.oms.empty() && x.project_id.empty() && x.kind.empty()) {
      return make_error("a silence needs an OMS, a project or a kind to match");
    }
    if (x.ends_at <= x.starts_at) return make_error("a silence must end after it starts");
    if (auto committed = impl_->commit_group(); !committed) {
      return make_error("cannot store the silence: " + committed.error());
    }
    Statement st(impl_->db, kInsertSilence);
    detail::bind_text_or_null(st, 1, x.oms);
    detail::bind_text_or_null(st, 2, x.project_id);
    detail::bind_text_or_null(st, 3, x.kind);
    st.bind(4, detail::bounded(x.comment));
    st.bind(5, detail::bounded(x.created_by));
    st.bind(6, x.created_at);
    st.bind(7, x.starts_at);
    st.bind(8, x.ends_at);
    if (auto done = st.run(); !done) return make_error("cannot store the silence: " + done.error());
    Statement id(impl_->db, "SELECT last_insert_rowid()");
    id.step();
    return id.column_int64(0);
  });
}

Expected<std::vector<Silence>> Store::silences(std::optional<TimeMs> active_at) {
  return detail::guarded([&]() -> std::vector<Silence> {
    Statement st(impl_->db, kSilences);
    if (active_at) {
      st.bind(1, *active_at);
    } else {
      st.bind(1, std::optional<std::int64_t>());
    }
    std::vector<Silence> out;
    while (st.step()) {
      Silence x;
      x.id = st.column_int64(0);
      x.oms = st.column_string(1);
      x.project_id = st.column_string(2);
      x.kind = st.column_string(3);
      x.comment = st.column_string(4);
      x.created_by = st.column_string(5);
      x.created_at = st.column_int64(6);
      x.starts_at = st.column_int64(7);
      x.ends_at = st.column_int64(8);
      out.push_back(std::move(x));
    }
    return out;
  });
}

Expected<bool> Store::expire_silence(std::int64_t id, TimeMs now) {
  return detail::guarded([&]() -> Expected<bool> {
    if (auto committed = impl_->commit_group(); !committed) {
      return make_error("cannot expire the silence: " + committed.error());
    }
    Statement st(impl_->db, kExpireSilence);
    st.bind(1, id);
    st.bind(2, now);
    if (auto done = st.run(); !done)
      return make_error("cannot expire the silence: " + done.error());
    Statement changed(impl_->db, "SELECT changes()");
    changed.step();
    return changed.column_int64(0) > 0;
  });
}

}  // namespace omswatch::storage
