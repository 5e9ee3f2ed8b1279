// The daemon's HTTP endpoint over a real loopback socket, with the real
// client, against a real SQLite file written through Store::record.

#include "daemon/http_api.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/metrics.h"
#include "net/http_client.h"
#include "tests/daemon/cli_runner.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/host_name.h"
#include "tests/support/io.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace storage::testing;
using SendResult = boost::system::result<net::HttpResponse>;

constexpr const char* kToken = "tok_9f8e7d6c5b4a3210";

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(dir_.file("omswatch.db"));
    // prod/np_1: RUNNING, polled over two days; the oldest sample is 30h old.
    const storage::TimeMs times[] = {kT0 - 30 * kHour, kT0 - 2 * kHour, kT0 - kHour,
                                     kT0 - 10 * kMinute};
    for (storage::TimeMs at : times) {
      OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", at)));
    }
    // prod/np_2: its last poll failed, after it was seen FAILED.
    auto failed =
        make_event("evt_failed", "np_2", "project_failed", "firing", "critical", kT0 - 6 * kMinute);
    auto np2 = ok_sample("np_2", kT0 - 6 * kMinute);
    np2.status = "FAILED";
    OMSWATCH_RECORD(*store_, poll_write(np2, {failed}, {"oncall", "ops"}));
    OMSWATCH_RECORD(*store_, poll_write(failed_sample("np_2", kT0 - 5 * kMinute)));
    // Events of np_1.
    OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0 - 30 * kMinute),
                                        {make_event("evt_lag", "np_1", "incr_lagging", "firing",
                                                    "warning", kT0 - 30 * kMinute)},
                                        {"ops"}));
    OMSWATCH_RECORD(*store_, poll_write(ok_sample("np_1", kT0 - 50 * kMinute),
                                        {make_event("evt_status", "np_1", "status_changed",
                                                    "notice", "info", kT0 - 50 * kMinute)}));
    // An id that needs percent-encoding in a path, on another OMS.
    OMSWATCH_RECORD(*store_, poll_write(ok_sample("np a/b", kT0 - 20 * kMinute, 7, "staging")));
  }

  HttpApiOptions options(std::string listen = "127.0.0.1:0", std::string token = "") {
    HttpApiOptions o;
    o.listen = std::move(listen);
    o.bearer_token = config::Secret(std::move(token));
    o.clock = [this] { return now_; };
    return o;
  }

  std::unique_ptr<HttpApi> start(HttpApiOptions o) {
    auto api = std::make_unique<HttpApi>(
        ioc_.get_executor(), metrics_, [this] { return health_; }, *store_, std::move(o));
    auto started = api->start();
    EXPECT_TRUE(started.has_value()) << started.error();
    return api;
  }

  SendResult send(std::uint16_t port, const std::string& target, const std::string& method = "GET",
                  net::Headers headers = {}) {
    net::HttpRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(port) + target;
    request.headers = std::move(headers);
    return omswatch::testing::run_coro<SendResult>(
        ioc_, [&]() -> asio::awaitable<SendResult> { co_return co_await client_.send(request); });
  }

  // GET that must answer `status` with a JSON body; returns the body.
  json::value get_json(std::uint16_t port, const std::string& target, unsigned status = 200,
                       net::Headers headers = {}) {
    auto r = send(port, target, "GET", std::move(headers));
    if (!r) {
      ADD_FAILURE() << target << ": " << r.error().message();
      return nullptr;
    }
    EXPECT_EQ(r->status, status) << target << ": " << r->body;
    EXPECT_EQ(r->header("Content-Type"), "application/json") << target;
    boost::system::error_code ec;
    json::value v = json::parse(r->body, ec);
    EXPECT_FALSE(ec) << target << ": not JSON: " << r->body;
    return v;
  }

  omswatch::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  SystemTime now_ = from_unix_ms(kT0);
  Metrics metrics_{"9.9.9", [this] { return now_; }};
  HealthReport health_;
  asio::io_context ioc_;
  net::HttpClient client_{ioc_.get_executor()};
};

