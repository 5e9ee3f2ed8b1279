// The HTTP API's acks and silences over a real loopback socket, with the real
// client, against a real SQLite file; and their effect on the dispatcher that
// reads the same file: an ack made through the API stops the next reminder, a
// silence made through it holds a delivery back.

#include "daemon/http_api_writes.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "daemon/dispatcher.h"
#include "daemon/dispatcher_outbox.h"
#include "daemon/http_api.h"
#include "daemon/metrics.h"
#include "net/http_client.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/io.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace storage::testing;
using notifiers::DeliveryOutcome;
using SendResult = boost::system::result<net::HttpResponse>;

constexpr const char* kToken = "tok_9f8e7d6c5b4a3210";

// Records every message; wants the firing conditions re-sent every minute
// (as Alertmanager does) when `reminded`.
class RecordingSender : public notifiers::Sender {
 public:
  RecordingSender(std::vector<std::vector<std::string>>& sent, bool reminded)
      : Sender("am"), sent_(sent), reminded_(reminded) {}
  asio::awaitable<DeliveryOutcome> send(std::vector<notifiers::Event> events,
                                        std::string) override {
    std::vector<std::string> ids;
    for (const auto& e : events) ids.push_back(e.project_id + "/" + e.kind);
    sent_.push_back(std::move(ids));
    co_return DeliveryOutcome{DeliveryOutcome::Result::delivered, "200", {}};
  }
  std::optional<std::chrono::seconds> resend_firing_every() const override {
    if (!reminded_) return std::nullopt;
    return std::chrono::seconds(60);
  }

 private:
  std::vector<std::vector<std::string>>& sent_;
  bool reminded_;
};

class HttpApiWritesTest : public ::testing::Test {
 protected:
  ~HttpApiWritesTest() override {
    dispatcher_.reset();
    api_.reset();
    omswatch::testing::settle(ioc_);
  }

  void fire(const std::string& project, storage::TimeMs at) {
    auto e = make_event("evt_" + project + "_" + std::to_string(at), project, "project_failed",
                        "firing", "critical", at);
    OMSWATCH_RECORD(*store_, poll_write(ok_sample(project, at), {e}, {"am"}));
  }

  void start_api(std::string token = kToken) {
    HttpApiOptions o;
    o.listen = "127.0.0.1:0";
    o.bearer_token = config::Secret(std::move(token));
    o.clock = [this] { return now(); };
    api_ = std::make_unique<HttpApi>(
        ioc_.get_executor(), metrics_, [] { return HealthReport{}; }, *store_, std::move(o));
    auto started = api_->start();
    ASSERT_TRUE(started.has_value()) << started.error();
  }

  void start_dispatcher(bool reminded) {
    std::map<std::string, std::unique_ptr<notifiers::Sender>> senders;
    senders["am"] = std::make_unique<RecordingSender>(sent_, reminded);
    DispatcherOptions options;
    options.steady = &clock_;
    options.jitter = [] { return 1.0; };
    dispatcher_ = std::make_unique<Dispatcher>(
        ioc_.get_executor(), outbox_, std::move(senders), [this] { return now(); },
        std::move(options));
    dispatcher_->start();
    omswatch::testing::settle(ioc_);
  }

  SystemTime now() const { return from_unix_ms(kT0) + (clock_.now() - origin_); }

  // Moves time on by `by`, running every wake-up on the way.
  void advance(std::chrono::milliseconds by) {
    const auto end = clock_.now() + by;
    for (int guard = 0; guard < 100'000; ++guard) {
      const auto next = clock_.next_wake();
      if (!next || *next > end) break;
      clock_.advance(std::max(*next - clock_.now(), omswatch::testing::ManualClock::Duration{}));
      omswatch::testing::settle(ioc_);
    }
    if (end > clock_.now()) clock_.advance(end - clock_.now());
    omswatch::testing::settle(ioc_);
  }

  SendResult send(const std::string& method, const std::string& target, const std::string& body,
                  net::Headers headers = {{"Authorization", std::string("Bearer ") + kToken},
                                          {"Content-Type", "application/json"}}) {
    net::HttpRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(api_->port()) + target;
    request.headers = std::move(headers);
    request.body = body;
    return omswatch::testing::run_coro<SendResult>(
        ioc_, [&]() -> asio::awaitable<SendResult> { co_return co_await client_.send(request); });
  }

