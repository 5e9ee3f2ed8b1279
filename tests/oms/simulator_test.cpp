// The simulator's own contract, seen through raw HTTP (what any OMS client
// would see), and the scripted demo storyline.

#include "oms/simulator.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "oms/basic_auth.h"
#include "oms/http_date.h"
#include "oms/parse.h"
#include "tests/oms/oms_test_support.h"

namespace omswatch::oms::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using SendResult = boost::system::result<net::HttpResponse>;

class SimulatorTest : public OmsTest {
 protected:
  SendResult post(const std::string& target, std::string body,
                  std::optional<std::string> authorization = std::nullopt,
                  std::string method = "POST") {
    net::HttpRequest request;
    request.method = std::move(method);
    request.url = sim_.base_url() + target;
    request.headers.push_back(
        {"Authorization", authorization.value_or(basic_authorization(kUser, kPassword))});
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = std::move(body);
    return run<SendResult>([&]() -> asio::awaitable<SendResult> {
      co_return co_await http_.send(std::move(request));
    });
  }
  json::object post_json(const std::string& target, std::string body) {
    auto r = post(target, std::move(body));
    EXPECT_TRUE(r) << r.error().message();
    if (!r) return {};
    EXPECT_EQ(r->status, 200u);
    return json::parse(r->body).as_object();
  }
};

