// oms::Client against the real simulator (and, for error pages, a plain
// net::HttpServer) over 127.0.0.1.

#include "oms/client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "net/http_server.h"
#include "oms/http_date.h"
#include "tests/oms/oms_test_support.h"

namespace omswatch::oms::testing {
namespace {

using namespace std::chrono_literals;

class ClientTest : public OmsTest {};

TEST_F(ClientTest, ProgressRoundTripKeepsEveryField) {
  SimProject p = full_project("np_4w1");
  p.progress.reverse_incr_transfer_checkpoint = {"12,4096", std::nullopt};
  sim_.put_project(p);
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_4w1");
  ASSERT_FALSE(r.transport_error) << *r.transport_error;
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.reply.data);
  EXPECT_EQ(*r.reply.data, p.progress);
  EXPECT_EQ(r.reply.request_id.rfind("sim-", 0), 0u) << r.reply.request_id;
  EXPECT_TRUE(r.reply.cost.ends_with(" ms")) << r.reply.cost;
  EXPECT_GT(r.latency.count(), 0);
  EXPECT_TRUE(r.server_date);
  EXPECT_EQ(sim_.stats().progress_requests, 1u);
}

TEST_F(ClientTest, NullFieldsRoundTripAsEmpty) {
  SimProject p;
  p.progress.project_id = "np_bare";
  p.progress.status = "INIT";
  sim_.put_project(p);
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_bare");
  ASSERT_TRUE(r.ok()) << r.transport_error.value_or("");
  EXPECT_EQ(*r.reply.data, p.progress);
}

TEST_F(ClientTest, KeepAliveConnectionIsReused) {
  sim_.put_project(full_project("np_1"));
  auto client = make_client(http_, endpoint());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(progress(*client, "np_1").ok());
  EXPECT_EQ(http_.connections_opened(), 1u);
}

TEST_F(ClientTest, WrongPasswordIsAnHttpErrorThatKeepsTheSecret) {
  sim_.put_project(full_project("np_1"));
  const std::string wrong = "wrong-Pa55word-42";
  auto client = make_client(http_, endpoint(wrong));
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(r.transport_error->rfind(
                "HTTP 401 (authentication failed: check the username and password)", 0),
            0u)
      << *r.transport_error;
  EXPECT_EQ(r.transport_error->find(wrong), std::string::npos);
  EXPECT_EQ(r.transport_error->find(kPassword), std::string::npos);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(sim_.stats().unauthorized, 1u);
  EXPECT_EQ(sim_.stats().progress_requests, 0u);
}

TEST_F(ClientTest, UnknownProjectIsAReplyWithSuccessFalse) {
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_missing");
  EXPECT_FALSE(r.transport_error) << *r.transport_error;
  EXPECT_FALSE(r.reply.success);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reply.error.code, "GHANA-PROJECT000001");
  EXPECT_EQ(r.reply.error.message, "the project does not exist");
  EXPECT_FALSE(r.reply.data);
}

TEST_F(ClientTest, RemovedProjectBecomesUnknown) {
  sim_.put_project(full_project("np_1"));
  auto client = make_client(http_, endpoint());
  ASSERT_TRUE(progress(*client, "np_1").ok());
  sim_.remove_project("np_1");
  auto r = progress(*client, "np_1");
  EXPECT_FALSE(r.transport_error);
  EXPECT_FALSE(r.reply.success);
}

TEST_F(ClientTest, Http500IsATransportErrorWithTheBody) {
  sim_.set_fault(Fault::http_500);
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(*r.transport_error, "HTTP 500: Internal Server Error");
  EXPECT_TRUE(r.server_date) << "the Date of an error reply is still OMS's clock";
}

TEST_F(ClientTest, GarbageIsAParseError) {
  sim_.set_fault(Fault::garbage);
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(r.transport_error->rfind("invalid JSON at offset 0: ", 0), 0u) << *r.transport_error;
}