  // A request that must answer `status` with a JSON object; returns it.
  json::object call(const std::string& method, const std::string& target, const std::string& body,
                    unsigned status,
                    net::Headers headers = {{"Authorization", std::string("Bearer ") + kToken},
                                            {"Content-Type", "application/json"}}) {
    auto r = send(method, target, body, std::move(headers));
    if (!r) {
      ADD_FAILURE() << target << ": " << r.error().message();
      return {};
    }
    EXPECT_EQ(r->status, status) << method << " " << target << ": " << r->body;
    boost::system::error_code ec;
    json::value v = json::parse(r->body, ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << target << ": not a JSON object: " << r->body;
      return {};
    }
    return v.as_object();
  }

  omswatch::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_ = open_store(dir_.file("omswatch.db"));
  StoreOutbox outbox_{*store_};
  omswatch::testing::ManualClock clock_;
  const omswatch::testing::ManualClock::TimePoint origin_ = clock_.now();
  std::vector<std::vector<std::string>> sent_;
  Metrics metrics_{"9.9.9", [this] { return now(); }};
  asio::io_context ioc_;
  net::HttpClient client_{ioc_.get_executor()};
  std::unique_ptr<HttpApi> api_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(HttpApiWritesTest, AnAckMadeThroughTheApiStopsTheNextReminder) {
  fire("np_1", kT0);
  fire("np_2", kT0);
  ASSERT_NO_FATAL_FAILURE(start_api());
  start_dispatcher(/*reminded=*/true);
  ASSERT_EQ(sent_.size(), 1u);
  advance(std::chrono::seconds(60));
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1], (std::vector<std::string>{"np_1/project_failed", "np_2/project_failed"}));

  auto created = call("POST", "/api/v1/acks",
                      R"({"project_id":"np_1","kind":"project_failed","acked_by":"alice",)"
                      R"("reason":"restarting the source"})",
                      201);
  const auto& ack = created.at("ack").as_object();
  EXPECT_EQ(ack.at("state").as_string(), "in_force");
  EXPECT_EQ(ack.at("oms").as_string(), "prod");
  EXPECT_EQ(ack.at("acked_by").as_string(), "alice");
  const auto id = ack.at("id").as_int64();

  advance(std::chrono::seconds(60));
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[2], std::vector<std::string>{"np_2/project_failed"});

  auto listed = call("GET", "/api/v1/acks", "", 200);
  ASSERT_EQ(listed.at("acks").as_array().size(), 1u);
  EXPECT_EQ(listed.at("acks").as_array()[0].at("reason").as_string(), "restarting the source");

  // Removed: the condition is reminded of again.
  auto removed = call("POST", "/api/v1/acks/" + std::to_string(id) + "/remove",
                      R"({"removed_by":"bob"})", 200);
  EXPECT_EQ(removed.at("state").as_string(), "removed");
  advance(std::chrono::seconds(60));
  ASSERT_EQ(sent_.size(), 4u);
  EXPECT_EQ(sent_[3].size(), 2u);
  call("POST", "/api/v1/acks/" + std::to_string(id) + "/remove", "{}", 404);
  EXPECT_TRUE(call("GET", "/api/v1/acks", "", 200).at("acks").as_array().empty());
  EXPECT_EQ(call("GET", "/api/v1/acks?all=true", "", 200).at("acks").as_array().size(), 1u);
}

TEST_F(HttpApiWritesTest, ASilenceMadeThroughTheApiHoldsADeliveryBack) {
  ASSERT_NO_FATAL_FAILURE(start_api());
  auto created = call("POST", "/api/v1/silences",
                      R"({"project_id":"np_1","duration":"2h","comment":"billing maintenance",)"
                      R"("created_by":"alice"})",
                      201);
  const auto& silence = created.at("silence").as_object();
  EXPECT_EQ(silence.at("project_id").as_string(), "np_1");
  EXPECT_EQ(silence.at("ends_at").as_string(), format_rfc3339(from_unix_ms(kT0 + 2 * kHour)));
  EXPECT_EQ(call("GET", "/api/v1/silences", "", 200).at("silences").as_array().size(), 1u);

  fire("np_1", kT0);
  fire("np_2", kT0);
  start_dispatcher(/*reminded=*/false);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0], std::vector<std::string>{"np_2/project_failed"});
  auto events = store_->events({});
  ASSERT_TRUE(events.has_value());
  for (const auto& e : *events) {
    ASSERT_EQ(e.deliveries.size(), 1u);
    EXPECT_EQ(e.deliveries[0].status, e.event.project_id == "np_1" ? "silenced" : "delivered");
  }

  const auto id = std::to_string(silence.at("id").as_int64());
  advance(std::chrono::seconds(1));
  EXPECT_EQ(call("POST", "/api/v1/silences/" + id + "/expire", "", 200).at("state").as_string(),
            "expired");
  call("POST", "/api/v1/silences/" + id + "/expire", "", 404);
  EXPECT_TRUE(call("GET", "/api/v1/silences", "", 200).at("silences").as_array().empty());
}

