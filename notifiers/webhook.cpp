// The generic `webhook` receiver: the payload of docs/webhook.md, signed per Standard Webhooks.

#include <boost/json.hpp>

#include "common/time.h"
#include "net/http_client.h"
#include "notifiers/http_outcome.h"
#include "notifiers/sender.h"
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

class WebhookSender final : public Sender {
 public:
  WebhookSender(const config::Receiver& r, const SenderContext& ctx)
      : Sender(r.name), receiver_(r), ctx_(ctx) {}

  boost::asio::awaitable<DeliveryOutcome> send(std::vector<Event> events,
                                               std::string delivery_id) override {
    net::HttpRequest req = json_post(receiver_.url.reveal(), render_webhook_payload(name(), events),
                                     receiver_, ctx_.env);
    auto timestamp =
        std::chrono::duration_cast<std::chrono::seconds>(ctx_.now().time_since_epoch()).count();
    req.headers.push_back({"webhook-id", delivery_id});
    req.headers.push_back({"webhook-timestamp", std::to_string(timestamp)});
    if (!receiver_.secret.empty()) {
      req.headers.push_back(
          {"webhook-signature", standard_webhooks_signature(receiver_.secret.reveal(), delivery_id,
                                                            timestamp, req.body)});
    }
    auto res = scrubbed(co_await ctx_.http->send(std::move(req)), ctx_.redact);
    co_return webhook_outcome(res);
  }

 private:
  config::Receiver receiver_;
  SenderContext ctx_;
};

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
    o["alarm_level"] = e.alarm_level;
    o["summary"] = e.summary;
    o["observed_at"] = format_rfc3339(e.observed_at);
    o["details"] = parse_object_or_empty(e.details_json);
    o["progress"] = parse_object_or_empty(e.progress_json);
    list.emplace_back(std::move(o));
  }
  json::object payload;
  payload["version"] = 1;
  payload["receiver"] = receiver;
  payload["events"] = std::move(list);
  return json::serialize(payload);
}

std::unique_ptr<Sender> make_webhook_sender(const config::Receiver& r, const SenderContext& ctx) {
  return std::make_unique<WebhookSender>(r, ctx);
}

}  // namespace omswatch::notifiers
