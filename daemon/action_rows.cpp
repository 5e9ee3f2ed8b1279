#include "daemon/action_rows.h"

#include "common/time.h"
#include "daemon/deliver/acks.h"

namespace omswatch::daemon {

Table ack_table(const std::vector<storage::Ack>& list) {
  Table t{{"id", "oms", "project_id", "kind", "state", "acked_by", "reason", "acked_at", "fired_at",
           "ended_at", "removed_by"},
          {},
          {}};
  auto text_or_null = [](const std::string& s) { return s.empty() ? Cell{} : Cell::of(s); };
  auto time_or_null = [](std::optional<storage::TimeMs> at) {
    return at ? Cell::of(format_rfc3339(from_unix_ms(*at))) : Cell{};
  };
  for (const auto& a : list) {
    const auto ended = a.removed_at ? a.removed_at : a.resolved_at;
    t.rows.push_back({Cell::of(a.id), Cell::of(a.oms), Cell::of(a.project_id), Cell::of(a.kind),
                      Cell::of(std::string(deliver::to_string(deliver::ack_state(a)))),
                      Cell::of(a.acked_by), text_or_null(a.reason), time_or_null(a.created_at),
                      time_or_null(a.fired_at), time_or_null(ended), text_or_null(a.removed_by)});
  }
  return t;
}

Table silence_table(const std::vector<storage::Silence>& list) {
  Table t{
      {"id", "oms", "project_id", "kind", "starts_at", "ends_at", "comment", "created_by"}, {}, {}};
  auto text_or_null = [](const std::string& s) { return s.empty() ? Cell{} : Cell::of(s); };
  for (const auto& x : list) {
    t.rows.push_back({Cell::of(x.id), text_or_null(x.oms), text_or_null(x.project_id),
                      text_or_null(x.kind), Cell::of(format_rfc3339(from_unix_ms(x.starts_at))),
                      Cell::of(format_rfc3339(from_unix_ms(x.ends_at))), Cell::of(x.comment),
                      Cell::of(x.created_by)});
  }
  return t;
}

}  // namespace omswatch::daemon
