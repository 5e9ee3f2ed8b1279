#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <fstream>

#include "common/time.h"
#include "tests/notifiers/notifier_test_support.h"
#include "tests/support/process.h"
#include "tests/support/real_alertmanager.h"
#include "tests/support/temp_dir.h"

namespace omswatch::notifiers {
namespace {

namespace json = boost::json;
using test::FakePlatform;
using namespace std::chrono_literals;

json::object labels(const json::value& alert) { return alert.at("labels").as_object(); }

Event unreachable_event() {
  Event e;
  e.id = "evt_unreachable";
  e.kind = "oms_unreachable";
  e.state = "firing";
  e.severity = Severity::critical;
  e.oms = "prod";
  e.alarm_level = "HIGH";
  e.summary = "OMS prod unreachable: connection refused";
  e.observed_at = test::at_unix(1'800'000'000);
  e.details_json = R"({"error":"connection refused","failed_polls":9})";
  return e;
}

Event resolution_of(Event firing, std::chrono::system_clock::time_point at, std::int64_t lasted_s) {
  firing.id += "_resolved";
  firing.state = "resolved";
  firing.summary = firing.project_id + " is no longer FAILED (now RUNNING) after " +
                   std::to_string(lasted_s) + "s";
  firing.observed_at = at;
  firing.details_json = R"({"status":"RUNNING","duration_s":)" + std::to_string(lasted_s) + "}";
  return firing;
}

// ---- against a loopback stand-in

TEST(AlertmanagerSender, PostsConditionsAsAlertsWithStableLabels) {
  FakePlatform p;
  p.answer = {200, "application/json", {}, "", false};
  auto out =
      p.send(p.receiver("alertmanager", "/am/"), {test::failed_event(), unreachable_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  EXPECT_EQ(p.last().method, "POST");
  EXPECT_EQ(p.last().target, "/am/api/v2/alerts");
  EXPECT_EQ(p.last().header("Content-Type"), "application/json");
  EXPECT_TRUE(p.last().header("Authorization").empty());

  auto alerts = p.last_json().as_array();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(labels(alerts[0]), (json::object{{"alertname", "project_failed"},
                                             {"severity", "critical"},
                                             {"oms", "prod"},
                                             {"project_id", "np_4w1"},
                                             {"alarm_level", "HIGH"}}));
  // An OMS-level condition has no project.
  EXPECT_EQ(labels(alerts[1]), (json::object{{"alertname", "oms_unreachable"},
                                             {"severity", "critical"},
                                             {"oms", "prod"},
                                             {"alarm_level", "HIGH"}}));
  const auto& a = alerts[0].as_object();
  EXPECT_EQ(a.at("startsAt").as_string(), "2027-01-15T08:00:00Z");
  EXPECT_EQ(a.at("endsAt").as_string(), "2027-01-15T08:04:00Z");  // now + 4 resend intervals
  EXPECT_EQ(a.at("generatorURL").as_string(), "https://oms.example.internal/project/np_4w1");
  EXPECT_EQ(a.at("annotations").at("summary").as_string(),
            "np_4w1 FAILED in INCR_TRANSFER: ORA-01555 snapshot too old");
  EXPECT_EQ(a.at("annotations").at("project_name").as_string(), "orders-to-ob");
  std::string description(a.at("annotations").at("description").as_string());
  EXPECT_NE(description.find("Error: ORA-01555 snapshot too old"), std::string::npos)
      << description;
  EXPECT_FALSE(alerts[1].as_object().contains("generatorURL"));
}

TEST(AlertmanagerSender, ResolvedAlertsSpanTheCondition) {
  FakePlatform p;
  p.answer = {200, "application/json", {}, "", false};
  auto firing = test::failed_event();
  auto resolved = resolution_of(firing, test::at_unix(1'800'000'600), 600);
  p.send(p.receiver("alertmanager", ""), {resolved});
  EXPECT_EQ(p.last().target, "/api/v2/alerts");
  auto alert = p.last_json().at(0);
  EXPECT_EQ(labels(alert), labels(json::parse(render_alertmanager_payload({firing}, p.now)).at(0)));
  EXPECT_EQ(alert.at("startsAt").as_string(), "2027-01-15T08:00:00Z");
  EXPECT_EQ(alert.at("endsAt").as_string(), "2027-01-15T08:10:00Z");

  // A reminder starts where the condition started.
  auto reminder = test::failed_event();
  reminder.observed_at = test::at_unix(1'800'003'600);
  reminder.details_json = R"({"repeat":1,"firing_for_s":3600})";
  p.now = test::at_unix(1'800'003'601);
  p.send(p.receiver("alertmanager", ""), {reminder});
  EXPECT_EQ(p.last_json().at(0).at("startsAt").as_string(), "2027-01-15T08:00:00Z");
  EXPECT_EQ(p.last_json().at(0).at("endsAt").as_string(), "2027-01-15T09:04:01Z");
}

TEST(AlertmanagerSender, NoticesAreNotSentAndALabelSetIsSentOnce) {
  FakePlatform p;
  p.answer = {200, "application/json", {}, "", false};
  auto out = p.send(p.receiver("alertmanager", ""), {test::status_notice()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered);
  EXPECT_TRUE(p.requests.empty());

  auto firing = test::failed_event();
  auto resolved = resolution_of(firing, test::at_unix(1'800'000'300), 300);
  p.send(p.receiver("alertmanager", ""), {test::status_notice(), firing, resolved});
  auto alerts = p.last_json().as_array();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].at("endsAt").as_string(), "2027-01-15T08:05:00Z");  // the resolution
}

// `omswatch notify-test`'s message (a notice of kind "test") is the one
// notice sent: a short-lived alert, so the test shows in Alertmanager.
TEST(AlertmanagerSender, TheTestMessageIsAShortLivedAlert) {
  FakePlatform p;
  p.answer = {200, "application/json", {}, "", false};
  Event test = test::status_notice();
  test.kind = "test";
  test.project_id.clear();
  test.alarm_level = "MEDIUM";
  test.summary = "omswatch test message from host to receiver 'team'";
  auto out = p.send(p.receiver("alertmanager", ""), {test});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  ASSERT_EQ(p.requests.size(), 1u);
  EXPECT_EQ(p.last().method, "POST");
  EXPECT_EQ(p.last().target, "/api/v2/alerts");
  auto alerts = p.last_json().as_array();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(labels(alerts[0]), (json::object{{"alertname", "omswatch_test"},
                                             {"severity", "info"},
                                             {"oms", "prod"},
                                             {"alarm_level", "MEDIUM"}}));
  EXPECT_EQ(alerts[0].at("annotations").at("summary").as_string(), test.summary);
  // It starts now and ends by itself five minutes later: nothing has to resolve it.
  EXPECT_EQ(alerts[0].at("startsAt").as_string(), format_rfc3339(p.now));
  EXPECT_EQ(alerts[0].at("endsAt").as_string(), format_rfc3339(p.now + 5min));
  // The outcome carries Alertmanager's answer.
  EXPECT_EQ(out.detail, "HTTP 200 (empty body); alert omswatch_test ends by itself in 5 minutes");

  p.answer = {200, "application/json", {}, R"({"note":"accepted"})", false};
  out = p.send(p.receiver("alertmanager", ""), {test});
  EXPECT_NE(out.detail.find(R"(HTTP 200: {"note":"accepted"})"), std::string::npos) << out.detail;
  p.answer = {400, "application/json", {}, R"("bad alert")", false};
  out = p.send(p.receiver("alertmanager", ""), {test});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::rejected);
  EXPECT_EQ(out.detail, R"(HTTP 400: "bad alert")");
}

TEST(AlertmanagerSender, CredentialsFromTheUrlOrTheSecret) {
  FakePlatform p;
  p.answer = {200, "application/json", {}, "", false};
  auto r = p.receiver("alertmanager", "");
  r.url = config::Secret(
      "http://omswatch:p%40ss:w0rd@127.0.0.1:" + std::to_string(p.server.port()) + "/");
  p.send(r, {test::failed_event()});
  EXPECT_EQ(p.last().header("Authorization"),
            "Basic " + test::openssl_base64("omswatch:p@ss:w0rd"));
  EXPECT_EQ(p.last().target, "/api/v2/alerts");

  r.secret = config::Secret("bearer-token-1");
  p.send(r, {test::failed_event()});
  EXPECT_EQ(p.last().header("Authorization"), "Bearer bearer-token-1");

  p.answer = {401, "text/plain", {}, "Unauthorized", false};
  auto out = p.send(r, {test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::rejected);
  EXPECT_EQ(out.detail.find("p@ss"), std::string::npos);
  EXPECT_EQ(out.detail.find("bearer-token-1"), std::string::npos);
}

TEST(AlertmanagerSender, ErrorsMapAndResendInterval) {
  FakePlatform p;
  p.answer = {400, "application/json", {}, R"("start time must be before end time")", false};
  auto out = p.send(p.receiver("alertmanager", ""), {test::failed_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::rejected);
  EXPECT_NE(out.detail.find("start time must be before end time"), std::string::npos);
  p.answer = {503, "text/plain", {}, "", false};
  EXPECT_EQ(p.send(p.receiver("alertmanager", ""), {test::failed_event()}).result,
            DeliveryOutcome::Result::retry);

  EXPECT_EQ(p.make(p.receiver("alertmanager", ""))->resend_firing_every(), std::optional(60s));
  EXPECT_EQ(p.make(p.receiver("webhook", ""))->resend_firing_every(), std::nullopt);
}

// ---- against the real Alertmanager

using testing::find_alert;
using testing::kAlertmanager;
using testing::RealAlertmanager;

TEST(AlertmanagerSender, RealAlertmanagerFiresAndResolvesByLabels) {
  if (!std::filesystem::exists(kAlertmanager)) GTEST_SKIP() << kAlertmanager << " is not installed";
  FakePlatform p;  // its client and io_context; the platform itself is unused
  RealAlertmanager am;
  ASSERT_TRUE(testing::run_coro<bool>(
      p.ioc, [&] { return am.wait_ready(p.http); }, 30s))
      << am.log();

  const auto now = std::chrono::system_clock::now();
  p.now = now;
  auto firing = test::failed_event();
  firing.observed_at = now - 60s;
  auto unreachable = unreachable_event();
  unreachable.observed_at = now - 30s;
  auto r = p.receiver("alertmanager", "");
  r.url = config::Secret(am.base_url() + "/");
  auto out = p.send(r, {firing, unreachable});
  ASSERT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail << am.log();

  auto alerts = testing::run_coro<json::array>(p.ioc, [&] { return am.active_alerts(p.http); });
  ASSERT_EQ(alerts.size(), 2u) << json::serialize(alerts);
  const json::value* failed = find_alert(alerts, "project_failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(labels(*failed), (json::object{{"alertname", "project_failed"},
                                           {"severity", "critical"},
                                           {"oms", "prod"},
                                           {"project_id", "np_4w1"},
                                           {"alarm_level", "HIGH"}}));
  EXPECT_EQ(failed->at("annotations").at("summary").as_string(), firing.summary);
  EXPECT_EQ(failed->at("generatorURL").as_string(), firing.link);
  EXPECT_NE(std::string(failed->at("status").at("state").as_string()), "suppressed");

  // The resolution matches its alert by labels alone and leaves the other firing.
  out = p.send(r, {resolution_of(firing, now - 1s, 59)});
  ASSERT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  alerts = testing::run_coro<json::array>(p.ioc, [&] { return am.active_alerts(p.http); });
  EXPECT_EQ(find_alert(alerts, "project_failed"), nullptr) << json::serialize(alerts);
  EXPECT_NE(find_alert(alerts, "oms_unreachable"), nullptr) << json::serialize(alerts);
}

TEST(AlertmanagerSender, RealAlertmanagerWithBasicAuth) {
  if (!std::filesystem::exists(kAlertmanager)) GTEST_SKIP() << kAlertmanager << " is not installed";
  FakePlatform p;
  // bcrypt of "p@ss:w0rd"
  RealAlertmanager am(
      "basic_auth_users:\n  omswatch: "
      "$2b$04$C2T6SeBaiedoXA0ivcBXgegH7BG/FiASoPXaOI.8bX/Fi5iA93.Ka\n");
  const std::string credentials = "Basic " + test::openssl_base64("omswatch:p@ss:w0rd");
  ASSERT_TRUE(testing::run_coro<bool>(
      p.ioc, [&] { return am.wait_ready(p.http, credentials); }, 30s))
      << am.log();
  p.now = std::chrono::system_clock::now();
  auto firing = test::failed_event();
  firing.observed_at = p.now;

  auto r = p.receiver("alertmanager", "");
  r.url = config::Secret(am.base_url());
  auto out = p.send(r, {firing});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::rejected);  // 401 without credentials
  EXPECT_NE(out.detail.find("401"), std::string::npos);

  r.url = config::Secret("http://omswatch:p%40ss:w0rd@127.0.0.1:" +
                         am.base_url().substr(am.base_url().rfind(':') + 1));
  out = p.send(r, {firing});
  ASSERT_EQ(out.result, DeliveryOutcome::Result::delivered) << out.detail;
  EXPECT_EQ(out.detail.find("p@ss"), std::string::npos);
  auto alerts =
      testing::run_coro<json::array>(p.ioc, [&] { return am.active_alerts(p.http, credentials); });
  EXPECT_NE(find_alert(alerts, "project_failed"), nullptr) << json::serialize(alerts);
}

// With daemon.public_url, each alert carries its page in omswatch's console
// as the annotation omswatch_url: a project's page, or for an OMS-level
// condition the overview of that OMS. generatorURL stays the OMS console's.
TEST(AlertmanagerSender, AlertsCarryTheirConsolePageAsAnAnnotation) {
  FakePlatform p;
  p.answer = {200, "application/json", {}, "", false};
  p.send(p.receiver("alertmanager", "/"),
         {test::on_console(test::failed_event()), test::on_console(unreachable_event()),
          test::lagging_event()});
  auto alerts = p.last_json().as_array();
  ASSERT_EQ(alerts.size(), 3u);
  EXPECT_EQ(alerts[0].at("annotations").at("omswatch_url").as_string(), test::kFailedPage);
  EXPECT_EQ(alerts[0].at("generatorURL").as_string(),
            "https://oms.example.internal/project/np_4w1");
  EXPECT_EQ(alerts[1].at("annotations").at("omswatch_url").as_string(),
            std::string(test::kPublicUrl) + "?oms=prod");
  EXPECT_FALSE(alerts[2].at("annotations").as_object().contains("omswatch_url"));
}

}  // namespace
}  // namespace omswatch::notifiers