std::vector<std::string> strings_of(const json::value& rows, const char* field) {
  std::vector<std::string> out;
  for (const auto& row : rows.as_array()) out.emplace_back(row.at(field).as_string());
  return out;
}

TEST_F(HttpApiTest, ProjectsListTheLatestSampleOfEachProject) {
  auto api = start(options());
  json::value body = get_json(api->port(), "/api/v1/projects");
  const auto& rows = body.at("projects");
  ASSERT_EQ(rows.as_array().size(), 3u) << body;
  EXPECT_EQ(strings_of(rows, "project_id"), (std::vector<std::string>{"np_1", "np_2", "np a/b"}));

  const auto& np1 = rows.at(0).as_object();
  EXPECT_EQ(np1.at("oms"), "prod");
  EXPECT_EQ(np1.at("status"), "RUNNING");
  EXPECT_EQ(np1.at("step"), "INCR_TRANSFER");
  EXPECT_EQ(np1.at("alarm_level"), "HIGH");
  EXPECT_EQ(np1.at("struct_progress"), 100);
  EXPECT_EQ(np1.at("incr_lag_s"), 5);
  EXPECT_EQ(np1.at("observed_at"), "2026-11-29T03:50:00Z");
  EXPECT_EQ(np1.at("last_polled_at"), "2026-11-29T03:50:00Z");
  EXPECT_EQ(np1.at("outcome"), "ok");
  EXPECT_TRUE(np1.at("error").is_null());
  EXPECT_EQ(np1.at("open_conditions"), 1) << np1;  // incr_lagging fires

  const auto& np2 = rows.at(1).as_object();
  EXPECT_EQ(np2.at("outcome"), "error");
  EXPECT_EQ(np2.at("error"), "connect: connection refused");
  EXPECT_TRUE(np2.at("struct_progress").is_null());
}

TEST_F(HttpApiTest, HistoryCoversTheLastDayByDefaultOldestFirst) {
  auto api = start(options());
  json::value body = get_json(api->port(), "/api/v1/projects/np_1/history");
  EXPECT_EQ(body.at("project_id"), "np_1");
  EXPECT_EQ(body.at("since"), "2026-11-28T04:00:00Z");
  EXPECT_TRUE(body.at("until").is_null());
  EXPECT_EQ(body.at("truncated"), false);
  EXPECT_EQ(strings_of(body.at("samples"), "observed_at"),
            (std::vector<std::string>{"2026-11-29T02:00:00Z", "2026-11-29T03:00:00Z",
                                      "2026-11-29T03:10:00Z", "2026-11-29T03:30:00Z",
                                      "2026-11-29T03:50:00Z"}));
  const auto& first = body.at("samples").at(0).as_object();
  EXPECT_EQ(json::value_to<std::string>(first.at("incr_checkpoint")),
            std::to_string((kT0 - 2 * kHour) / 1000 - 5));
  EXPECT_EQ(first.at("latency_ms"), 1);
  EXPECT_TRUE(first.at("reverse_lag_s").is_null());
}

TEST_F(HttpApiTest, HistoryTakesDurationsRfc3339TimesAndALimit) {
  auto api = start(options());
  const auto port = api->port();
  EXPECT_EQ(
      get_json(port, "/api/v1/projects/np_1/history?since=48h").at("samples").as_array().size(),
      6u);
  // An offset: 10:30+08:00 is 02:30Z.
  json::value body = get_json(
      port,
      "/api/v1/projects/np_1/history?since=2026-11-29T10:30:00%2B08:00&until=2026-11-29T03:40:00Z");
  EXPECT_EQ(body.at("since"), "2026-11-29T02:30:00Z");
  EXPECT_EQ(body.at("until"), "2026-11-29T03:40:00Z");
  EXPECT_EQ(strings_of(body.at("samples"), "observed_at"),
            (std::vector<std::string>{"2026-11-29T03:00:00Z", "2026-11-29T03:10:00Z",
                                      "2026-11-29T03:30:00Z"}));
  // More than the limit: the most recent ones, and it says so.
  body = get_json(port, "/api/v1/projects/np_1/history?since=48h&limit=2");
  EXPECT_EQ(body.at("truncated"), true);
  EXPECT_EQ(strings_of(body.at("samples"), "observed_at"),
            (std::vector<std::string>{"2026-11-29T03:30:00Z", "2026-11-29T03:50:00Z"}));
  body = get_json(port, "/api/v1/projects/np_1/history?since=48h&limit=6");
  EXPECT_EQ(body.at("truncated"), false);
  // An unknown project has no samples.
  EXPECT_TRUE(get_json(port, "/api/v1/projects/np_none/history").at("samples").as_array().empty());
}

