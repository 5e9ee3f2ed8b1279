// The `dingtalk` receiver: a custom robot, one markdown message per group,
// signed when the robot has a secret ("加签").
//
// A robot takes 20 messages a minute and is then blocked for 10 minutes, so
// the sender holds messages back itself before that; bodies over 20000 bytes
// are refused (460101), so the message keeps its headline and the most
// urgent events that fit.

#include <boost/json.hpp>
#include <cctype>

#include "common/percent.h"
#include "common/time.h"
#include "notifiers/http_outcome.h"
#include "notifiers/platform.h"
#include "notifiers/render.h"
#include "notifiers/signing.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBodyBytes = 20'000;
constexpr std::size_t kTitleChars = 100;
constexpr std::size_t kEventBytes = 4'000;
// One under the platform's 20 a minute: its window and ours do not start together.
constexpr std::size_t kMessagesPerMinute = 19;

const CodedReplies kReplies{
    .code_keys = {"errcode"},
    .message_keys = {"errmsg"},
    .code_name = "errcode",
    .whose_code = "DingTalk's errcode",
    .known = {{130101, DeliveryOutcome::Result::retry, "DingTalk throttled the robot",
               std::chrono::seconds(60)},
              // A bad signature or timestamp, a missing keyword, an address not allowed.
              {310000, DeliveryOutcome::Result::rejected,
               "the robot's security settings refused the message (signature and timestamp: "
               "check the receiver's secret and this host's clock; or keyword, or IP "
               "allow-list)"},
              {460101, DeliveryOutcome::Result::rejected,
               "DingTalk refused the message as too large"}},
    .otherwise = "DingTalk refused the message",
};

// `url` with `params` added to its query (before any fragment).
std::string with_query(std::string_view url, std::string_view params) {
  auto hash = url.find('#');
  std::string_view base = url.substr(0, hash);
  std::string out(base);
  if (base.find('?') == std::string_view::npos) {
    out += '?';
  } else if (!base.ends_with('?') && !base.ends_with('&')) {
    out += '&';
  }
  out += params;
  if (hash != std::string_view::npos) out += url.substr(hash);
  return out;
}

// DingTalk's markdown needs a blank line for a line break.
std::string dingtalk_lines(std::string_view markdown) {
  std::string out;
  out.reserve(markdown.size() + markdown.size() / 16);
  for (char c : markdown) {
    out.push_back(c);
    if (c == '\n') out.push_back('\n');
  }
  return out;
}

// "加签": the timestamp (ms) and its HMAC under the secret, in the URL's query.
void sign(Message& m, const Delivery& d) {
  if (d.receiver.secret.empty()) return;
  const std::string timestamp = std::to_string(to_unix_ms(d.now));
  const std::string& secret = d.receiver.secret.reveal();
  const std::string signature = base64_encode(hmac_sha256(secret, timestamp + "\n" + secret));
  m.url = with_query(m.url, "timestamp=" + timestamp + "&sign=" + percent_encode(signature));
}

}  // namespace

DeliveryOutcome dingtalk_outcome(const boost::system::result<net::HttpResponse>& result) {
  return coded_outcome(result, kReplies);
}

std::string render_dingtalk_payload(const std::vector<Event>& group) {
  const std::vector<Event> events = by_urgency(group);
  const std::string headline = inert_markdown(group_headline(events));
  const MarkdownDialect dialect = common_markdown(inert_markdown);
  std::vector<std::string> blocks;
  blocks.reserve(events.size());
  for (const auto& e : events) {
    blocks.push_back(dingtalk_lines(markdown_event(view_of(e), dialect, kEventBytes)));
  }

  auto payload = [&](std::size_t shown) {
    std::string text = "#### " + headline + "\n\n";
    for (std::size_t i = 0; i < shown; ++i) text += blocks[i] + "\n\n";
    if (shown < events.size()) text += more_line(events.size() - shown) + "\n\n";
    text += "omswatch";  // also the keyword of robots that require one
    json::object o{
        {"msgtype", "markdown"},
        {"markdown", {{"title", truncate_chars(headline, kTitleChars)}, {"text", std::move(text)}}},
        {"at", {{"atMobiles", json::array()}, {"isAtAll", false}}}};
    return json::serialize(o);
  };
  return largest_within(events.size(), kMaxBodyBytes, payload);
}

const Platform& dingtalk_platform() {
  static const Platform platform{
      .type = "dingtalk",
      .render = from_events<render_dingtalk_payload>,
      .sign = sign,
      .judge = dingtalk_outcome,
      .limits = {{kMessagesPerMinute, std::chrono::minutes(1)}},
      .held_back = "held back: a DingTalk robot takes " + std::to_string(kMessagesPerMinute) +
                   " messages a minute before it is blocked for 10 minutes",
  };
  return platform;
}

}  // namespace omswatch::notifiers
