// The `alertmanager` receiver: conditions become Alertmanager alerts
// (POST {url}/api/v2/alerts), so Alertmanager's routing, grouping,
// inhibition, silences and HA deduplication apply to omswatch too.
//
// Alertmanager matches a resolution to its alert by the label set, so the
// labels of a condition are the same whenever it is sent: alertname (the
// kind), severity, oms, project_id and alarm_level; everything that changes
// goes into annotations. Alertmanager forgets an alert that is not sent
// again, so a firing alert carries endsAt = now + 4 resend intervals (as
// Prometheus does) and the daemon re-sends firing conditions every
// resend_firing_every(); a resolution carries endsAt = when it cleared.
//
// Notices are not sent: Alertmanager never notifies for an alert that
// arrives already ended, and a notice is no condition to page anyone for.
// The exception is the test message of `omswatch notify-test` (kind "test"):
// it becomes a short-lived alert named omswatch_test that ends by itself
// kTestAlertLasts later, so the test shows in Alertmanager and is routed
// like any alert, and needs no resolution.

#include <boost/json.hpp>
#include <map>

#include "common/percent.h"
#include "common/time.h"
#include "notifiers/http_outcome.h"
#include "notifiers/platform.h"
#include "notifiers/render.h"
#include "notifiers/signing.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kResendEvery{60};
constexpr std::size_t kMaxAlerts = 1000;
constexpr std::chrono::minutes kTestAlertLasts{5};
constexpr std::string_view kTestAlertName = "omswatch_test";

bool is_test(const Event& e) { return e.kind == "test"; }
bool is_sent(const Event& e) { return e.state == "firing" || e.state == "resolved" || is_test(e); }

struct Endpoint {
  std::string url;            // {base}/api/v2/alerts, without user info
  std::string authorization;  // "Basic ..." from the URL's user info, or ""
};

Endpoint alerts_endpoint(std::string_view base) {
  Endpoint out;
  std::string url(base);
  auto scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    const auto authority_begin = scheme_end + 3;
    auto authority_end = url.find_first_of("/?#", authority_begin);
    if (authority_end == std::string::npos) authority_end = url.size();
    auto at = url.rfind('@', authority_end - 1);
    if (at != std::string::npos && at >= authority_begin) {
      std::string_view userinfo(url.data() + authority_begin, at - authority_begin);
      auto colon = userinfo.find(':');
      std::string credentials = percent_decode(userinfo.substr(0, colon)) + ":";
      if (colon != std::string_view::npos)
        credentials += percent_decode(userinfo.substr(colon + 1));
      out.authorization = "Basic " + base64_encode(credentials);
      url.erase(authority_begin, at + 1 - authority_begin);
    }
  }
  // The path goes before any query; a trailing slash of the base is dropped.
  auto query = url.find_first_of("?#");
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  url.resize(query == std::string::npos ? url.size() : query);
  while (url.ends_with('/')) url.pop_back();
  out.url = url + "/api/v2/alerts" + tail;
  return out;
}

std::int64_t detail_seconds(const json::object& details, std::string_view key) {
  const json::value* v = details.if_contains(key);
  if (v && v->is_int64() && v->as_int64() > 0) return v->as_int64();
  if (v && v->is_uint64())
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v->as_uint64(), 1u << 30));
  if (v && v->is_double() && v->as_double() > 0 && v->as_double() < 1e10) {
    return static_cast<std::int64_t>(v->as_double());
  }
  return 0;
}

json::object labels_of(const Event& e) {
  json::object labels;
  auto put = [&](std::string_view name, std::string_view value) {
    if (!value.empty()) labels[name] = valid_utf8(value);
  };
  put("alertname", is_test(e) ? kTestAlertName : std::string_view(e.kind));
  put("severity", to_string(e.severity));
  put("oms", e.oms);
  put("project_id", e.project_id);
  put("alarm_level", e.alarm_level);
  return labels;
}