TEST_F(HttpApiWritesTest, AWriteWithoutTheTokenIs401) {
  fire("np_1", kT0);
  ASSERT_NO_FATAL_FAILURE(start_api());
  const std::string body = R"({"project_id":"np_1","kind":"project_failed","acked_by":"x"})";
  for (const char* target : {"/api/v1/acks", "/api/v1/silences", "/api/v1/acks/1/remove"}) {
    auto r = send("POST", target, body, {{"Content-Type", "application/json"}});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 401u) << target;
    EXPECT_EQ(r->header("WWW-Authenticate"), "Bearer realm=\"omswatch\"");
    r = send("POST", target, body,
             {{"Authorization", "Bearer not-the-token"}, {"Content-Type", "application/json"}});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 401u) << target;
  }
  EXPECT_TRUE(store_->acks(true)->empty());
}

TEST_F(HttpApiWritesTest, CrossSiteWritesAreRefused) {
  fire("np_1", kT0);
  ASSERT_NO_FATAL_FAILURE(start_api());
  const std::string auth = std::string("Bearer ") + kToken;
  const std::string body = R"({"project_id":"np_1","kind":"project_failed","acked_by":"x"})";
  // What a form of another site can send without a preflight.
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}) {
    auto o =
        call("POST", "/api/v1/acks", body, 415, {{"Authorization", auth}, {"Content-Type", type}});
    EXPECT_EQ(o.at("error").as_string(), "a write needs Content-Type: application/json");
  }
  const std::string self = "http://127.0.0.1:" + std::to_string(api_->port());
  for (const net::Headers& h :
       {net::Headers{{"Sec-Fetch-Site", "cross-site"}},
        net::Headers{{"Sec-Fetch-Site", "same-site"}},
        net::Headers{{"Origin", "https://evil.example"}}, net::Headers{{"Origin", "null"}},
        net::Headers{{"Origin", self + "0"}}}) {
    net::Headers all = h;
    all.push_back({"Authorization", auth});
    all.push_back({"Content-Type", "application/json"});
    auto o = call("POST", "/api/v1/acks", body, 403, all);
    EXPECT_NE(std::string(o.at("error").as_string()).find("cross-site requests cannot write"),
              std::string::npos);
  }
  EXPECT_TRUE(store_->acks(true)->empty());
  // The endpoint's own page may write.
  call("POST", "/api/v1/acks", body, 201,
       {{"Authorization", auth},
        {"Content-Type", "application/json; charset=utf-8"},
        {"Origin", self},
        {"Sec-Fetch-Site", "same-origin"}});
}

