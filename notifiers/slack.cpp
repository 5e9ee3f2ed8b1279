// The `slack` receiver: an incoming webhook, one Block Kit message per group.
//
// Slack refuses a message with more than 50 blocks, a header over 150
// characters, a section over 3000, or about 13k characters in all
// (msg_blocks_too_long): the message keeps its headline and the most urgent
// events that fit, and says how many more there were.

#include <boost/json.hpp>
#include <cctype>
#include <utility>

#include "notifiers/http_outcome.h"
#include "notifiers/platform.h"
#include "notifiers/render.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBlocks = 50;
// Code points here; Slack counts UTF-16 units, two for an emoji mark.
constexpr std::size_t kHeaderChars = 148;
constexpr std::size_t kSectionChars = 2'950;
constexpr std::size_t kFallbackChars = 300;
// Below Slack's ~13k so that its own counting (UTF-16 units, entities) has room.
constexpr std::size_t kTotalChars = 11'000;
constexpr std::string_view kFooter = "omswatch";

json::object text_object(std::string_view type, std::string_view text) {
  json::object o{{"type", type}, {"text", text}};
  if (type == "plain_text") o["emoji"] = true;
  return o;
}

json::object section(std::string_view mrkdwn) {
  return {{"type", "section"}, {"text", text_object("mrkdwn", mrkdwn)}};
}

// One event: its markdown, with a button to its page in omswatch's console.
struct EventSection {
  std::string mrkdwn;
  std::string page;  // "" when there is none

  json::object block() const {
    json::object o = section(mrkdwn);
    if (!page.empty()) {
      // A link button: the URL is a JSON string of its own, no markup reads it.
      o["accessory"] = json::object{
          {"type", "button"}, {"text", text_object("plain_text", kOpenPage)}, {"url", page}};
    }
    return o;
  }
  std::size_t chars() const {
    return utf8_length(mrkdwn) + (page.empty() ? 0 : utf8_length(page) + kOpenPage.size());
  }
};

}  // namespace

DeliveryOutcome slack_outcome(const boost::system::result<net::HttpResponse>& result) {
  return outcome_from_http(
      result, [](const net::HttpResponse& r) -> std::optional<DeliveryOutcome> {
        std::string_view body = r.body;
        while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) {
          body.remove_suffix(1);
        }
        if (r.status == 200 && body == "ok") return std::nullopt;
        // Slack says "ok" and nothing else: this is not Slack (a portal, a wrong URL).
        return DeliveryOutcome{DeliveryOutcome::Result::rejected,
                               "HTTP " + std::to_string(r.status) +
                                   " without Slack's \"ok\": " + bounded_snippet(r.body),
                               std::nullopt};
      });
}

std::string render_slack_payload(const std::vector<Event>& group) {
  const std::vector<Event> events = by_urgency(group);
  const std::string headline = group_headline(events);
  const std::string header = truncate_chars(headline, kHeaderChars);
  // The top-level text is mrkdwn too (notifications show it).
  const std::string fallback = truncate_chars(inert_slack_mrkdwn(headline), kFallbackChars);

  std::vector<EventSection> sections;
  sections.reserve(events.size());
  for (const auto& e : events) {
    EventView v = view_of(e);
    // The page is the section's button, not a link in its text.
    std::string page = std::exchange(v.page, {});
    // Sections are bounded in characters; markdown_event's byte bound is only a backstop.
    sections.push_back(
        {truncate_chars(markdown_event(v, slack_mrkdwn(), 4 * kSectionChars), kSectionChars),
         std::move(page)});
  }
  std::vector<std::size_t> chars_before(1, 0);  // chars_before[n]: the first n sections
  for (const auto& s : sections) chars_before.push_back(chars_before.back() + s.chars());

  const std::size_t total = events.size();
  const std::size_t fixed = utf8_length(header) + utf8_length(fallback) + kFooter.size();
  const std::size_t shown = fit_count(total, [&](std::size_t n) {
    const bool more = n < total;
    const std::size_t blocks = 1 + n + (more ? 1 : 0) + 1;  // header, sections, "more", footer
    const std::size_t chars =
        fixed + chars_before[n] + (more ? utf8_length(more_line(total - n)) : 0);
    return blocks <= kMaxBlocks && chars <= kTotalChars;
  });

  json::array blocks;
  blocks.push_back(json::object{{"type", "header"}, {"text", text_object("plain_text", header)}});
  for (std::size_t i = 0; i < shown; ++i) blocks.push_back(sections[i].block());
  if (shown < total) blocks.push_back(section(more_line(total - shown)));
  blocks.push_back(
      json::object{{"type", "context"}, {"elements", json::array{text_object("mrkdwn", kFooter)}}});
  json::object payload{{"text", fallback}, {"blocks", std::move(blocks)}};
  return json::serialize(payload);
}

const Platform& slack_platform() {
  static const Platform platform{
      .type = "slack",
      .render = from_events<render_slack_payload>,
      .judge = slack_outcome,
  };
  return platform;
}

}  // namespace omswatch::notifiers