TEST_F(ClientTest, ApiFailureIsAReply) {
  sim_.put_project(full_project("np_1"));
  sim_.set_fault(Fault::api_failure);
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_1");
  EXPECT_FALSE(r.transport_error);
  EXPECT_FALSE(r.reply.success);
  EXPECT_EQ(r.reply.error.code, "GHANA-OPERAT000001");
  EXPECT_EQ(r.reply.error.message, "the CM service may be not available");
}

TEST_F(ClientTest, HangTimesOutAtTheEndpointTimeout) {
  sim_.set_fault(Fault::hang);
  Endpoint e = endpoint();
  e.timeout = 300ms;
  auto client = make_client(http_, e);
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(*r.transport_error, "timed out after 300ms");
  EXPECT_GE(r.latency, 300ms);
}

TEST_F(ClientTest, TimeoutInWholeSecondsReadsAsSeconds) {
  sim_.set_fault(Fault::hang);
  Endpoint e = endpoint();
  e.timeout = 1s;
  auto client = make_client(http_, e);
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(*r.transport_error, "timed out after 1s");
}

TEST_F(ClientTest, StoppingTheSimulatorEndsAHang) {
  sim_.set_fault(Fault::hang);
  // Stop as soon as the request is hanging in the simulator.
  sim_.on_request(
      [this](std::string_view, std::string_view) { asio::post(ioc_, [this] { sim_.stop(); }); });
  auto client = make_client(http_, endpoint());  // 10 s timeout
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(r.transport_error->find("timed out"), std::string::npos) << *r.transport_error;
}

TEST_F(ClientTest, ResetIsATransportError) {
  sim_.set_fault(Fault::reset);
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(*r.transport_error, "connection closed before a complete reply");
}

TEST_F(ClientTest, HugeReplyOverTheLimitIsATransportError) {
  sim_.set_fault(Fault::huge);
  Endpoint e = endpoint();
  e.max_reply_bytes = 64 * 1024;
  auto client = make_client(http_, e);
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(*r.transport_error, "reply larger than 64 KiB");
}

TEST_F(ClientTest, HugeReplyAgainstTheDefaultLimit) {
  sim_.set_fault(Fault::huge);
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(*r.transport_error, "reply larger than 4 MiB");
}

TEST_F(ClientTest, ProjectFaultHitsOnlyThatProjectsProgress) {
  sim_.put_project(full_project("np_a"));
  sim_.put_project(full_project("np_b"));
  sim_.set_project_fault("np_a", Fault::http_500);
  auto client = make_client(http_, endpoint());
  EXPECT_EQ(progress(*client, "np_a").transport_error.value_or(""),
            "HTTP 500: Internal Server Error");
  EXPECT_TRUE(progress(*client, "np_b").ok());
  auto steps =
      run<CallResult<std::vector<ProjectStep>>>([&] { return client->describe_steps("np_a"); });
  EXPECT_TRUE(steps.ok()) << steps.transport_error.value_or("");
  sim_.set_project_fault("np_a", Fault::none);
  EXPECT_TRUE(progress(*client, "np_a").ok());
}

TEST_F(ClientTest, ClearingTheFaultRecovers) {
  sim_.put_project(full_project("np_1"));
  sim_.set_fault(Fault::garbage);
  auto client = make_client(http_, endpoint());
  EXPECT_TRUE(progress(*client, "np_1").transport_error);
  sim_.set_fault(Fault::none);
  EXPECT_TRUE(progress(*client, "np_1").ok());
}

TEST_F(ClientTest, DateHeaderGivesServerDate) {
  sim_.put_project(full_project("np_1"));
  const auto oms_time = std::chrono::system_clock::time_point(std::chrono::seconds(1893553445));
  sim_.set_server_time(oms_time);
  auto client = make_client(http_, endpoint());
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.server_date);
  EXPECT_EQ(*r.server_date, oms_time);
}

TEST_F(ClientTest, EachReplyGivesItsOwnServerDate) {
  sim_.put_project(full_project("np_1"));
  auto client = make_client(http_, endpoint());
  const auto first = std::chrono::system_clock::time_point(std::chrono::seconds(1893553445));
  for (auto oms_time : {first, first, first + 1s, first}) {
    sim_.set_server_time(oms_time);
    auto r = progress(*client, "np_1");
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r.server_date);
    EXPECT_EQ(*r.server_date, oms_time);
  }
}

