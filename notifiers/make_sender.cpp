// The registry of receiver types: a new HTTP platform is one line in
// http_platforms() (and one entry in config/receiver_types.cpp).

#include <algorithm>

#include "common/redact.h"
#include "notifiers/platform.h"
#include "notifiers/sender.h"

namespace omswatch::notifiers {
namespace {

constexpr std::string_view kConsole = "console";

const std::vector<const Platform*>& http_platforms() {
  static const std::vector<const Platform*> all = {
      &webhook_platform(), &slack_platform(), &dingtalk_platform(),     &feishu_platform(),
      &wecom_platform(),   &teams_platform(), &alertmanager_platform(),
  };
  return all;
}

const Platform* platform_of(std::string_view type) {
  const auto& all = http_platforms();
  auto it =
      std::find_if(all.begin(), all.end(), [&](const Platform* p) { return p->type == type; });
  return it == all.end() ? nullptr : *it;
}

}  // namespace

std::vector<std::string_view> sender_types() {
  std::vector<std::string_view> out;
  for (const Platform* p : http_platforms()) out.push_back(p->type);
  out.push_back(kConsole);
  return out;
}

Expected<std::unique_ptr<Sender>> make_sender(const config::Receiver& receiver,
                                              const SenderContext& shared_context) {
  // Whatever the daemon masks, a sender masks the secrets it sends itself.
  SenderContext context = shared_context;
  for (const auto& secret : config::secrets_of(receiver)) context.redact.add(secret);
  if (receiver.type == kConsole) return make_console_sender(receiver, context);
  if (context.http == nullptr) {
    return make_error("receiver '" + receiver.name + "': no HTTP client to send with");
  }
  const Platform* platform = platform_of(receiver.type);
  if (platform == nullptr) {
    return make_error("receiver '" + receiver.name + "': type '" + receiver.type +
                      "' is not supported by this version of omswatch");
  }
  return make_http_sender(*platform, receiver, context);
}

}  // namespace omswatch::notifiers
