// The generic `webhook` receiver: the payload of docs/webhook.md, signed per Standard Webhooks.

#include <boost/json.hpp>

#include "common/time.h"
#include "notifiers/http_outcome.h"
#include "notifiers/platform.h"
#include "notifiers/signing.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

json::value parse_object_or_empty(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return json::object();
  return v;
}

// Standard Webhooks: the message's id and time, and with a secret its signature, as headers.
void sign(Message& m, const Delivery& d) {
  const auto timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(d.now.time_since_epoch()).count();
  m.headers.push_back({"webhook-id", std::string(d.delivery_id)});
  m.headers.push_back({"webhook-timestamp", std::to_string(timestamp)});
  if (!d.receiver.secret.empty()) {
    m.headers.push_back(
        {"webhook-signature", standard_webhooks_signature(d.receiver.secret.reveal(), d.delivery_id,
                                                          timestamp, m.body)});
  }
}

}  // namespace

DeliveryOutcome webhook_outcome(const boost::system::result<net::HttpResponse>& result) {
  return outcome_from_http(result, nullptr);  // any 2xx is success
}

std::string render_webhook_payload(const std::string& receiver, const std::vector<Event>& events) {
  json::array list;
  list.reserve(events.size());
  for (const auto& e : events) {
    json::object o;
    o["id"] = e.id;
    o["kind"] = e.kind;
    o["state"] = e.state;
    o["severity"] = to_string(e.severity);
    o["oms"] = e.oms;
    o["project_id"] = e.project_id;
    if (!e.project_name.empty()) o["project_name"] = e.project_name;
    if (!e.link.empty()) o["link"] = e.link;
    if (!e.omswatch_url.empty()) o["omswatch_url"] = e.omswatch_url;
    o["alarm_level"] = e.alarm_level;
    o["summary"] = e.summary;
    o["observed_at"] = format_rfc3339(e.observed_at);
    o["details"] = parse_object_or_empty(e.details_json);
    o["progress"] = parse_object_or_empty(e.progress_json);
    if (!e.acked_by.empty()) {
      o["acked_by"] = e.acked_by;
      o["ack_reason"] = e.ack_reason;
    }
    list.emplace_back(std::move(o));
  }
  json::object payload;
  payload["version"] = 1;
  payload["receiver"] = receiver;
  payload["events"] = std::move(list);
  return json::serialize(payload);
}

const Platform& webhook_platform() {
  static const Platform platform{
      .type = "webhook",
      .render = [](const Delivery& d) { return render_webhook_payload(d.receiver.name, d.events); },
      .sign = sign,
      .judge = webhook_outcome,
  };
  return platform;
}

}  // namespace omswatch::notifiers