TEST_F(ClientTest, ConnectionRefused) {
  std::uint16_t port = 0;
  {
    // A port that was free a moment ago and has no listener now.
    asio::ip::tcp::acceptor probe(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  Endpoint e = endpoint();
  e.base_url = "http://127.0.0.1:" + std::to_string(port);
  auto client = make_client(http_, e);
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(*r.transport_error, "connection refused");
  EXPECT_FALSE(r.server_date);
}

TEST_F(ClientTest, BadUrlIsATransportErrorWithoutCredentials) {
  Endpoint e = endpoint();
  e.base_url = "ftp://user:hunter2@oms.example.internal:8089";
  auto client = make_client(http_, e);
  auto r = progress(*client, "np_1");
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(r.transport_error->rfind("bad OMS URL ", 0), 0u) << *r.transport_error;
  EXPECT_EQ(r.transport_error->find("hunter2"), std::string::npos) << *r.transport_error;
}

TEST_F(ClientTest, BaseUrlWithTrailingSlash) {
  sim_.put_project(full_project("np_1"));
  Endpoint e = endpoint();
  e.base_url += "/";
  auto client = make_client(http_, e);
  EXPECT_TRUE(progress(*client, "np_1").ok());
}

TEST_F(ClientTest, DescribeSteps) {
  SimProject p = full_project("np_1");
  sim_.put_project(p);
  auto client = make_client(http_, endpoint());
  auto r =
      run<CallResult<std::vector<ProjectStep>>>([&] { return client->describe_steps("np_1"); });
  ASSERT_TRUE(r.ok()) << r.transport_error.value_or("");
  ASSERT_TRUE(r.reply.data);
  ASSERT_EQ(r.reply.data->size(), 2u);
  const ProjectStep& failed = (*r.reply.data)[1];
  EXPECT_EQ(failed.order, 2);
  EXPECT_EQ(failed.name, "INCR_TRANSFER");
  EXPECT_EQ(failed.description, "Incremental synchronization");
  EXPECT_EQ(failed.status, "FAILED");
  EXPECT_EQ(failed.progress, std::nullopt);
  EXPECT_EQ(failed.error.error_code, "ORA-01555");
  EXPECT_EQ(failed.error.error_msg, "snapshot too old");
  EXPECT_EQ((*r.reply.data)[0].progress, 100);
  EXPECT_EQ(sim_.stats().steps_requests, 1u);
}

TEST_F(ClientTest, DescribeProject) {
  sim_.put_project(full_project("np_1"));
  auto client = make_client(http_, endpoint());
  auto r = run<CallResult<ProjectInfo>>([&] { return client->describe_project("np_1"); });
  ASSERT_TRUE(r.ok()) << r.transport_error.value_or("");
  EXPECT_EQ(r.reply.data->id, "np_1");
  EXPECT_EQ(r.reply.data->name, "orders np_1");
  EXPECT_EQ(r.reply.data->type, "MIGRATION");
  EXPECT_EQ(r.reply.data->importance, "MEDIUM");
  EXPECT_EQ(r.reply.data->status, "RUNNING");
  EXPECT_EQ(sim_.stats().project_requests, 1u);
  auto missing = run<CallResult<ProjectInfo>>([&] { return client->describe_project("np_2"); });
  EXPECT_FALSE(missing.transport_error);
  EXPECT_FALSE(missing.reply.success);
}

class ListTest : public ClientTest {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 5; ++i) {
      SimProject p = full_project("np_" + std::to_string(i));
      p.type = i % 2 ? "MIGRATION" : "SYNC";
      p.labels = i <= 2 ? std::vector<std::string>{"prod"} : std::vector<std::string>{};
      sim_.put_project(p);
    }
    client_ = make_client(http_, endpoint());
  }
  CallResult<ProjectList> list(ListFilter filter, int page, int size) {
    return run<CallResult<ProjectList>>([&] { return client_->list_projects(filter, page, size); });
  }
  std::unique_ptr<Client> client_;
};