TEST_F(HttpApiTest, PathIdsAndQueryValuesArePercentDecoded) {
  auto api = start(options());
  json::value body = get_json(api->port(), "/api/v1/projects/np%20a%2Fb/history");
  ASSERT_EQ(body.at("samples").as_array().size(), 1u) << body;
  EXPECT_EQ(body.at("project_id"), "np a/b");
  EXPECT_EQ(body.at("samples").at(0).at("oms"), "staging");
  body = get_json(api->port(), "/api/v1/events?project=np%5F2&kind=project%5ffailed");
  EXPECT_EQ(strings_of(body.at("events"), "id"), (std::vector<std::string>{"evt_failed"}));
}

TEST_F(HttpApiTest, EventsNewestFirstWithFiltersAndDeliveries) {
  auto api = start(options());
  const auto port = api->port();
  json::value body = get_json(port, "/api/v1/events");
  EXPECT_EQ(strings_of(body.at("events"), "id"),
            (std::vector<std::string>{"evt_failed", "evt_lag", "evt_status"}));
  EXPECT_EQ(body.at("truncated"), false);

  const auto& failed = body.at("events").at(0).as_object();
  EXPECT_EQ(failed.at("kind"), "project_failed");
  EXPECT_EQ(failed.at("state"), "firing");
  EXPECT_EQ(failed.at("severity"), "critical");
  EXPECT_EQ(failed.at("project_id"), "np_2");
  EXPECT_EQ(failed.at("observed_at"), "2026-11-29T03:54:00Z");
  EXPECT_EQ(failed.at("details"), json::parse(R"({"from":"RUNNING","to":"FAILED"})"));
  const auto& deliveries = failed.at("deliveries").as_array();
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries.at(0).at("receiver"), "oncall");
  EXPECT_EQ(deliveries.at(0).at("status"), "pending");
  EXPECT_EQ(deliveries.at(0).at("attempts"), 0);
  EXPECT_TRUE(deliveries.at(0).at("delivered_at").is_null());

  EXPECT_EQ(strings_of(get_json(port, "/api/v1/events?project=np_1").at("events"), "id"),
            (std::vector<std::string>{"evt_lag", "evt_status"}));
  EXPECT_EQ(strings_of(get_json(port, "/api/v1/events?severity=warning").at("events"), "id"),
            (std::vector<std::string>{"evt_failed", "evt_lag"}));
  EXPECT_EQ(strings_of(get_json(port, "/api/v1/events?since=40m&until=10m").at("events"), "id"),
            (std::vector<std::string>{"evt_lag"}));
  body = get_json(port, "/api/v1/events?limit=1");
  EXPECT_EQ(strings_of(body.at("events"), "id"), (std::vector<std::string>{"evt_failed"}));
  EXPECT_EQ(body.at("truncated"), true);
  // The empty values of a form left blank filter nothing.
  EXPECT_EQ(
      get_json(port, "/api/v1/events?project=&kind=&severity=").at("events").as_array().size(), 3u);
}

