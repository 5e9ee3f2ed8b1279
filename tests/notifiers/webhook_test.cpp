#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "net/http_client.h"
#include "net/http_server.h"
#include "notifiers/router.h"
#include "notifiers/sender.h"
#include "notifiers/signing.h"
#include "tests/support/io.h"

namespace omswatch::notifiers {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

Event sample_event() {
  Event e;
  e.id = "evt_1";
  e.kind = "project_failed";
  e.state = "firing";
  e.severity = Severity::critical;
  e.oms = "prod";
  e.project_id = "np_4w1";
  e.alarm_level = "HIGH";
  e.summary = "np_4w1 FAILED in INCR_TRANSFER: ORA-01555";
  e.observed_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000));
  e.details_json = R"({"from":"RUNNING","to":"FAILED"})";
  e.progress_json = R"({"status":"FAILED","incrSyncCheckpoint":1689248064})";
  return e;
}

// A loopback receiver answering with a scripted status and body.
struct Fixture {
  boost::asio::io_context ioc;
  net::HttpClient http{ioc.get_executor()};
  std::vector<net::ServerRequest> requests;
  net::ServerResponse answer{200, "text/plain", {}, "ok", false};
  net::HttpServer server{ioc.get_executor(),
                         [this](net::ServerRequest r) -> boost::asio::awaitable<net::ServerResponse> {
                           requests.push_back(std::move(r));
                           co_return answer;
                         }};
  Fixture() { server.listen("127.0.0.1", 0); }
  ~Fixture() { server.stop(); }

  config::Receiver receiver(std::string secret = "") {
    config::Receiver r;
    r.name = "ops";
    r.type = "webhook";
    r.url = config::Secret("http://127.0.0.1:" + std::to_string(server.port()) + "/in?token=t");
    r.secret = config::Secret(std::move(secret));
    r.timeout = 5s;
    return r;
  }

  DeliveryOutcome send(const config::Receiver& r, std::vector<Event> events) {
    SenderContext ctx;
    ctx.http = &http;
    ctx.now = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)); };
    auto sender = make_sender(r, ctx);
    EXPECT_TRUE(sender);
    return testing::run_coro<DeliveryOutcome>(ioc, [&]() { return (*sender)->send(events, "msg_42"); });
  }
};

