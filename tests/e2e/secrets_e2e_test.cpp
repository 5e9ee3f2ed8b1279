// An OMS whose success:false messages echo the credentials it was sent, and
// receivers whose error replies echo the request: the real daemon's log, its
// database, its HTTP API, the CLI and notify-test show none of the secrets,
// in any form.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "net/http_server.h"
#include "tests/e2e/fault_rig.h"
#include "tests/support/daemon_api.h"

namespace omswatch {
namespace {

using testing::Daemon;
using testing::IoThread;
using testing::TempDir;
namespace asio = boost::asio;

constexpr const char* kPassword = "Pa55-w0rd secret";
constexpr const char* kToken = "XXXXyyyyZZZZ1234";
constexpr const char* kAmPassword = "am pa55@word";

std::string openssl_free_base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(n >> s) & 63];
  }
  return out;  // the whole groups are enough to recognise it
}

// What must not show anywhere: each secret as it is and in the forms a
// server would echo it in.
std::vector<std::string> forbidden() {
  return {kPassword,
          "Pa55-w0rd%20secret",
          "Pa55-w0rd+secret",
          openssl_free_base64(std::string("watcher:") + kPassword),
          kToken,
          kAmPassword,
          "am%20pa55%40word",
          openssl_free_base64(std::string("am-user:") + kAmPassword)};
}

void expect_clean(const std::string& where, const std::string& text) {
  for (const auto& secret : forbidden()) {
    EXPECT_EQ(text.find(secret), std::string::npos) << where << " shows " << secret << ":\n"
                                                    << text;
  }
}

TEST(SecretsE2E, EchoedCredentialsAreMaskedInLogDatabaseApiAndCli) {
  IoThread io;
  TempDir dir;

  // The OMS: every call is refused with a message that repeats the request.
  net::HttpServer oms(
      io.executor(), [&](net::ServerRequest r) -> asio::awaitable<net::ServerResponse> {
        const std::string echo =
            "you sent Authorization: " + std::string(r.header("Authorization")) + " (password " +
            kPassword + ", Pa55-w0rd%20secret)";
        net::ServerResponse res;
        res.body = boost::json::serialize(boost::json::object{
            {"success", false}, {"code", "AUTH_" + echo}, {"message", echo}, {"advice", echo}});
        co_return res;
      });
  // The receivers: every POST is refused with the request line and headers.
  net::HttpServer receiver(io.executor(),
                           [&](net::ServerRequest r) -> asio::awaitable<net::ServerResponse> {
                             std::string echo = "bad request " + r.method + " " + r.target;
                             for (const auto& h : r.headers) {
                               if (h.name == "Authorization") echo += " Authorization: " + h.value;
                             }
                             net::ServerResponse res;
                             res.status = 400;
                             res.content_type = "text/plain";
                             res.body = echo;
                             co_return res;
                           });
  io.invoke([&] {
    oms.listen("127.0.0.1", 0);
    receiver.listen("127.0.0.1", 0);
  });
  const std::string receiver_base = "127.0.0.1:" + std::to_string(receiver.port());
  const std::string db = dir.file("s.db");
  const std::string toml = "[daemon]\ndatabase = \"" + db +
                           "\"\nlisten = \"127.0.0.1:0\"\nlog_level = \"info\"\n"
                           "[[oms]]\nname = \"echo\"\nurl = \"http://127.0.0.1:" +
                           std::to_string(oms.port()) +
                           "\"\nusername = \"watcher\"\npassword = \"" + kPassword +
                           "\"\ninterval = \"200ms\"\nprojects = [\"np_e1\"]\n"
                           "[routes.MEDIUM]\ngroup_wait = \"0s\"\n"
                           "[[receivers]]\nname = \"chat\"\ntype = \"slack\"\nurl = \"http://" +
                           receiver_base + "/services/T0001/B0002/" + kToken +
                           "\"\n"
                           "[[receivers]]\nname = \"am\"\ntype = \"alertmanager\"\nurl = "
                           "\"http://am-user:am%20pa55%40word@" +
                           receiver_base + "/\"\n";
  {
    Daemon daemon(dir, toml);
    // Both receivers refused the project_unavailable event, and said so in the log.
    const std::string log_path = dir.file("daemon.log");
    ASSERT_TRUE(testing::wait_for_text(log_path, "receiver chat refused", std::chrono::seconds(60)))
        << daemon.log();
    ASSERT_TRUE(testing::wait_for_text(log_path, "receiver am refused", std::chrono::seconds(60)))
        << daemon.log();
    const auto api_port = testing::endpoint_port(log_path);
    ASSERT_TRUE(api_port) << daemon.log();

    const std::string projects = testing::http_get(*api_port, "/api/v1/projects").body;
    const std::string events = testing::http_get(*api_port, "/api/v1/events").body;
    EXPECT_NE(projects.find("***"), std::string::npos) << projects;  // the echo reached it, masked
    EXPECT_NE(events.find("***"), std::string::npos) << events;
    expect_clean("/api/v1/projects", projects);
    expect_clean("/api/v1/events", events);
    ASSERT_EQ(daemon.stop(), 0) << daemon.log();
    EXPECT_NE(daemon.log().find("***"), std::string::npos) << daemon.log();
    expect_clean("the daemon's log", daemon.log());
  }

  for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = file.path().filename().string();
    if (name.starts_with("s.db")) expect_clean(name, testing::read_file(file.path().string()));
  }
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, std::vector<std::string>{"status", "--format", "json"},
        std::vector<std::string>{"events", "--format", "json"},
        std::vector<std::string>{"events", "--format", "csv"}}) {
    args.insert(args.begin(), OMSWATCH_BINARY);
    args.insert(args.end(), {"--db", db});
    auto out = testing::run_command(args, dir.path().string());
    ASSERT_EQ(out.exit_code, 0) << out.err;
    expect_clean(args[1] + " " + args.back(), out.out + out.err);
  }
  for (const char* name : {"chat", "am"}) {
    auto out = testing::run_command(
        {OMSWATCH_BINARY, "notify-test", name, "-c", dir.file("omswatch.toml")},
        dir.path().string());
    // Alertmanager takes no notice (the test message is one): nothing to echo there.
    if (std::string(name) == "chat") {
      EXPECT_NE((out.out + out.err).find("***"), std::string::npos) << out.out << out.err;
    }
    expect_clean(std::string("notify-test ") + name, out.out + out.err);
  }
  io.invoke([&] {
    oms.stop();
    receiver.stop();
  });
}

}  // namespace
}  // namespace omswatch
