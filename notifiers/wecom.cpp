// The `wecom` receiver (WeCom / 企业微信 group robots): one markdown message
// per group.
//
// WeCom refuses markdown content over 4096 bytes (40058) and more than 20
// messages a minute per robot (45009): the content keeps its headline and the
// most urgent events that fit, and the sender holds messages back itself
// before the limit.

#include <boost/json.hpp>

#include "notifiers/http_outcome.h"
#include "notifiers/platform.h"
#include "notifiers/render.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxContentBytes = 4096;
// Together under kMaxContentBytes, so at least one event always fits beside the headline.
constexpr std::size_t kHeadlineBytes = 600;
constexpr std::size_t kEventBytes = 2'000;
constexpr std::size_t kMessagesPerMinute = 19;

const CodedReplies kReplies{
    .code_keys = {"errcode"},
    .message_keys = {"errmsg"},
    .code_name = "errcode",
    .whose_code = "WeCom's errcode",
    .known = {{45009, DeliveryOutcome::Result::retry, "WeCom throttled the robot",
               std::chrono::seconds(60)},
              {40058, DeliveryOutcome::Result::rejected, "WeCom refused the message as too long"}},
    .otherwise = "WeCom refused the message",
};

}  // namespace

DeliveryOutcome wecom_outcome(const boost::system::result<net::HttpResponse>& result) {
  return coded_outcome(result, kReplies);
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
  json::object o{
      {"msgtype", "markdown"},
      {"markdown", {{"content", largest_within(events.size(), kMaxContentBytes, content)}}}};
  return json::serialize(o);
}

const Platform& wecom_platform() {
  static const Platform platform{
      .type = "wecom",
      .render = from_events<render_wecom_payload>,
      .judge = wecom_outcome,
      .limits = {{kMessagesPerMinute, std::chrono::minutes(1)}},
      .held_back = "held back: a WeCom robot takes 20 messages a minute",
  };
  return platform;
}

}  // namespace omswatch::notifiers
