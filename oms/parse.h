#pragma once
// Tolerant parsers for OMS replies: keys match case-insensitively, null and
// absent fields leave the value empty, numbers sent as strings are accepted,
// unknown fields are ignored. A reply that is not JSON, or whose envelope is
// not an object, is an error whose message says what and where.

#include <string_view>

#include "common/expected.h"
#include "oms/model.h"

namespace omswatch::oms {

Expected<Reply<ProjectProgress>> parse_progress_reply(std::string_view body);
Expected<Reply<ProjectList>> parse_list_projects_reply(std::string_view body);
Expected<Reply<std::vector<ProjectStep>>> parse_project_steps_reply(std::string_view body);
Expected<Reply<ProjectInfo>> parse_project_reply(std::string_view body);

}  // namespace omswatch::oms