TEST_F(HttpApiWritesTest, BadBodiesAre400NamingTheField) {
  fire("np_1", kT0);
  ASSERT_NO_FATAL_FAILURE(start_api());
  struct Case {
    std::string body;
    std::string field;
    std::string error;
  };
  const std::vector<Case> acks = {
      {"[1]", "", "the body must be a JSON object"},
      {"{", "", "the body must be a JSON object"},
      {R"({"kind":"project_failed","acked_by":"x"})", "project_id", "is required"},
      {R"({"project_id":"np_1","acked_by":"x"})", "kind", "is required"},
      {R"({"project_id":"np_1","kind":"project_failed"})", "acked_by", "is required"},
      {R"({"project_id":"np_1","kind":"project_failed","acked_by":7})", "acked_by",
       "must be a string"},
      {R"({"project_id":"np_1","kind":"project_failed","acked_by":"x","who":"y"})", "who",
       "unknown field; this request takes oms, project_id, kind, acked_by, reason"},
      {R"({"project_id":"np_1","kind":"project_failed","acked_by":"x\u001b[2J"})", "acked_by",
       "must be one line of UTF-8 text without control characters or terminal escapes"},
      {R"({"project_id":"np_1","kind":"project_failed","acked_by":"x","reason":")" +
           std::string(501, 'r') + "\"}",
       "reason", "is 501 bytes long; at most 500 are kept"},
  };
  for (const auto& c : acks) {
    auto o = call("POST", "/api/v1/acks", c.body, 400);
    EXPECT_EQ(o["error"], json::value(c.error)) << c.body;
    EXPECT_EQ(o.contains("field") ? std::string(o.at("field").as_string()) : "", c.field) << c.body;
  }
  auto o = call("POST", "/api/v1/acks",
                R"({"project_id":"np_1","kind":"incr_lagging","acked_by":"x"})", 409);
  EXPECT_EQ(o["error"], json::value("incr_lagging of np_1 is not firing now"));

  const std::vector<Case> silences = {
      {R"({"duration":"1h","comment":"c","created_by":"x"})", "project_id",
       "say what to silence: oms, project_id and/or kind"},
      {R"({"project_id":"np_1","comment":"c","created_by":"x"})", "duration",
       "duration needs a duration such as 2h"},
      {R"({"project_id":"np_1","duration":"400d","comment":"c","created_by":"x"})", "duration",
       "duration '400d' is longer than 366d; silence for less and renew it"},
      {R"({"project_id":"np_1","duration":"1h","created_by":"x"})", "comment",
       "comment: say why, for whoever is on call next"},
      {R"({"project_id":"np_1","duration":"1h","comment":"c"})", "created_by",
       "created_by is required"},
      {R"({"project_id":"np_1","duration":"1h","comment":"c","created_by":"x","starts":"soon"})",
       "starts", ""},
  };
  for (const auto& c : silences) {
    auto o = call("POST", "/api/v1/silences", c.body, 400);
    if (!c.error.empty()) {
      EXPECT_EQ(o["error"], json::value(c.error)) << c.body;
    }
    EXPECT_EQ(o.contains("field") ? std::string(o.at("field").as_string()) : "", c.field) << c.body;
  }
  EXPECT_TRUE(store_->acks(true)->empty());
  EXPECT_TRUE(store_->silences(std::nullopt)->empty());
  call("GET", "/api/v1/acks?all=maybe", "", 400);
}

TEST_F(HttpApiWritesTest, OnlyAcksAndSilencesAreWrittenAndOnlyByPost) {
  ASSERT_NO_FATAL_FAILURE(start_api());
  auto r = send("POST", "/api/v1/projects", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405u);
  EXPECT_EQ(r->header("Allow"), "GET, HEAD");
  for (const char* method : {"PUT", "DELETE", "PATCH"}) {
    r = send(method, "/api/v1/acks", "{}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405u) << method;
    EXPECT_EQ(r->header("Allow"), "GET, HEAD, POST");
  }
  r = send("GET", "/api/v1/silences/1/expire", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405u);
  EXPECT_EQ(r->header("Allow"), "POST");
  r = send("POST", "/api/v1/acks/x/remove", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404u);
}

TEST_F(HttpApiWritesTest, WithoutATokenTheLoopbackEndpointTakesWrites) {
  fire("np_1", kT0);
  ASSERT_NO_FATAL_FAILURE(start_api(""));
  call("POST", "/api/v1/acks", R"({"project_id":"np_1","kind":"project_failed","acked_by":"x"})",
       201, {{"Content-Type", "application/json"}});
}

TEST(WriteRefusal, AsksForJsonAndTheSameOrigin) {
  net::ServerRequest r;
  r.method = "POST";
  r.headers = {{"Content-Type", "Application/JSON ; charset=utf-8"}, {"Host", "127.0.0.1:9187"}};
  EXPECT_FALSE(api::write_refusal(r));
  r.headers.push_back({"Origin", "https://127.0.0.1:9187"});
  r.headers.push_back({"Sec-Fetch-Site", "none"});
  EXPECT_FALSE(api::write_refusal(r));
  r.headers = {{"Content-Type", "application/json"}, {"Origin", "http://127.0.0.1:9187"}};
  auto refused = api::write_refusal(r);
  ASSERT_TRUE(refused) << "an Origin without a Host to compare";
  EXPECT_EQ(refused->status, 403u);
  for (const net::Headers& h : {net::Headers{{"Content-Type", "application/jsonx"}},
                                net::Headers{{"Host", "127.0.0.1:9187"}}}) {
    r.headers = h;
    ASSERT_TRUE(api::write_refusal(r));
    EXPECT_EQ(api::write_refusal(r)->status, 415u);
  }
}

}  // namespace
}  // namespace omswatch::daemon