TEST_F(ListTest, PagesThroughEveryProject) {
  auto first = list({}, 1, 2);
  ASSERT_TRUE(first.ok()) << first.transport_error.value_or("");
  EXPECT_EQ(first.reply.data->total_count, 5);
  ASSERT_EQ(first.reply.data->items.size(), 2u);
  EXPECT_EQ(first.reply.data->items[0].id, "np_1");
  EXPECT_EQ(first.reply.data->items[0].name, "orders np_1");
  EXPECT_EQ(first.reply.data->items[0].type, "MIGRATION");
  EXPECT_EQ(first.reply.data->items[0].status, "RUNNING");
  EXPECT_EQ(first.reply.data->items[0].importance, "MEDIUM");
  EXPECT_EQ(first.reply.data->items[0].labels, std::vector<std::string>{"prod"});
  auto last = list({}, 3, 2);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last.reply.data->items.size(), 1u);
  EXPECT_EQ(last.reply.data->items[0].id, "np_5");
  EXPECT_EQ(sim_.stats().list_requests, 2u);
}

TEST_F(ListTest, FiltersByTypeAndLabel) {
  auto sync = list({{"SYNC"}, {}}, 1, 150);
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync.reply.data->total_count, 2);
  for (const auto& item : sync.reply.data->items) EXPECT_EQ(item.type, "SYNC");
  auto both = list({{"SYNC", "MIGRATION"}, {}}, 1, 150);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both.reply.data->total_count, 5);
  auto labelled = list({{}, {"lbl_prod"}}, 1, 150);
  ASSERT_TRUE(labelled.ok());
  EXPECT_EQ(labelled.reply.data->total_count, 2);
}

TEST_F(ListTest, PageArgumentsAreBounded) {
  auto r = list({}, 0, 1000);
  ASSERT_TRUE(r.ok()) << r.transport_error.value_or("") << r.reply.error.message;
  EXPECT_EQ(r.reply.data->items.size(), 5u);
}

TEST_F(ListTest, MoreThanFiveLabelIdsIsRefusedWithoutARequest) {
  auto r = list({{}, {"a", "b", "c", "d", "e", "f"}}, 1, 10);
  ASSERT_TRUE(r.transport_error);
  EXPECT_EQ(*r.transport_error, "ListProjects takes at most 5 label ids, got 6");
  EXPECT_EQ(sim_.stats().list_requests, 0u);
}

