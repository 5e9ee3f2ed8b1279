// The `teams` receiver (Microsoft Teams through a Workflows webhook): one
// Adaptive Card 1.4 per group, in a message attachment.
//
// Teams drops cards over about 28 KB, and a card error shows only in the
// flow's run history (the webhook answers 202 all the same): the card keeps
// its headline and the most urgent events that fit.

#include <boost/json.hpp>

#include "notifiers/http_outcome.h"
#include "notifiers/platform.h"
#include "notifiers/render.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBodyBytes = 27'000;
constexpr std::size_t kEventBytes = 5'000;

constexpr TonePalette kColours{"Attention", "Warning", "Accent", "Good"};

json::object text_block(std::string text) {
  return {{"type", "TextBlock"}, {"text", std::move(text)}, {"wrap", true}};
}

// One event as a container: its line in colour, the summary, the facts, the
// link. TextBlocks and facts are markdown: the event's text goes in inert.
json::object event_container(const EventView& v) {
  json::array items;
  json::object title = text_block(v.mark + " " + v.label + " · " + inert_markdown(v.title));
  title["weight"] = "Bolder";
  title["color"] = kColours(tone_of(v));
  items.push_back(std::move(title));
  items.push_back(text_block(inert_markdown(v.summary)));
  json::array facts;
  for (const auto& f : v.facts)
    facts.push_back(json::object{{"title", f.label}, {"value", inert_markdown(f.value)}});
  if (!facts.empty())
    items.push_back(json::object{{"type", "FactSet"}, {"facts", std::move(facts)}});
  if (!v.link.empty()) {
    items.push_back(
        text_block("[" + std::string(kOpenOmsConsole) + "](" + link_target(v.link) + ")"));
  }
  if (!v.page.empty()) {
    // A button: the URL is a JSON string of its own, no markdown reads it.
    json::object open{{"type", "Action.OpenUrl"}, {"title", kOpenPage}, {"url", v.page}};
    items.push_back(json::object{{"type", "ActionSet"}, {"actions", json::array{std::move(open)}}});
  }
  return {{"type", "Container"},
          {"separator", true},
          {"spacing", "Medium"},
          {"items", std::move(items)}};
}

}  // namespace

DeliveryOutcome teams_outcome(const boost::system::result<net::HttpResponse>& result) {
  return outcome_from_http(result, nullptr);  // any 2xx
}

std::string render_teams_payload(const std::vector<Event>& group) {
  const std::vector<Event> events = by_urgency(group);
  std::vector<json::object> containers;
  containers.reserve(events.size());
  for (const auto& e : events) {
    EventView v = view_of(e);
    json::object c = event_container(v);
    // An event too big for its share of the card keeps shorter facts, then none.
    if (json::serialize(c).size() > kEventBytes) {
      v.summary = truncate_chars(v.summary, 200);
      for (auto& f : v.facts) f.value = truncate_chars(f.value, 80);
      c = event_container(v);
    }
    if (json::serialize(c).size() > kEventBytes) {
      v.facts.clear();
      c = event_container(v);
    }
    containers.push_back(std::move(c));
  }

  json::object headline = text_block(inert_markdown(group_headline(events)));
  headline["size"] = "Large";
  headline["weight"] = "Bolder";
  headline["color"] = kColours(group_tone(events));

  auto payload = [&](std::size_t shown) {
    json::array body;
    body.push_back(headline);
    for (std::size_t i = 0; i < shown; ++i) body.push_back(containers[i]);
    if (shown < events.size()) body.push_back(text_block(more_line(events.size() - shown)));
    json::object footer = text_block("omswatch");
    footer["isSubtle"] = true;
    footer["size"] = "Small";
    body.push_back(std::move(footer));
    json::object card{{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                      {"type", "AdaptiveCard"},
                      {"version", "1.4"},
                      {"msteams", {{"width", "Full"}}},
                      {"body", std::move(body)}};
    json::object attachment{{"contentType", "application/vnd.microsoft.card.adaptive"},
                            {"contentUrl", nullptr},
                            {"content", std::move(card)}};
    json::object message{{"type", "message"}, {"attachments", json::array{std::move(attachment)}}};
    return json::serialize(message);
  };
  return largest_within(events.size(), kMaxBodyBytes, payload);
}

const Platform& teams_platform() {
  static const Platform platform{
      .type = "teams",
      .render = from_events<render_teams_payload>,
      .judge = teams_outcome,
  };
  return platform;
}

}  // namespace omswatch::notifiers