// `omswatch history/events --format json` and the API serve the same rows:
// the same fields, in the same order, with the same values, null for what is
// absent (a failed poll's status, an OMS-level event's project), never "".
TEST_F(HttpApiTest, CliJsonAndApiJsonAreTheSameRows) {
  storage::ObservationWrite oms_level;
  oms_level.oms = "prod";
  oms_level.now = kT0 - 4 * kMinute;
  oms_level.oms_state_json = "{}";
  auto unreachable =
      make_event("evt_oms", "", "oms_unreachable", "firing", "critical", kT0 - 4 * kMinute);
  unreachable.alarm_level.clear();
  unreachable.details_json.clear();
  oms_level.events = {unreachable};
  oms_level.deliveries.push_back({"evt_oms", "ops"});
  OMSWATCH_RECORD(*store_, oms_level);
  // np_1's full transfer: step readings, a verification and the outlook.
  for (storage::TimeMs at : {kT0 - 4 * kMinute, kT0 - 3 * kMinute}) {
    storage::ObservationWrite progress = poll_write(ok_sample("np_1", at));
    progress.step_sample = transfer_step(at);
    progress.verify = mismatched_verification(at);
    progress.outlook_json =
        R"({"eta":{"low_s":1500,"high_s":1860,"basis":"records","rate":12300.5,"remaining":6,)"
        R"("at":1},"trend":{"direction":"falling_behind","rate":0.05,"to_max_lag_s":540,)"
        R"("lag_s":120}})";
    OMSWATCH_RECORD(*store_, progress);
  }
  auto api = start(options());
  const std::string db = dir_.file("omswatch.db");

  auto keys = [](const json::value& rows) {
    std::vector<std::vector<std::string>> out;
    for (const auto& row : rows.as_array()) {
      auto& names = out.emplace_back();
      for (const auto& field : row.as_object()) names.emplace_back(field.key());
    }
    return out;
  };
  auto compare = [&](const std::vector<std::string>& cli_args, const std::string& target,
                     const char* field) {
    const Output cli = omswatch(cli_args);
    ASSERT_EQ(cli.code, kExitOk) << cli.err;
    const json::value from_cli = json::parse(cli.out);
    const json::value from_api = get_json(api->port(), target).at(field);
    ASSERT_FALSE(from_cli.as_array().empty()) << cli.out;
    EXPECT_EQ(keys(from_cli), keys(from_api)) << target;
    EXPECT_EQ(from_cli, from_api) << target << "\nCLI: " << from_cli << "\nAPI: " << from_api;
  };
  const std::string since = "2026-11-27T00:00:00Z", until = "2026-11-30T00:00:00Z";
  const std::string window = "since=" + since + "&until=" + until;
  compare({"history", "np_2", "--db", db, "--since", since, "--until", until, "--format", "json"},
          "/api/v1/projects/np_2/history?" + window, "samples");
  compare({"history", "np_1", "--db", db, "--since", since, "--until", until, "--format", "json"},
          "/api/v1/projects/np_1/history?" + window, "samples");
  compare({"events", "--db", db, "--since", since, "--until", until, "--format", "json"},
          "/api/v1/events?" + window, "events");
  compare({"history", "np_1", "--steps", "--db", db, "--since", since, "--until", until, "--format",
           "json"},
          "/api/v1/projects/np_1/history?" + window, "steps");
  compare({"status", "--db", db, "--format", "json"}, "/api/v1/projects", "projects");
  const json::value projects = get_json(api->port(), "/api/v1/projects").at("projects");
  const json::value& np1 = projects.as_array().at(0);
  ASSERT_EQ(np1.at("project_id"), "np_1");
  EXPECT_EQ(np1.at("eta"), "25m-31m");
  EXPECT_EQ(np1.at("trend"), "falling behind 3s/min, max_lag in 9m");
  EXPECT_EQ(np1.at("verify_differences"), 7);
  EXPECT_EQ(np1.at("dst_rps"), 12'300);

  // The absent values are null in both.
  const json::value events = get_json(api->port(), "/api/v1/events?" + window).at("events");
  const json::value& oms_event = events.as_array().at(0);
  ASSERT_EQ(oms_event.at("id"), "evt_oms");
  EXPECT_TRUE(oms_event.at("project_id").is_null());
  EXPECT_TRUE(oms_event.at("alarm_level").is_null());
  EXPECT_EQ(oms_event.at("details"), json::object());
  const json::value samples =
      get_json(api->port(), "/api/v1/projects/np_2/history?" + window).at("samples");
  const json::value& failed_poll = samples.as_array().back();
  ASSERT_EQ(failed_poll.at("outcome"), "error");
  for (const char* absent : {"status", "step", "alarm_level", "struct_progress", "incr_checkpoint",
                             "incr_lag_s", "reverse_checkpoint"}) {
    EXPECT_TRUE(failed_poll.at(absent).is_null()) << absent;
  }
}

TEST_F(HttpApiTest, BadParametersAre400NamingTheParameter) {
  auto api = start(options());
  struct Case {
    std::string target;
    std::string parameter;
  };
  const std::vector<Case> cases = {
      {"/api/v1/projects/np_1/history?since=yesterday", "since"},
      {"/api/v1/projects/np_1/history?until=2026-13-01T00:00:00Z", "until"},
      {"/api/v1/projects/np_1/history?since=2026-11-29T04:00:00", "since"},  // no offset
      {"/api/v1/projects/np_1/history?since=2026-02-30", "since"},
      {"/api/v1/projects/np_1/history?since=1h&until=2h", "since"},
      {"/api/v1/projects/np_1/history?until=30h", "until"},  // before the default since
      // Outside 1970..2199: a wrapped clock would have read these as other times.
      {"/api/v1/projects/np_1/history?since=1000-01-01", "since"},
      {"/api/v1/projects/np_1/history?since=200000d", "since"},
      {"/api/v1/projects/np_1/history?since=9223372036854775807ms", "since"},
      {"/api/v1/projects/np_1/history?until=9999-12-31T00:00:00Z", "until"},
      {"/api/v1/events?until=2200-01-01", "until"},
      {"/api/v1/projects/np_1/history?limit=0", "limit"},
      {"/api/v1/projects/np_1/history?limit=10001", "limit"},
      {"/api/v1/projects/np_1/history?limit=-5", "limit"},
      {"/api/v1/projects/np_1/history?limit=1e3", "limit"},
      {"/api/v1/projects/np_1/history?limit=99999999999999999999", "limit"},
      {"/api/v1/projects/np_1/history?project=np_1", "project"},
      {"/api/v1/events?severity=fatal", "severity"},
      {"/api/v1/events?projet=np_1", "projet"},
      {"/api/v1/events?kind=a&kind=b", "kind"},
      {"/api/v1/events?project=%zz", "project"},
      {"/api/v1/events?project=%4", "project"},
      {"/api/v1/events?project=a%00b", "project"},
      {"/api/v1/projects?verbose=1", "verbose"},
  };
  for (const auto& c : cases) {
    json::value body = get_json(api->port(), c.target, 400);
    if (!body.is_object()) continue;
    EXPECT_EQ(body.at("parameter"), c.parameter.c_str()) << c.target << ": " << body;
    EXPECT_FALSE(body.at("error").as_string().empty()) << c.target;
  }
  json::value body = get_json(api->port(), "/api/v1/projects/np%2/history", 400);
  EXPECT_NE(std::string(body.at("error").as_string()).find("percent-encoding"), std::string::npos)
      << body;
}

TEST_F(HttpApiTest, UnknownPathsAre404AndOtherMethods405) {
  auto api = start(options());
  for (const char* target :
       {"/api/v1", "/api/v1/projects/", "/api/v1/projects/np_1", "/api/v1/projects//history",
        "/metrics/", "/metricsx", "/api/v2/projects"}) {
    json::value body = get_json(api->port(), target, 404);
    EXPECT_TRUE(body.is_object() && body.as_object().contains("error")) << target;
  }
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    auto r = send(api->port(), "/api/v1/projects", method);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 405u) << method;
    EXPECT_EQ(r->header("Allow"), "GET, HEAD") << method;
  }
}

