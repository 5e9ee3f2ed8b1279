#include "config/receiver_types.h"

#include <algorithm>
#include <array>

namespace omswatch::config {
namespace {

// name, needs_url, uses_secret, token_in_url
constexpr std::array<ReceiverType, 8> kTypes = {{
    {"webhook", true, true, false},
    {"slack", true, false, true},
    {"dingtalk", true, true, true},
    {"feishu", true, true, true},
    {"wecom", true, false, true},
    {"teams", true, false, true},
    {"alertmanager", true, true, false},
    {"console", false, false, false},
}};

}  // namespace

std::span<const ReceiverType> receiver_types() { return kTypes; }

const ReceiverType* find_receiver_type(std::string_view name) {
  auto it = std::find_if(kTypes.begin(), kTypes.end(),
                         [&](const ReceiverType& t) { return t.name == name; });
  return it == kTypes.end() ? nullptr : &*it;
}

std::vector<std::string_view> receiver_type_names(bool ReceiverType::*having) {
  std::vector<std::string_view> out;
  for (const auto& t : kTypes) {
    if (having == nullptr || t.*having) out.push_back(t.name);
  }
  return out;
}

}  // namespace omswatch::config