TEST(WebhookSender, PostsThePayloadContractSigned) {
  Fixture f;
  auto out = f.send(f.receiver("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), {sample_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::delivered);
  ASSERT_EQ(f.requests.size(), 1u);
  const auto& req = f.requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/in?token=t");
  EXPECT_EQ(req.header("Content-Type"), "application/json");
  EXPECT_EQ(req.header("webhook-id"), "msg_42");
  EXPECT_EQ(req.header("webhook-timestamp"), "1800000000");
  EXPECT_EQ(req.header("webhook-signature"),
            standard_webhooks_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_42",
                                        1800000000, req.body));

  auto payload = json::parse(req.body).as_object();
  EXPECT_EQ(payload.at("version").as_int64(), 1);
  EXPECT_EQ(payload.at("receiver").as_string(), "ops");
  auto& e = payload.at("events").as_array().at(0).as_object();
  EXPECT_EQ(e.at("id").as_string(), "evt_1");
  EXPECT_EQ(e.at("kind").as_string(), "project_failed");
  EXPECT_EQ(e.at("state").as_string(), "firing");
  EXPECT_EQ(e.at("severity").as_string(), "critical");
  EXPECT_EQ(e.at("oms").as_string(), "prod");
  EXPECT_EQ(e.at("project_id").as_string(), "np_4w1");
  EXPECT_EQ(e.at("alarm_level").as_string(), "HIGH");
  EXPECT_EQ(e.at("summary").as_string(), "np_4w1 FAILED in INCR_TRANSFER: ORA-01555");
  EXPECT_EQ(e.at("observed_at").as_string(), "1970-01-21T18:36:40Z");
  EXPECT_EQ(e.at("details").at("to").as_string(), "FAILED");
  EXPECT_EQ(e.at("progress").at("incrSyncCheckpoint").as_int64(), 1689248064);
  EXPECT_FALSE(e.contains("acked_by")) << "no ack: no field";
}

TEST(WebhookSender, AResolutionNamesWhoHadAckedItsCondition) {
  Fixture f;
  Event resolved = sample_event();
  resolved.state = "resolved";
  resolved.acked_by = "alice";
  resolved.ack_reason = "restarting the source";
  f.send(f.receiver(""), {resolved});
  ASSERT_EQ(f.requests.size(), 1u);
  auto payload = json::parse(f.requests[0].body).as_object();
  auto& e = payload.at("events").as_array().at(0).as_object();
  EXPECT_EQ(e.at("acked_by").as_string(), "alice");
  EXPECT_EQ(e.at("ack_reason").as_string(), "restarting the source");
}

TEST(WebhookSender, NoSignatureWithoutASecret) {
  Fixture f;
  f.send(f.receiver(), {sample_event(), sample_event()});
  ASSERT_EQ(f.requests.size(), 1u);
  EXPECT_TRUE(f.requests[0].header("webhook-signature").empty());
  EXPECT_EQ(json::parse(f.requests[0].body).at("events").as_array().size(), 2u);
}

TEST(WebhookSender, ServerErrorsAndThrottlingAreRetried) {
  Fixture f;
  f.answer = {503, "text/plain", {}, "busy", false};
  auto out = f.send(f.receiver(), {sample_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::retry);
  EXPECT_EQ(out.detail, "HTTP 503: busy");

  f.answer = {429, "text/plain", {{"Retry-After", "17"}}, "", false};
  out = f.send(f.receiver(), {sample_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::retry);
  ASSERT_TRUE(out.retry_after);
  EXPECT_EQ(*out.retry_after, 17s);
}

TEST(WebhookSender, ClientErrorsAreFinal) {
  Fixture f;
  f.answer = {404, "text/plain", {}, std::string(1000, 'x') + "\n", false};
  auto out = f.send(f.receiver(), {sample_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::rejected);
  EXPECT_LE(out.detail.size(), 220u);  // the receiver's reply is bounded
}

TEST(WebhookSender, NetworkFailureIsRetried) {
  Fixture f;
  auto r = f.receiver();
  f.server.stop();
  auto out = f.send(r, {sample_event()});
  EXPECT_EQ(out.result, DeliveryOutcome::Result::retry);
  EXPECT_FALSE(out.detail.empty());
}

TEST(MakeSender, UnknownTypeIsAnErrorNamingTheReceiver) {
  config::Receiver r;
  r.name = "pager";
  r.type = "carrier-pigeon";
  boost::asio::io_context ioc;
  net::HttpClient http(ioc.get_executor());
  SenderContext ctx;
  ctx.http = &http;
  auto s = make_sender(r, ctx);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("pager"), std::string::npos);
}

TEST(Router, RoutesByAlarmLevelAndMinSeverity) {
  config::Config c;
  c.routes["HIGH"].receivers = {"oncall"};
  c.routes["MEDIUM"].receivers = {"ops"};
  c.routes["LOW"].receivers = {"ops"};
  c.routes["LOW"].min_severity = Severity::critical;
  c.routes["IGNORE"].receivers = {};
  EXPECT_EQ(route_event(c, "HIGH", Severity::info), std::vector<std::string>{"oncall"});
  EXPECT_EQ(route_event(c, "LOW", Severity::warning), std::vector<std::string>{});
  EXPECT_EQ(route_event(c, "LOW", Severity::critical), std::vector<std::string>{"ops"});
  EXPECT_EQ(route_event(c, "", Severity::info), std::vector<std::string>{"ops"});
  EXPECT_EQ(route_event(c, "SOMETHING_NEW", Severity::info), std::vector<std::string>{"ops"});
  EXPECT_EQ(route_event(c, "IGNORE", Severity::critical), std::vector<std::string>{});
  EXPECT_EQ(highest_alarm_level({"LOW", "HIGH", "MEDIUM"}), "HIGH");
  EXPECT_EQ(highest_alarm_level({"IGNORE"}), "IGNORE");
  EXPECT_EQ(highest_alarm_level({}), "MEDIUM");
}


// With daemon.public_url, each event carries `omswatch_url`, its page in
// omswatch's console; without, the field is absent.
TEST(WebhookSender, EventsCarryTheirConsolePage) {
  Fixture f;
  Event linked = sample_event();
  linked.omswatch_url = "https://ops.example.com/omswatch/projects/np_4w1?oms=prod";
  Event plain = sample_event();
  plain.id = "evt_2";
  f.send(f.receiver(), {linked, plain});
  ASSERT_EQ(f.requests.size(), 1u);
  auto payload = json::parse(f.requests[0].body).as_object();
  EXPECT_EQ(payload.at("version").as_int64(), 1);  // a field added, none changed
  const auto& events = payload.at("events").as_array();
  EXPECT_EQ(events.at(0).at("omswatch_url").as_string(),
            "https://ops.example.com/omswatch/projects/np_4w1?oms=prod");
  EXPECT_FALSE(events.at(1).as_object().contains("omswatch_url"));
}

}  // namespace
}  // namespace omswatch::notifiers