TEST_F(HttpApiTest, ConditionsListWhatFiresNowAndSinceWhen) {
  auto api = start(options());
  json::value body = get_json(api->port(), "/api/v1/conditions");
  const json::array& rows = body.at("conditions").as_array();
  ASSERT_EQ(rows.size(), 2u) << json::serialize(body);
  const json::object& lag = rows[0].as_object();
  std::vector<std::string> keys;
  for (const auto& kv : lag) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"oms", "project_id", "kind", "severity", "alarm_level",
                                            "since", "last_fired_at", "summary", "event_id"}));
  EXPECT_EQ(lag.at("project_id"), "np_1");
  EXPECT_EQ(lag.at("kind"), "incr_lagging");
  EXPECT_EQ(lag.at("severity"), "warning");
  EXPECT_EQ(lag.at("since").as_string(), format_rfc3339(from_unix_ms(kT0 - 30 * kMinute)));
  EXPECT_EQ(lag.at("event_id"), "evt_lag");
  EXPECT_EQ(rows[1].at("kind"), "project_failed");
  EXPECT_EQ(rows[1].at("project_id"), "np_2");
  // No parameters; the token as everywhere.
  get_json(api->port(), "/api/v1/conditions?project=np_1", 400);
  auto with_token = start(options("127.0.0.1:0", kToken));
  get_json(with_token->port(), "/api/v1/conditions", 401);
}