TEST_F(SimulatorTest, ReplyHasTheFullEnvelopeOfTheReference) {
  sim_.put_project(full_project("np_1"));
  json::object o = post_json("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})");
  for (const char* key : {"success", "errorDetail", "code", "message", "advice", "requestId",
                          "pageNumber", "pageSize", "totalCount", "cost", "data"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  EXPECT_EQ(o.at("success"), true);
  EXPECT_TRUE(o.at("cost").as_string().ends_with(" ms"));
  const json::object& data = o.at("data").as_object();
  for (const char* key :
       {"projectId", "status", "alarmLevel", "enableIncrSync", "currentStep", "incrSyncCheckpoint",
        "enableStructTransfer", "enableFullTransfer", "structTransferProgress",
        "fullTransferProgress", "enableReverseIncrTransfer", "reverseIncrTransferCheckpoint"}) {
    EXPECT_TRUE(data.contains(key)) << key;
  }
  EXPECT_EQ(data.at("incrSyncCheckpoint"), 1689248064) << "a numeric checkpoint is a number";
  EXPECT_EQ(data.at("projectId"), "np_1");
}

TEST_F(SimulatorTest, RequestIdsDiffer) {
  sim_.put_project(full_project("np_1"));
  auto a = post_json("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})");
  auto b = post_json("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})");
  EXPECT_NE(a.at("requestId"), b.at("requestId"));
}

TEST_F(SimulatorTest, RequiresBasicAuth) {
  auto none = post("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401u);
  EXPECT_EQ(none->header("WWW-Authenticate"), "Basic realm=\"OMS\"");
  auto wrong = post("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})",
                    basic_authorization(kUser, "nope"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401u);
  auto other_user = post("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})",
                         basic_authorization("admin", kPassword));
  ASSERT_TRUE(other_user);
  EXPECT_EQ(other_user->status, 401u);
  EXPECT_EQ(sim_.stats().unauthorized, 3u);
  EXPECT_EQ(sim_.stats().progress_requests, 0u);
}

TEST_F(SimulatorTest, UnknownActionIsParamError) {
  json::object o = post_json("/api/v2?Action=DeleteProject", R"({"id":"np_1"})");
  EXPECT_EQ(o.at("success"), false);
  EXPECT_EQ(o.at("code"), "PARAM_ERROR");
  EXPECT_EQ(o.at("message"), "unknown Action 'DeleteProject'");
  o = post_json("/api/v2", "{}");
  EXPECT_EQ(o.at("code"), "PARAM_ERROR");
}

TEST_F(SimulatorTest, BadBodyAndMissingIdAreParamErrors) {
  json::object o = post_json("/api/v2?Action=DescribeProjectProgress", "not json");
  EXPECT_EQ(o.at("code"), "PARAM_ERROR");
  o = post_json("/api/v2?Action=DescribeProjectProgress", "{}");
  EXPECT_EQ(o.at("code"), "PARAM_ERROR");
  EXPECT_EQ(o.at("message"), "id is required");
}

TEST_F(SimulatorTest, WrongPathAndMethod) {
  auto r = post("/api/v1?Action=DescribeProjectProgress", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404u);
  r = post("/api/v2?Action=DescribeProjectProgress", "", std::nullopt, "GET");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405u);
}

TEST_F(SimulatorTest, RepliesParseWithOmswatchsOwnParser) {
  sim_.put_project(full_project("np_1"));
  auto r = post("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_2"})");
  ASSERT_TRUE(r);
  auto parsed = parse_progress_reply(r->body);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_FALSE(parsed->success);
  EXPECT_EQ(parsed->error.code, "GHANA-PROJECT000001");
  EXPECT_EQ(parsed->error.message, "the project does not exist");
  EXPECT_EQ(parsed->error.advice, "check the project id");
}

TEST_F(SimulatorTest, DateHeaderFollowsTheServerTime) {
  const auto t = std::chrono::system_clock::time_point(784111777s);
  sim_.set_server_time(t);
  auto r = post("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Date"), "Sun, 06 Nov 1994 08:49:37 GMT");
  sim_.set_server_time(std::nullopt);
  r = post("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})");
  ASSERT_TRUE(r);
  auto date = parse_http_date(r->header("Date"));
  ASSERT_TRUE(date);
  EXPECT_GT(*date, std::chrono::system_clock::time_point(1'700'000'000s));
}

TEST_F(SimulatorTest, ObserverSeesActionAndProject) {
  sim_.put_project(full_project("np_1"));
  std::vector<std::string> seen;
  sim_.on_request([&](std::string_view action, std::string_view id) {
    seen.push_back(std::string(action) + "/" + std::string(id));
  });
  post("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})");
  post("/api/v2?Action=ListProjects", R"({"pageSize":10})");
  post("/api/v2?Action=DescribeProjectProgress", R"({"id":"np_1"})", "Basic bad");
  EXPECT_EQ(seen, (std::vector<std::string>{"DescribeProjectProgress/np_1", "ListProjects/"}));
}

TEST_F(SimulatorTest, ListProjectsRejectsBadPaging) {
  json::object o = post_json("/api/v2?Action=ListProjects", R"({"pageSize":151})");
  EXPECT_EQ(o.at("success"), false);
  EXPECT_EQ(o.at("code"), "PARAM_ERROR");
  o = post_json("/api/v2?Action=ListProjects", R"({"pageNumber":0})");
  EXPECT_EQ(o.at("code"), "PARAM_ERROR");
}

TEST_F(SimulatorTest, UpdateProjectAndProjectAccessors) {
  sim_.put_project(full_project("np_1"));
  EXPECT_TRUE(sim_.update_project("np_1", [](SimProject& p) {
    p.progress.status = "SUSPEND";
    p.progress.project_id = "np_other";  // ignored: the id is the key
  }));
  EXPECT_FALSE(sim_.update_project("np_2", [](SimProject&) {}));
  auto p = sim_.project("np_1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->progress.status, "SUSPEND");
  EXPECT_EQ(p->progress.project_id, "np_1");
  EXPECT_FALSE(sim_.project("np_other"));
  auto client = make_client(http_, endpoint());
  EXPECT_EQ(progress(*client, "np_1").reply.data->status, "SUSPEND");
}

TEST_F(SimulatorTest, PortAndBaseUrl) {
  EXPECT_NE(sim_.port(), 0);
  EXPECT_EQ(sim_.base_url(), "http://127.0.0.1:" + std::to_string(sim_.port()));
}

// The simulator on its own thread, driven from the test thread, as the
// daemon's tests use it.
TEST(SimulatorThreads, ChangesFromAnotherThreadAreSeen) {
  omswatch::testing::Event event;
  int polls = 0;
  omswatch::testing::IoThread io;
  Simulator sim(io.executor(), kUser, kPassword);
  io.invoke([&] { sim.start(0); });
  sim.on_request([&](std::string_view, std::string_view) { event.update([&] { ++polls; }); });

  asio::io_context client_ioc;
  net::HttpClient http(client_ioc.get_executor());
  Endpoint e{"t", sim.base_url(), kUser, kPassword};
  auto client = make_client(http, e);
  for (int i = 0; i < 20; ++i) {
    sim.put_project(full_project("np_" + std::to_string(i)));
    auto r = omswatch::testing::run_coro<CallResult<ProjectProgress>>(
        client_ioc, [&] { return client->describe_progress("np_" + std::to_string(i)); });
    ASSERT_TRUE(r.ok()) << r.transport_error.value_or("");
  }
  EXPECT_TRUE(event.wait_for([&] { return polls == 20; }));
  EXPECT_EQ(sim.stats().progress_requests, 20u);
  io.invoke([&] { sim.stop(); });
}

// --- the demo storyline --------------------------------------------------

const SimProject& find(const std::vector<SimProject>& projects, const std::string& id) {
  for (const auto& p : projects) {
    if (p.progress.project_id == id) return p;
  }
  throw std::runtime_error("no demo project " + id);
}

SimProject demo(const std::string& id, int t) {
  return find(demo_projects_at(std::chrono::seconds(t)), id);
}

TEST(DemoScenario, HasThreeNamedProjects) {
  auto projects = demo_projects_at(0s);
  ASSERT_EQ(projects.size(), 3u);
  for (const auto& p : projects) {
    EXPECT_FALSE(p.name.empty());
    EXPECT_FALSE(p.steps.empty());
    EXPECT_TRUE(p.progress.project_id.starts_with("np_demo_"));
  }
}

TEST(DemoScenario, OrdersCompletesItsTransfersAndSyncs) {
  EXPECT_EQ(demo("np_demo_orders", 0).progress.status, "INIT");
  SimProject s = demo("np_demo_orders", 10);
  EXPECT_EQ(s.progress.status, "RUNNING");
  EXPECT_EQ(s.progress.current_step, "STRUCT_TRANSFER");
  EXPECT_EQ(s.progress.struct_transfer_progress, 50);
  SimProject f = demo("np_demo_orders", 30);
  EXPECT_EQ(f.progress.current_step, "FULL_TRANSFER");
  EXPECT_EQ(f.progress.struct_transfer_progress, 100);
  EXPECT_EQ(f.progress.full_transfer_progress, 50);
  EXPECT_EQ(f.progress.alarm_level, "MEDIUM");
  EXPECT_LT(demo("np_demo_orders", 44).progress.full_transfer_progress, 100);
  SimProject i = demo("np_demo_orders", 45);
  EXPECT_EQ(i.progress.status, "RUNNING");
  EXPECT_EQ(i.progress.current_step, "INCR_TRANSFER");
  EXPECT_EQ(i.progress.full_transfer_progress, 100);
  EXPECT_EQ(i.progress.alarm_level, "HIGH");
  ASSERT_TRUE(i.progress.incr_sync_checkpoint.unix_seconds);
  EXPECT_GT(*demo("np_demo_orders", 60).progress.incr_sync_checkpoint.unix_seconds,
            *i.progress.incr_sync_checkpoint.unix_seconds);
  EXPECT_EQ(i.steps.back().status, "MONITORING");
}

TEST(DemoScenario, BillingStallsAtTwentySecondsAndCatchesUpAtSeventy) {
  auto checkpoint = [](int t) {
    return *demo("np_demo_billing", t).progress.incr_sync_checkpoint.unix_seconds;
  };
  EXPECT_LT(checkpoint(10), checkpoint(19));
  EXPECT_EQ(checkpoint(20), checkpoint(69));
  EXPECT_GT(checkpoint(70), checkpoint(69));
  EXPECT_LT(checkpoint(90), checkpoint(91));
  EXPECT_EQ(demo("np_demo_billing", 40).progress.status, "RUNNING");
  EXPECT_EQ(demo("np_demo_billing", 40).progress.alarm_level, "HIGH");
}

TEST(DemoScenario, AuditFailsAtTwentyFiveSecondsWithTheReason) {
  SimProject before = demo("np_demo_audit", 24);
  EXPECT_EQ(before.progress.status, "RUNNING");
  SimProject after = demo("np_demo_audit", 25);
  EXPECT_EQ(after.progress.status, "FAILED");
  const ProjectStep* failed = nullptr;
  for (const auto& s : after.steps) {
    if (s.status == "FAILED") failed = &s;
  }
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->error.error_code, "ORA-01555");
  EXPECT_NE(failed->error.error_msg.find("snapshot too old"), std::string::npos);
  EXPECT_EQ(demo("np_demo_audit", 80).progress.status, "FAILED");
}

TEST(DemoScenario, IsAPureFunctionOfItsArguments) {
  const auto started = std::chrono::system_clock::time_point(1'800'000'000s);
  for (int t : {0, 7, 33, 50, 75, 120}) {
    auto a = demo_projects_at(std::chrono::seconds(t), started);
    auto b = demo_projects_at(std::chrono::seconds(t), started);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].progress, b[i].progress);
  }
  // Checkpoints count from the given start: lag is real lag.
  auto orders = find(demo_projects_at(60s, started), "np_demo_orders");
  EXPECT_EQ(orders.progress.incr_sync_checkpoint.unix_seconds, 1'800'000'000 + 60 - 3);
}

TEST(StaticScenario, HealthyIncrementalProjects) {
  const auto now = std::chrono::system_clock::time_point(1'800'000'000s);
  auto projects = static_projects_at(1000, now);
  ASSERT_EQ(projects.size(), 1000u);
  EXPECT_EQ(projects.front().progress.project_id, "np_sim_000001");
  EXPECT_EQ(projects.back().progress.project_id, "np_sim_001000");
  for (const auto& p : projects) {
    EXPECT_EQ(p.progress.status, "RUNNING");
    EXPECT_EQ(p.progress.current_step, "INCR_SYNC");
    EXPECT_EQ(p.progress.incr_sync_checkpoint.unix_seconds, 1'800'000'000 - 2);
  }
}

}  // namespace
}  // namespace omswatch::oms::testing
