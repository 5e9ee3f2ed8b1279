// The `wecom` receiver (WeCom / 企业微信 group robots): one markdown message
// per group.
//
// WeCom refuses markdown content over 4096 bytes (40058) and more than 20
// messages a minute per robot (45009): the content keeps its headline and the
// most urgent events that fit, and the sender holds messages back itself
// before the limit.

#include <boost/json.hpp>

#include "net/http_client.h"
#include "notifiers/http_outcome.h"
#include "notifiers/rate_limit.h"
#include "notifiers/render.h"
#include "notifiers/sender.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxContentBytes = 4096;
// Together under kMaxContentBytes, so at least one event always fits beside the headline.
constexpr std::size_t kHeadlineBytes = 600;
constexpr std::size_t kEventBytes = 2'000;
constexpr std::size_t kMessagesPerMinute = 19;

constexpr std::int64_t kOk = 0;
constexpr std::int64_t kThrottled = 45009;
constexpr std::int64_t kTooLong = 40058;

DeliveryOutcome read_reply(const net::HttpResponse& res) {
  auto reply = read_platform_reply(res.body, {"errcode"}, {"errmsg"});
  if (!reply) return missing_platform_code(res, "WeCom's errcode");
  const std::string code = " (errcode " + std::to_string(reply->code) + ": " + reply->message + ")";
  switch (reply->code) {
    case kOk:
      return {DeliveryOutcome::Result::delivered, "errcode 0", std::nullopt};
    case kThrottled:
      return {DeliveryOutcome::Result::retry, "WeCom throttled the robot" + code,
              std::chrono::seconds(60)};
    case kTooLong:
      return {DeliveryOutcome::Result::rejected, "WeCom refused the message as too long" + code,
              std::nullopt};
    default:
      return {DeliveryOutcome::Result::rejected, "WeCom refused the message" + code, std::nullopt};
  }
}

class WeComSender final : public Sender {
 public:
  WeComSender(const config::Receiver& r, const SenderContext& ctx)
      : Sender(r.name),
        receiver_(r),
        ctx_(ctx),
        window_(kMessagesPerMinute, std::chrono::minutes(1)) {}

  boost::asio::awaitable<DeliveryOutcome> send(std::vector<Event> events, std::string) override {
    if (auto wait = window_.acquire(ctx_.now())) {
      co_return DeliveryOutcome{DeliveryOutcome::Result::deferred,
                                "held back: a WeCom robot takes 20 messages a minute", *wait};
    }
    auto req = json_post(receiver_.url.reveal(), render_wecom_payload(events), receiver_, ctx_.env);
    auto res = scrubbed(co_await ctx_.http->send(std::move(req)), ctx_.redact);
    co_return wecom_outcome(res);
  }

 private:
  config::Receiver receiver_;
  SenderContext ctx_;
  SendWindow window_;
};

}  // namespace

DeliveryOutcome wecom_outcome(const boost::system::result<net::HttpResponse>& result) {
  return outcome_from_http(result, accept_when_delivered(read_reply));
}

std::string render_wecom_payload(const std::vector<Event>& group) {
  const std::vector<Event> events = by_urgency(group);
  const std::string headline =
      "### " + truncate_bytes(inert_markdown(group_headline(events)), kHeadlineBytes) + "\n";
  // WeCom's markdown reads <@userid> mentions and <font> tags and has no
  // escape for them: inert_markdown() shows a full-width '＜' instead.
  const MarkdownDialect dialect = common_markdown(inert_markdown);
  std::vector<std::string> blocks;
  blocks.reserve(events.size());
  for (const auto& e : events) blocks.push_back(markdown_event(view_of(e), dialect, kEventBytes));

  auto content = [&](std::size_t shown) {
    std::string text = headline;
    for (std::size_t i = 0; i < shown; ++i) text += "\n" + blocks[i] + "\n";
    if (shown < events.size()) text += "\n" + more_line(events.size() - shown) + "\n";
    text += "\n> omswatch";
    return text;
  };
  const std::size_t shown = fit_count(
      events.size(), [&](std::size_t n) { return content(n).size() <= kMaxContentBytes; });
  json::object o{{"msgtype", "markdown"}, {"markdown", {{"content", content(shown)}}}};
  return json::serialize(o);
}

std::unique_ptr<Sender> make_wecom_sender(const config::Receiver& r, const SenderContext& ctx) {
  return std::make_unique<WeComSender>(r, ctx);
}

}  // namespace omswatch::notifiers
