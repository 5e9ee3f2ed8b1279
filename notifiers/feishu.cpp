// The `feishu` receiver (Feishu and Lark custom bots): one interactive card
// per group, its header coloured by the worst severity, signed when the bot
// has a secret.
//
// Feishu's signature is the mirror of DingTalk's: the timestamp and secret
// are the HMAC *key* and the message is empty. A bot takes 5 messages a
// second and 100 a minute (11232 beyond) and a body of at most 20 KB.

#include <boost/json.hpp>

#include "net/http_client.h"
#include "notifiers/http_outcome.h"
#include "notifiers/rate_limit.h"
#include "notifiers/render.h"
#include "notifiers/sender.h"
#include "notifiers/signing.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBodyBytes = 20'000;
constexpr std::size_t kHeaderChars = 150;
constexpr std::size_t kEventBytes = 4'000;

constexpr std::int64_t kOk = 0;
constexpr std::int64_t kThrottled = 11232;
constexpr std::int64_t kBadSignature = 19021;

std::string_view colour(Tone tone) {
  switch (tone) {
    case Tone::critical:
      return "red";
    case Tone::warning:
      return "orange";
    case Tone::info:
      return "blue";
    case Tone::resolved:
      return "green";
  }
  return "blue";
}

json::object markdown_element(std::string content) {
  return {{"tag", "markdown"}, {"content", std::move(content)}};
}

DeliveryOutcome read_reply(const net::HttpResponse& res) {
  // Bots made before 2021 answer {"StatusCode":0,"StatusMessage":"success"}.
  auto reply = read_platform_reply(res.body, {"code", "StatusCode"}, {"msg", "StatusMessage"});
  if (!reply) return missing_platform_code(res, "Feishu's code");
  const std::string code = " (code " + std::to_string(reply->code) + ": " + reply->message + ")";
  switch (reply->code) {
    case kOk:
      return {DeliveryOutcome::Result::delivered, "code 0", std::nullopt};
    case kThrottled:
      return {DeliveryOutcome::Result::retry, "Feishu throttled the bot" + code,
              std::chrono::seconds(60)};
    case kBadSignature:
      return {DeliveryOutcome::Result::rejected,
              "Feishu refused the signature or its timestamp: check the receiver's secret and this "
              "host's clock" +
                  code,
              std::nullopt};
    default:
      return {DeliveryOutcome::Result::rejected, "Feishu refused the message" + code, std::nullopt};
  }
}

class FeishuSender final : public Sender {
 public:
  FeishuSender(const config::Receiver& r, const SenderContext& ctx)
      : Sender(r.name), receiver_(r), ctx_(ctx) {}

  boost::asio::awaitable<DeliveryOutcome> send(std::vector<Event> events, std::string) override {
    const auto now = ctx_.now();
    for (SendWindow* w : {&per_second_, &per_minute_}) {
      if (auto wait = w->wait_at(now)) {
        co_return DeliveryOutcome{DeliveryOutcome::Result::deferred,
                                  "held back: a Feishu bot takes 5 messages a second and 100 a "
                                  "minute",
                                  *wait};
      }
    }
    per_second_.record(now);
    per_minute_.record(now);

    std::optional<std::int64_t> timestamp;
    if (!receiver_.secret.empty()) {
      timestamp = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    }
    auto req = json_post(receiver_.url.reveal(),
                         render_feishu_payload(events, timestamp, receiver_.secret.reveal()),
                         receiver_, ctx_.env);
    auto res = scrubbed(co_await ctx_.http->send(std::move(req)), ctx_.redact);
    co_return feishu_outcome(res);
  }

 private:
  config::Receiver receiver_;
  SenderContext ctx_;
  // One under each of the platform's limits: its windows and ours do not start together.
  SendWindow per_second_{4, std::chrono::seconds(1)};
  SendWindow per_minute_{99, std::chrono::minutes(1)};
};

}  // namespace

DeliveryOutcome feishu_outcome(const boost::system::result<net::HttpResponse>& result) {
  return outcome_from_http(result, accept_when_delivered(read_reply));
}

std::string render_feishu_payload(const std::vector<Event>& group,
                                  std::optional<std::int64_t> timestamp_s,
                                  const std::string& secret) {
  const std::vector<Event> events = by_urgency(group);
  const std::string headline = truncate_chars(group_headline(events), kHeaderChars);
  // Card markdown reads <at ...> and <font ...> tags and links: text from
  // events is shown, not obeyed.
  const MarkdownDialect dialect = common_markdown(inert_feishu_markdown);
  std::vector<std::string> blocks;
  blocks.reserve(events.size());
  for (const auto& e : events) blocks.push_back(markdown_event(view_of(e), dialect, kEventBytes));

  json::object signature;
  if (timestamp_s) {
    const std::string ts = std::to_string(*timestamp_s);
    signature["timestamp"] = ts;
    signature["sign"] = base64_encode(hmac_sha256(ts + "\n" + secret, ""));
  }
  auto payload = [&](std::size_t shown) {
    json::array elements;
    for (std::size_t i = 0; i < shown; ++i) {
      if (i > 0) elements.push_back(json::object{{"tag", "hr"}});
      elements.push_back(markdown_element(blocks[i]));
    }
    if (shown < events.size())
      elements.push_back(markdown_element(more_line(events.size() - shown)));
    elements.push_back(json::object{
        {"tag", "note"},
        {"elements", json::array{json::object{{"tag", "plain_text"}, {"content", "omswatch"}}}}});
    json::object card{{"config", {{"wide_screen_mode", true}}},
                      {"header",
                       {{"title", {{"tag", "plain_text"}, {"content", headline}}},
                        {"template", colour(group_tone(events))}}},
                      {"elements", std::move(elements)}};
    json::object o = signature;
    o["msg_type"] = "interactive";
    o["card"] = std::move(card);
    return json::serialize(o);
  };
  const std::size_t shown =
      fit_count(events.size(), [&](std::size_t n) { return payload(n).size() <= kMaxBodyBytes; });
  return payload(shown);
}

std::unique_ptr<Sender> make_feishu_sender(const config::Receiver& r, const SenderContext& ctx) {
  return std::make_unique<FeishuSender>(r, ctx);
}

}  // namespace omswatch::notifiers