json::object alert_of(const Event& e, std::chrono::system_clock::time_point now) {
  boost::system::error_code ec;
  json::value parsed = json::parse(e.details_json, ec);
  const json::object details = !ec && parsed.is_object() ? parsed.as_object() : json::object();

  const EventView view = view_of(e);
  std::string description;
  for (const auto& f : view.facts) description += f.label + ": " + f.value + "\n";
  if (!description.empty()) description.pop_back();
  json::object annotations{{"summary", view.summary}, {"description", description}};
  if (!e.project_name.empty())
    annotations["project_name"] = truncate_chars(valid_utf8(e.project_name), 200);
  annotations["event_id"] = valid_utf8(e.id);
  if (!view.page.empty()) annotations["omswatch_url"] = view.page;

  json::object alert{{"labels", labels_of(e)}, {"annotations", std::move(annotations)}};
  if (is_test(e)) {
    alert["startsAt"] = format_rfc3339(now);
    alert["endsAt"] = format_rfc3339(now + kTestAlertLasts);
  } else if (e.state == "resolved") {
    alert["startsAt"] =
        format_rfc3339(e.observed_at - std::chrono::seconds(detail_seconds(details, "duration_s")));
    alert["endsAt"] = format_rfc3339(e.observed_at);
  } else {
    // A reminder knows how long the condition has held; a first firing started when observed.
    alert["startsAt"] = format_rfc3339(
        e.observed_at - std::chrono::seconds(detail_seconds(details, "firing_for_s")));
    alert["endsAt"] = format_rfc3339(std::max(now, e.observed_at) + 4 * kResendEvery);
  }
  if (!view.link.empty()) alert["generatorURL"] = view.link;
  return alert;
}

std::optional<DeliveryOutcome> without_request(const std::vector<Event>& events) {
  if (std::any_of(events.begin(), events.end(), is_sent)) return std::nullopt;
  return DeliveryOutcome{DeliveryOutcome::Result::delivered,
                         "nothing sent: notices are not Alertmanager alerts", std::nullopt};
}

// The alerts go to {url}/api/v2/alerts, with the secret as a bearer token,
// else the URL's user info as Basic credentials.
void sign(Message& m, const Delivery& d) {
  Endpoint endpoint = alerts_endpoint(m.url);
  m.url = std::move(endpoint.url);
  if (!d.receiver.secret.empty()) {
    m.headers.push_back({"Authorization", "Bearer " + d.receiver.secret.reveal()});
  } else if (!endpoint.authorization.empty()) {
    m.headers.push_back({"Authorization", std::move(endpoint.authorization)});
  }
}

void annotate(DeliveryOutcome& outcome, const std::vector<Event>& events) {
  if (outcome.result == DeliveryOutcome::Result::delivered &&
      std::any_of(events.begin(), events.end(), is_test)) {
    outcome.detail += "; alert " + std::string(kTestAlertName) + " ends by itself in " +
                      std::to_string(kTestAlertLasts.count()) + " minutes";
  }
}

}  // namespace

DeliveryOutcome alertmanager_outcome(const boost::system::result<net::HttpResponse>& result) {
  DeliveryOutcome out = outcome_from_http(result, nullptr);
  // Alertmanager answers 200 with an empty body; whatever else it says is shown.
  if (out.result == DeliveryOutcome::Result::delivered) {
    out.detail += result->body.empty() ? " (empty body)" : ": " + bounded_snippet(result->body);
  }
  return out;
}

std::string render_alertmanager_payload(const std::vector<Event>& events,
                                        std::chrono::system_clock::time_point now) {
  // One alert per label set: when a group holds a firing and its resolution,
  // the latest observation is what holds now.
  std::map<std::string, const Event*> latest;
  std::vector<std::string> order;
  for (const auto& e : events) {
    if (!is_sent(e)) continue;
    std::string key = json::serialize(labels_of(e));
    auto [it, inserted] = latest.try_emplace(key, &e);
    if (inserted) {
      order.push_back(std::move(key));
    } else if (e.observed_at >= it->second->observed_at) {
      it->second = &e;
    }
  }
  json::array alerts;
  for (const auto& key : order) {
    if (alerts.size() >= kMaxAlerts) break;
    alerts.push_back(alert_of(*latest.at(key), now));
  }
  return json::serialize(alerts);
}

const Platform& alertmanager_platform() {
  static const Platform platform{
      .type = "alertmanager",
      .render = [](const Delivery& d) { return render_alertmanager_payload(d.events, d.now); },
      .sign = sign,
      .judge = alertmanager_outcome,
      .without_request = without_request,
      .annotate = annotate,
      .resend_firing_every = kResendEvery,
  };
  return platform;
}

}  // namespace omswatch::notifiers
