#include "oms/parse.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "oms/parse_fields.h"

namespace omswatch::oms {
namespace json = boost::json;
using namespace parse_detail;

namespace {
Expected<ProjectProgress> progress_from(const json::value& data, const json::object&) {
  if (!data.is_object()) return wrong_kind("data", data, "an object");
  const json::object& o = data.get_object();
  ProjectProgress p;
  p.project_id = text_of(first_field(o, {"projectId", "id"}));
  p.status = text_of(field(o, "status"));
  p.alarm_level = text_of(first_field(o, {"alarmLevel", "importance"}));
  p.current_step = text_of(field(o, "currentStep"));
  p.enable_incr_sync = bool_of(field(o, "enableIncrSync"));
  p.enable_struct_transfer = bool_of(field(o, "enableStructTransfer"));
  p.enable_full_transfer = bool_of(field(o, "enableFullTransfer"));
  p.enable_reverse_incr_transfer = bool_of(field(o, "enableReverseIncrTransfer"));
  p.struct_transfer_progress = progress_of(field(o, "structTransferProgress"));
  p.full_transfer_progress = progress_of(field(o, "fullTransferProgress"));
  p.incr_sync_checkpoint = checkpoint_of(field(o, "incrSyncCheckpoint"));
  p.reverse_incr_transfer_checkpoint = checkpoint_of(field(o, "reverseIncrTransferCheckpoint"));
  return p;
}

std::vector<std::string> label_names(const json::value* v) {
  std::vector<std::string> names;
  if (!v || !v->is_array()) return names;
  for (const json::value& label : v->get_array()) {
    std::string name;
    if (label.is_object()) {
      name = text_of(field(label.get_object(), "name"));
      if (name.empty()) name = text_of(field(label.get_object(), "id"));
    } else {
      name = text_of(&label);
    }
    if (!name.empty()) names.push_back(std::move(name));
  }
  return names;
}

Expected<ProjectList> project_list_from(const json::value& data, const json::object& envelope) {
  const json::object* wrapper = nullptr;
  const json::array* items =
      list_in(data, {"items", "list", "projects", "data", "content"}, &wrapper);
  if (!items) {
    return data.is_object() ? make_error("data is an object without a list of projects")
                            : wrong_kind("data", data, "an array of projects");
  }
  ProjectList list;
  for (const json::value& item : *items) {
    if (!item.is_object()) continue;  // nothing to watch in it
    const json::object& o = item.get_object();
    ProjectSummary s;
    s.id = text_of(first_field(o, {"id", "projectId"}));
    s.name = text_of(field(o, "name"));
    s.type = text_of(field(o, "type"));
    s.status = text_of(field(o, "status"));
    s.importance = text_of(first_field(o, {"importance", "alarmLevel"}));
    s.labels = label_names(field(o, "labels"));
    list.items.push_back(std::move(s));
  }
  std::optional<std::int64_t> total;
  if (wrapper) total = int64_of(field(*wrapper, "totalCount"));
  if (!total) total = int64_of(field(envelope, "totalCount"));
  list.total_count = std::max<std::int64_t>(total.value_or(0), 0);
  if (!total) list.total_count = static_cast<std::int64_t>(list.items.size());
  return list;
}

Expected<ProjectInfo> project_info_from(const json::value& data, const json::object&) {
  if (!data.is_object()) return wrong_kind("data", data, "an object");
  const json::object& o = data.get_object();
  ProjectInfo info;
  info.id = text_of(first_field(o, {"id", "projectId"}));
  info.name = text_of(field(o, "name"));
  info.type = text_of(field(o, "type"));
  info.importance = text_of(first_field(o, {"importance", "alarmLevel"}));
  info.status = text_of(field(o, "status"));
  return info;
}

}  // namespace

Expected<Reply<ProjectProgress>> parse_progress_reply(std::string_view body) {
  return parse_reply<ProjectProgress>(body, progress_from);
}

Expected<Reply<ProjectList>> parse_list_projects_reply(std::string_view body) {
  return parse_reply<ProjectList>(body, project_list_from);
}

Expected<Reply<ProjectInfo>> parse_project_reply(std::string_view body) {
  return parse_reply<ProjectInfo>(body, project_info_from);
}

}  // namespace omswatch::oms