// Error pages from something in front of OMS (a proxy, a servlet container).
class ErrorPageTest : public ::testing::Test {
 protected:
  void serve(unsigned status, std::string content_type, std::string body) {
    server_ = std::make_unique<net::HttpServer>(
        ioc_.get_executor(),
        [status, content_type,
         body](net::ServerRequest request) -> asio::awaitable<net::ServerResponse> {
          net::ServerResponse r;
          r.status = status;
          r.content_type = content_type;
          // Some servers echo the request: the credentials must not reach a message.
          r.body = body + std::string(request.header("Authorization"));
          co_return r;
        });
    server_->listen("127.0.0.1", 0);
  }
  std::string error_of_progress(std::string password = kPassword) {
    Endpoint e;
    e.base_url = "http://127.0.0.1:" + std::to_string(server_->port());
    e.username = kUser;
    e.password = std::move(password);
    auto client = make_client(http_, e);
    auto r = omswatch::testing::run_coro<CallResult<ProjectProgress>>(
        ioc_, [&] { return client->describe_progress("np_1"); });
    return r.transport_error.value_or("<no transport error>");
  }
  asio::io_context ioc_;
  net::HttpClient http_{ioc_.get_executor()};
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(ErrorPageTest, HtmlPageIsReducedToItsText) {
  serve(502, "text/html",
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
        "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
  std::string error = error_of_progress();
  EXPECT_EQ(error.rfind("HTTP 502: 502 Bad Gateway 502 Bad Gateway nginx", 0), 0u) << error;
}

TEST_F(ErrorPageTest, SnippetIsBoundedAndPrintable) {
  std::string body;
  for (int i = 0; i < 500; ++i) body += "line\t" + std::to_string(i) + "\n\x01\x1b[31m";
  serve(503, "text/plain", body);
  std::string error = error_of_progress();
  EXPECT_EQ(error.rfind("HTTP 503: line 0 ", 0), 0u) << error;
  EXPECT_LE(error.size(), std::string("HTTP 503: ").size() + 200 + 3);
  EXPECT_TRUE(error.ends_with("...")) << error;
  for (char c : error) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << error;
}

TEST_F(ErrorPageTest, EchoedCredentialsAreMasked) {
  serve(500, "text/plain", "request had the password " + std::string(kPassword) + " and header ");
  std::string error = error_of_progress();
  EXPECT_EQ(error.find(kPassword), std::string::npos) << error;
  EXPECT_EQ(error.find("Basic d2F0Y2hlcjpz"), std::string::npos) << error;  // base64 "watcher:s"
  EXPECT_NE(error.find("***"), std::string::npos) << error;
}

// An OMS (or a proxy) whose success:false message echoes what it was sent:
// the Authorization header, the password as it is and percent-encoded.
TEST_F(ErrorPageTest, SuccessFalseEchoingCredentialsIsMasked) {
  server_ = std::make_unique<net::HttpServer>(
      ioc_.get_executor(), [](net::ServerRequest request) -> asio::awaitable<net::ServerResponse> {
        const std::string echo = "Authorization: " + std::string(request.header("Authorization")) +
                                 " password=" + kPassword + " form=s3cret%2DPa55word";
        net::ServerResponse r;
        r.body = boost::json::serialize(boost::json::object{{"success", false},
                                                            {"code", "AUTH " + echo},
                                                            {"message", "denied: " + echo},
                                                            {"advice", echo},
                                                            {"errorDetail", {{"reason", echo}}}});
        co_return r;
      });
  server_->listen("127.0.0.1", 0);
  Endpoint e;
  e.base_url = "http://127.0.0.1:" + std::to_string(server_->port());
  e.username = kUser;
  e.password = kPassword;
  auto client = make_client(http_, e);
  auto r = omswatch::testing::run_coro<CallResult<ProjectProgress>>(
      ioc_, [&] { return client->describe_progress("np_1"); });
  ASSERT_FALSE(r.transport_error) << *r.transport_error;
  ASSERT_FALSE(r.reply.success);
  for (const std::string& text :
       {r.reply.error.code, r.reply.error.message, r.reply.error.advice}) {
    EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
    EXPECT_EQ(text.find("s3cret%2DPa55word"), std::string::npos) << text;
    EXPECT_EQ(text.find("d2F0Y2hlcjpz"), std::string::npos) << text;  // base64 "watcher:s"
    EXPECT_NE(text.find("***"), std::string::npos) << text;
  }
  EXPECT_NE(r.reply.error.message.find("denied: Authorization: Basic ***"), std::string::npos)
      << r.reply.error.message;
}

TEST_F(ErrorPageTest, SuccessStatusWithNonJsonBodyIsAParseError) {
  serve(200, "text/html", "<html>login page</html>");
  std::string error = error_of_progress();
  EXPECT_EQ(error.rfind("invalid JSON at offset 0", 0), 0u) << error;
}

// ListProjectFullVerifyResult against a server that records what it was sent.
class VerifyCallTest : public ::testing::Test {
 protected:
  void serve(std::string reply) {
    server_ = std::make_unique<net::HttpServer>(
        ioc_.get_executor(),
        [this, reply](net::ServerRequest request) -> asio::awaitable<net::ServerResponse> {
          targets_.push_back(request.target);
          bodies_.push_back(request.body);
          authorizations_.emplace_back(request.header("Authorization"));
          net::ServerResponse r;
          r.content_type = "application/json";
          r.body = reply;
          co_return r;
        });
    server_->listen("127.0.0.1", 0);
    Endpoint e;
    e.base_url = "http://127.0.0.1:" + std::to_string(server_->port());
    e.username = kUser;
    e.password = kPassword;
    client_ = make_client(http_, e);
  }
  CallResult<VerifyResult> verify(const std::string& id, int page, int size) {
    return omswatch::testing::run_coro<CallResult<VerifyResult>>(
        ioc_, [&] { return client_->list_full_verify_result(id, page, size); });
  }
  asio::io_context ioc_;
  net::HttpClient http_{ioc_.get_executor()};
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<Client> client_;
  std::vector<std::string> targets_, bodies_, authorizations_;
};

TEST_F(VerifyCallTest, PostsTheProjectAndThePageAndReadsTheTables) {
  serve(R"({"success":true,"totalCount":1,"data":{"differentNumber":16,
      "fullVerifyTableStatistics":[{"sourceSchemaName":"shop","sourceTableName":"orders",
      "sourceOnlyCount":3,"destOnlyCount":1,"mismatchedCount":12,"consistentCount":99984,
      "progress":"100","status":"FINISHED"}]}})");
  auto r = verify("np_1", 2, 50);
  ASSERT_TRUE(r.ok()) << r.transport_error.value_or(r.reply.error.message);
  ASSERT_TRUE(r.reply.data);
  EXPECT_EQ(r.reply.data->different_number, 16);
  EXPECT_EQ(r.reply.data->total_tables, 1);
  ASSERT_EQ(r.reply.data->tables.size(), 1u);
  EXPECT_EQ(r.reply.data->tables[0].source_table, "orders");
  EXPECT_EQ(r.reply.data->tables[0].mismatched, 12);
  ASSERT_EQ(bodies_.size(), 1u);
  EXPECT_EQ(targets_[0], "/api/v2?Action=ListProjectFullVerifyResult");
  EXPECT_EQ(boost::json::parse(bodies_[0]),
            boost::json::parse(R"({"projectId":"np_1","pageNumber":2,"pageSize":50})"));
  EXPECT_EQ(authorizations_[0].rfind("Basic ", 0), 0u);
}