TEST_F(HttpApiTest, HeadAnswersLikeGetWithoutABody) {
  auto api = start(options());
  auto get = send(api->port(), "/api/v1/projects");
  auto head = send(api->port(), "/api/v1/projects", "HEAD");
  ASSERT_TRUE(get && head);
  EXPECT_EQ(head->status, 200u);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->header("Content-Length"), std::to_string(get->body.size()));
  EXPECT_EQ(head->header("Content-Type"), "application/json");
}

TEST_F(HttpApiTest, MetricsAreServedInTheTextFormat) {
  auto api = start(options());
  metrics_.poll_completed("prod", PollResult::ok, std::chrono::milliseconds(3));
  auto r = send(api->port(), "/metrics");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("omswatch_build_info{version=\"9.9.9\"} 1\n"), std::string::npos);
  EXPECT_NE(r->body.find("omswatch_polls_total{oms=\"prod\",result=\"ok\"} 1\n"), std::string::npos)
      << r->body;
}

TEST_F(HttpApiTest, HealthzIs200WhenHealthyAnd503WithTheReasons) {
  auto api = start(options());
  json::value body = get_json(api->port(), "/healthz");
  EXPECT_EQ(body, json::parse(R"({"status":"ok","reasons":[]})"));
  health_ = {false, {"database write failed 3 times in a row", "OMS prod unreachable for 5m"}};
  body = get_json(api->port(), "/healthz", 503);
  EXPECT_EQ(body.at("status"), "failing");
  EXPECT_EQ(body.at("reasons"), json::parse(R"(["database write failed 3 times in a row",
                                                "OMS prod unreachable for 5m"])"));
}

TEST_F(HttpApiTest, ATokenIsRequiredEverywhereButHealthz) {
  auto api = start(options("127.0.0.1:0", kToken));
  const auto port = api->port();
  const std::string good = std::string("Bearer ") + kToken;
  for (const char* target : {"/metrics", "/api/v1/projects", "/api/v1/events", "/nowhere"}) {
    auto r = send(port, target);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 401u) << target;
    EXPECT_EQ(r->header("WWW-Authenticate"), "Bearer realm=\"omswatch\"") << target;
  }
  const std::vector<std::string> refused = {"Bearer wrong",
                                            std::string("Bearer ") + kToken + "x",
                                            std::string("Bearer ") + std::string(kToken).substr(1),
                                            std::string("Basic ") + kToken,
                                            kToken,
                                            "Bearer"};
  for (const auto& value : refused) {
    auto r = send(port, "/api/v1/projects", "GET", {{"Authorization", value}});
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 401u) << value;
    EXPECT_EQ(r->body.find(kToken), std::string::npos) << "the token leaked: " << r->body;
  }
  get_json(port, "/api/v1/projects", 200, {{"Authorization", good}});
  get_json(port, "/api/v1/projects", 200,
           {{"Authorization", std::string("bearer   ") + kToken + " "}});
  auto metrics = send(port, "/metrics", "GET", {{"Authorization", good}});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200u);
  get_json(port, "/healthz");  // probes carry no token
  get_json(port, "/nowhere", 404, {{"Authorization", good}});
}

