// The `feishu` receiver (Feishu and Lark custom bots): one interactive card
// per group, its header coloured by the worst severity, signed when the bot
// has a secret.
//
// Feishu's signature is the mirror of DingTalk's: the timestamp and secret
// are the HMAC *key* and the message is empty. A bot takes 5 messages a
// second and 100 a minute (11232 beyond) and a body of at most 20 KB.

#include <boost/json.hpp>
#include <utility>

#include "notifiers/http_outcome.h"
#include "notifiers/platform.h"
#include "notifiers/render.h"
#include "notifiers/signing.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBodyBytes = 20'000;
constexpr std::size_t kHeaderChars = 150;
constexpr std::size_t kEventBytes = 4'000;

constexpr TonePalette kColours{"red", "orange", "blue", "green"};

const CodedReplies kReplies{
    // Bots made before 2021 answer {"StatusCode":0,"StatusMessage":"success"}.
    .code_keys = {"code", "StatusCode"},
    .message_keys = {"msg", "StatusMessage"},
    .code_name = "code",
    .whose_code = "Feishu's code",
    .known = {{11232, DeliveryOutcome::Result::retry, "Feishu throttled the bot",
               std::chrono::seconds(60)},
              {19021, DeliveryOutcome::Result::rejected,
               "Feishu refused the signature or its timestamp: check the receiver's secret and "
               "this host's clock"}},
    .otherwise = "Feishu refused the message",
};

json::object markdown_element(std::string content) {
  return {{"tag", "markdown"}, {"content", std::move(content)}};
}

// A button to the event's page in omswatch's console: the URL is a JSON
// string of its own, no card markdown reads it.
json::object page_button(const std::string& page) {
  json::object button{{"tag", "button"},
                      {"text", {{"tag", "plain_text"}, {"content", kOpenPage}}},
                      {"type", "default"},
                      {"url", page}};
  return {{"tag", "action"}, {"actions", json::array{std::move(button)}}};
}

// One event as the card shows it: its markdown, and the button when it has a page.
struct EventBlock {
  std::string markdown;
  std::string page;
};

// The signature goes in the body, so the body is rendered signed: with a
// secret, "timestamp" (seconds) and "sign" lead the message.
std::string render(const Delivery& d) {
  std::optional<std::int64_t> timestamp;
  if (!d.receiver.secret.empty()) {
    timestamp = std::chrono::duration_cast<std::chrono::seconds>(d.now.time_since_epoch()).count();
  }
  return render_feishu_payload(d.events, timestamp, d.receiver.secret.reveal());
}

}  // namespace

DeliveryOutcome feishu_outcome(const boost::system::result<net::HttpResponse>& result) {
  return coded_outcome(result, kReplies);
}

std::string render_feishu_payload(const std::vector<Event>& group,
                                  std::optional<std::int64_t> timestamp_s,
                                  const std::string& secret) {
  const std::vector<Event> events = by_urgency(group);
  const std::string headline = truncate_chars(group_headline(events), kHeaderChars);
  // Card markdown reads <at ...> and <font ...> tags and links: text from
  // events is shown, not obeyed.
  const MarkdownDialect dialect = common_markdown(inert_feishu_markdown);
  std::vector<EventBlock> blocks;
  blocks.reserve(events.size());
  for (const auto& e : events) {
    EventView v = view_of(e);
    std::string page = std::exchange(v.page, {});  // a button, not a link in the markdown
    blocks.push_back({markdown_event(v, dialect, kEventBytes), std::move(page)});
  }

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
      elements.push_back(markdown_element(blocks[i].markdown));
      if (!blocks[i].page.empty()) elements.push_back(page_button(blocks[i].page));
    }
    if (shown < events.size())
      elements.push_back(markdown_element(more_line(events.size() - shown)));
    elements.push_back(json::object{
        {"tag", "note"},
        {"elements", json::array{json::object{{"tag", "plain_text"}, {"content", "omswatch"}}}}});
    json::object card{{"config", {{"wide_screen_mode", true}}},
                      {"header",
                       {{"title", {{"tag", "plain_text"}, {"content", headline}}},
                        {"template", kColours(group_tone(events))}}},
                      {"elements", std::move(elements)}};
    json::object o = signature;
    o["msg_type"] = "interactive";
    o["card"] = std::move(card);
    return json::serialize(o);
  };
  return largest_within(events.size(), kMaxBodyBytes, payload);
}

const Platform& feishu_platform() {
  static const Platform platform{
      .type = "feishu",
      .render = render,
      .judge = feishu_outcome,
      // One under each of the platform's limits: its windows and ours do not start together.
      .limits = {{4, std::chrono::seconds(1)}, {99, std::chrono::minutes(1)}},
      .held_back = "held back: a Feishu bot takes 5 messages a second and 100 a minute",
  };
  return platform;
}

}  // namespace omswatch::notifiers