TEST_F(VerifyCallTest, PageArgumentsAreClampedAndTheConnectionReused) {
  serve(R"({"success":true,"data":{"differentNumber":0,"fullVerifyTableStatistics":[]}})");
  ASSERT_TRUE(verify("np_1", 0, 1000).ok());
  ASSERT_TRUE(verify("np_1", -3, 0).ok());
  ASSERT_EQ(bodies_.size(), 2u);
  EXPECT_EQ(boost::json::parse(bodies_[0]),
            boost::json::parse(R"({"projectId":"np_1","pageNumber":1,"pageSize":150})"));
  EXPECT_EQ(boost::json::parse(bodies_[1]),
            boost::json::parse(R"({"projectId":"np_1","pageNumber":1,"pageSize":1})"));
  EXPECT_EQ(http_.connections_opened(), 1u);
}

TEST_F(VerifyCallTest, EchoedSecretsAreMaskedInTablesAndErrors) {
  const std::string echo = std::string("pw=") + kPassword;
  serve(R"({"success":true,"data":{"fullVerifyTableStatistics":[{"sourceTableName":")" + echo +
        R"(","message":")" + echo + R"("}]}})");
  auto r = verify("np_1", 1, 10);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.reply.data->tables.size(), 1u);
  EXPECT_EQ(r.reply.data->tables[0].source_table, "pw=***");
  EXPECT_EQ(r.reply.data->tables[0].message, "pw=***");
  EXPECT_EQ(r.reply.data->tables[0].dest_table, "pw=***");
}

TEST_F(VerifyCallTest, UnknownProjectIsAReplyWithSuccessFalse) {
  serve(R"({"success":false,"code":"GHANA-PROJECT000001","message":"the project does not exist"})");
  auto r = verify("np_missing", 1, 10);
  EXPECT_FALSE(r.transport_error);
  EXPECT_FALSE(r.reply.success);
  EXPECT_EQ(r.reply.error.code, "GHANA-PROJECT000001");
  EXPECT_FALSE(r.reply.data);
}

}  // namespace
}  // namespace omswatch::oms::testing
