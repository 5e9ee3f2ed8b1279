#include "common/console_page.h"

#include "common/percent.h"

namespace omswatch {

std::string console_page_url(std::string_view public_url, std::string_view oms,
                             std::string_view project_id) {
  if (public_url.empty()) return {};
  std::string out(public_url);
  if (!out.ends_with('/')) out += '/';
  if (!project_id.empty()) out += "projects/" + percent_encode(project_id);
  if (!oms.empty()) out += "?oms=" + percent_encode(oms);
  if (out.size() > kMaxConsolePageBytes) return {};
  return out;
}

}  // namespace omswatch
