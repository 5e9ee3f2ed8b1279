#include "common/redact.h"
#include "notifiers/sender.h"

namespace omswatch::notifiers {

std::unique_ptr<Sender> make_webhook_sender(const config::Receiver&, const SenderContext&);
std::unique_ptr<Sender> make_console_sender(const config::Receiver&, const SenderContext&);
std::unique_ptr<Sender> make_slack_sender(const config::Receiver&, const SenderContext&);
std::unique_ptr<Sender> make_dingtalk_sender(const config::Receiver&, const SenderContext&);
std::unique_ptr<Sender> make_feishu_sender(const config::Receiver&, const SenderContext&);
std::unique_ptr<Sender> make_wecom_sender(const config::Receiver&, const SenderContext&);
std::unique_ptr<Sender> make_teams_sender(const config::Receiver&, const SenderContext&);
std::unique_ptr<Sender> make_alertmanager_sender(const config::Receiver&, const SenderContext&);

Expected<std::unique_ptr<Sender>> make_sender(const config::Receiver& receiver,
                                              const SenderContext& shared_context) {
  // Whatever the daemon masks, a sender masks the secrets it sends itself.
  SenderContext context = shared_context;
  for (const auto& secret : config::secrets_of(receiver)) context.redact.add(secret);
  if (receiver.type == "console") return make_console_sender(receiver, context);
  if (context.http == nullptr) {
    return make_error("receiver '" + receiver.name + "': no HTTP client to send with");
  }
  if (receiver.type == "webhook") return make_webhook_sender(receiver, context);
  if (receiver.type == "slack") return make_slack_sender(receiver, context);
  if (receiver.type == "dingtalk") return make_dingtalk_sender(receiver, context);
  if (receiver.type == "feishu") return make_feishu_sender(receiver, context);
  if (receiver.type == "wecom") return make_wecom_sender(receiver, context);
  if (receiver.type == "teams") return make_teams_sender(receiver, context);
  if (receiver.type == "alertmanager") return make_alertmanager_sender(receiver, context);
  return make_error("receiver '" + receiver.name + "': type '" + receiver.type +
                    "' is not supported by this version of omswatch");
}

}  // namespace omswatch::notifiers