TEST_F(HttpApiTest, ANonLoopbackAddressNeedsAToken) {
  for (const char* listen : {"0.0.0.0:0", "[::]:0"}) {
    HttpApi api(ioc_.get_executor(), metrics_, {}, *store_, options(listen));
    auto started = api.start();
    ASSERT_FALSE(started.has_value()) << listen;
    EXPECT_NE(started.error().find("not a loopback address"), std::string::npos) << started.error();
    EXPECT_NE(started.error().find("daemon.api_token"), std::string::npos) << started.error();
    EXPECT_EQ(api.port(), 0);
  }
  // With a token it listens, and answers on loopback like anywhere else.
  auto api = start(options("0.0.0.0:0", kToken));
  ASSERT_NE(api->port(), 0);
  get_json(api->port(), "/api/v1/projects", 200,
           {{"Authorization", std::string("Bearer ") + kToken}});
  // Loopback by name or as IPv6 needs none.
  ASSERT_TRUE(omswatch::testing::resolves_to_loopback("localhost"));
  for (const char* listen : {"localhost:0", "[::1]:0", "127.0.0.2:0"}) {
    HttpApi loopback(ioc_.get_executor(), metrics_, {}, *store_, options(listen));
    auto started = loopback.start();
    EXPECT_TRUE(started.has_value()) << listen << ": " << started.error();
  }
}

TEST_F(HttpApiTest, StartReportsBadSettingsWithoutTheToken) {
  {
    HttpApi api(ioc_.get_executor(), metrics_, {}, *store_, options("9187"));
    auto started = api.start();
    ASSERT_FALSE(started.has_value());
    EXPECT_NE(started.error().find("is not host:port"), std::string::npos) << started.error();
  }
  {
    HttpApi api(ioc_.get_executor(), metrics_, {}, *store_,
                options("127.0.0.1:0", "secret with spaces"));
    auto started = api.start();
    ASSERT_FALSE(started.has_value());
    EXPECT_NE(started.error().find("printable ASCII"), std::string::npos) << started.error();
    EXPECT_EQ(started.error().find("secret with spaces"), std::string::npos) << started.error();
  }
  {
    auto first = start(options());
    HttpApi second(ioc_.get_executor(), metrics_, {}, *store_,
                   options("127.0.0.1:" + std::to_string(first->port())));
    auto started = second.start();
    ASSERT_FALSE(started.has_value());
    EXPECT_NE(started.error().find("cannot listen"), std::string::npos) << started.error();
  }
}

TEST_F(HttpApiTest, OversizedRequestsAreRefused) {
  auto api = start(options());
  auto r = send(api->port(), "/api/v1/projects", "GET", {{"X-Padding", std::string(20'000, 'p')}});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 413u);
}

TEST_F(HttpApiTest, ADatabaseThatCannotBeReadIs503) {
  auto api = start(options());
  {
    auto raw = open_raw(dir_.file("omswatch.db"));
    // Views that name the table follow the rename; the store's queries do not.
    auto renamed = raw.exec("ALTER TABLE events RENAME TO events_moved");
    ASSERT_TRUE(renamed.has_value()) << renamed.error();
  }
  json::value body = get_json(api->port(), "/api/v1/events", 503);
  EXPECT_NE(std::string(body.at("error").as_string()).find("database"), std::string::npos) << body;
  // The rest of the endpoint still answers.
  get_json(api->port(), "/healthz");
}

TEST_F(HttpApiTest, StopClosesTheListener) {
  auto api = start(options());
  const auto port = api->port();
  get_json(port, "/healthz");
  api->stop();
  api->stop();  // twice is fine
  client_.close_idle();
  auto r = send(port, "/healthz");
  EXPECT_FALSE(r) << "answered after stop(): " << r->status;
}

}  // namespace
}  // namespace omswatch::daemon
