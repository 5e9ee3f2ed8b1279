// End to end: the real `omswatch run` binary against the simulated OMS and a
// loopback webhook receiver, both in this test process.

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "net/http_client.h"
#include "net/http_server.h"
#include "oms/simulator.h"
#include "storage/store.h"
#include "tests/support/io.h"
#include "tests/support/process.h"
#include "tests/support/real_alertmanager.h"
#include "tests/support/temp_dir.h"
#include "tests/support/webhook_receiver.h"

namespace omswatch {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::Event;
using testing::IoThread;
using testing::Process;
using testing::TempDir;
using testing::WebhookReceiver;

constexpr const char* kOmsPassword = "s3cr3t-oms-pass";
constexpr const char* kWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// Standard Webhooks, computed here with OpenSSL directly rather than with
// omswatch's own signing code.
std::string expected_signature(const std::string& id, const std::string& timestamp,
                               const std::string& body) {
  std::string key_b64 = std::string(kWebhookSecret).substr(6);
  std::string key(key_b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(key_b64.data()),
                          static_cast<int>(key_b64.size()));
  key.resize(static_cast<std::size_t>(n) - (key_b64.ends_with("==") ? 2 : key_b64.ends_with("=") ? 1 : 0));
  std::string message = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return "v1," + base64(mac, len);
}

oms::SimProject sim_project(const std::string& id, const std::string& status,
                            const std::string& step) {
  oms::SimProject p;
  p.name = "orders " + id;
  p.progress.project_id = id;
  p.progress.status = status;
  p.progress.alarm_level = "MEDIUM";
  p.progress.current_step = step;
  p.progress.enable_incr_sync = true;
  p.progress.enable_struct_transfer = true;
  p.progress.enable_full_transfer = true;
  p.progress.struct_transfer_progress = 100;
  p.progress.full_transfer_progress = 100;
  p.progress.enable_reverse_incr_transfer = false;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  p.progress.incr_sync_checkpoint = {std::to_string(now), now};
  return p;
}

class DaemonEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<oms::Simulator>(io_.executor(), "watcher", kOmsPassword);
    io_.invoke([&] { sim_->start(0); });
    sim_->on_request([this](std::string_view action, std::string_view project) {
      polls_.update([&] {
        if (action == "DescribeProjectProgress") ++progress_polls_[std::string(project)];
      });
    });
    receiver_ = std::make_unique<WebhookReceiver>(io_);

    {
      std::ofstream pw(dir_.file("oms.password"));
      pw << kOmsPassword << "\n";
    }
    ::chmod(dir_.file("oms.password").c_str(), 0600);
    config_path_ = dir_.file("omswatch.toml");
    std::ofstream cfg(config_path_);
    cfg << "[daemon]\n"
        << "database = \"" << database() << "\"\n"
        << "listen = \"\"\n"
        << "log_level = \"trace\"\n"
        << "public_url = \"https://omswatch.example.com/\"\n"
        << "[[oms]]\n"
        << "name = \"sim\"\n"
        << "url = \"" << sim_->base_url() << "\"\n"
        << "username = \"watcher\"\n"
        << "password_file = \"" << dir_.file("oms.password") << "\"\n"
        << "interval = \"200ms\"\n"
        << "timeout = \"2s\"\n"
        << "projects = [\"np_a\", \"np_b\"]\n"
        << "[detect]\n"
        << "stall_after = \"1h\"\n"
        << "max_lag = \"1h\"\n"
        << "[routes.MEDIUM]\n"
        << "group_wait = \"0s\"\n"
        << "[[receivers]]\n"
        << "name = \"hook\"\n"
        << "type = \"webhook\"\n"
        << "url = \"" << receiver_->url() << "\"\n"
        << "secret = \"${E2E_WEBHOOK_SECRET}\"\n";
    cfg.close();
    ::chmod(config_path_.c_str(), 0600);
  }

  void TearDown() override {
    receiver_.reset();
    io_.invoke([&] { sim_->stop(); });
    io_.stop();
  }

  std::string database() const { return dir_.file("omswatch.db"); }

  std::unique_ptr<Process> start_daemon(const std::string& log) {
    return std::make_unique<Process>(
        std::vector<std::string>{OMSWATCH_BINARY, "run", "-c", config_path_}, dir_.file("stdout.log"),
        dir_.file(log), std::vector<std::string>{std::string("E2E_WEBHOOK_SECRET=") + kWebhookSecret});
  }

  // Waits until the simulator has answered `n` more progress polls of every project.
  bool wait_for_polls(int n) {
    std::map<std::string, int> start;
    {
      std::lock_guard lock(polls_.mutex());
      start = progress_polls_;
    }
    return polls_.wait_for(
        [&] {
          for (const auto& id : {"np_a", "np_b"}) {
            if (progress_polls_[id] < start[id] + n) return false;
          }
          return true;
        },
        30s);
  }

  IoThread io_;
  TempDir dir_;
  std::unique_ptr<oms::Simulator> sim_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::string config_path_;
  Event polls_;
  std::map<std::string, int> progress_polls_;
};

TEST_F(DaemonEndToEnd, DetectsStoresDeliversSignedAndSurvivesARestart) {
  sim_->put_project(sim_project("np_a", "SUSPEND", "INCR_SYNC"));
  sim_->put_project(sim_project("np_b", "RUNNING", "INCR_SYNC"));

  auto daemon = start_daemon("run1.log");
  // A condition that holds on first sight fires.
  ASSERT_TRUE(receiver_->wait_for("project_suspended", "firing", "np_a"))
      << testing::read_file(dir_.file("run1.log"));

  ASSERT_TRUE(sim_->update_project("np_a", [](oms::SimProject& p) {
    p.progress.status = "FAILED";
    p.progress.current_step = "INCR_TRANSFER";
    oms::ProjectStep step;
    step.order = 5;
    step.name = "INCR_TRANSFER";
    step.status = "FAILED";
    step.error = {"ORA-01555", "snapshot too old"};
    p.steps = {step};
  }));
  ASSERT_TRUE(receiver_->wait_for("project_failed", "firing", "np_a"));
  ASSERT_TRUE(receiver_->wait_for("status_changed", "notice", "np_a"));
  ASSERT_TRUE(receiver_->wait_for("project_suspended", "resolved", "np_a"));

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), 0);

  // Every message is signed; every event has the contract's fields.
  std::set<std::string> ids_before;
  for (const auto& r : receiver_->requests()) {
    const auto id = std::string(r.request.header("webhook-id"));
    const auto ts = std::string(r.request.header("webhook-timestamp"));
    ASSERT_FALSE(id.empty());
    ASSERT_FALSE(ts.empty());
    EXPECT_EQ(r.request.header("webhook-signature"), expected_signature(id, ts, r.request.body));
    EXPECT_EQ(r.request.method, "POST");
    EXPECT_EQ(r.payload.at("version").as_int64(), 1);
    EXPECT_EQ(r.payload.at("receiver").as_string(), "hook");
  }
  for (const auto& e : receiver_->events()) {
    ids_before.insert(std::string(e.at("id").as_string()));
    EXPECT_EQ(e.at("oms").as_string(), "sim");
    EXPECT_EQ(e.at("alarm_level").as_string(), "MEDIUM");
    EXPECT_TRUE(e.at("observed_at").as_string().ends_with("Z"));
    EXPECT_TRUE(e.at("details").is_object());
    EXPECT_TRUE(e.at("progress").is_object());
    // daemon.public_url: each event links to its project's page in the console.
    EXPECT_EQ(e.at("omswatch_url").as_string(),
              "https://omswatch.example.com/projects/" + std::string(e.at("project_id").as_string()) +
                  "?oms=sim");
    if (e.at("kind").as_string() == "project_failed") {
      EXPECT_EQ(e.at("severity").as_string(), "critical");
      EXPECT_EQ(e.at("summary").as_string(),
                "np_a FAILED in INCR_TRANSFER: ORA-01555 snapshot too old");
      EXPECT_EQ(e.at("details").at("error_code").as_string(), "ORA-01555");
      EXPECT_EQ(e.at("progress").at("status").as_string(), "FAILED");
    }
    if (e.at("kind").as_string() == "status_changed") {
      EXPECT_EQ(e.at("details").at("from").as_string(), "SUSPEND");
      EXPECT_EQ(e.at("details").at("to").as_string(), "FAILED");
    }
  }
  // np_b was healthy throughout: nothing about it.
  for (const auto& e : receiver_->events()) EXPECT_NE(e.at("project_id").as_string(), "np_b");

  // A restart on the same database sends nothing again.
  auto again = start_daemon("run2.log");
  ASSERT_TRUE(wait_for_polls(5)) << testing::read_file(dir_.file("run2.log"));
  again->signal(SIGTERM);
  EXPECT_EQ(again->wait(20s), 0);
  for (const auto& e : receiver_->events()) {
    EXPECT_TRUE(ids_before.count(std::string(e.at("id").as_string())))
        << "sent again after the restart: " << json::serialize(e);
  }

  // The history as JSON, oldest first.
  auto history = testing::run_command(
      {OMSWATCH_BINARY, "history", "np_a", "--db", database(), "--format", "json"}, dir_.path().string());
  ASSERT_EQ(history.exit_code, 0) << history.err;
  auto rows = json::parse(history.out).as_array();
  // Every change is kept; polls that only repeat the same state are thinned.
  ASSERT_GE(rows.size(), 2u);
  std::vector<std::string> statuses;
  std::string previous_time;
  for (const auto& v : rows) {
    const auto& row = v.as_object();
    EXPECT_EQ(row.at("project_id").as_string(), "np_a");
    EXPECT_EQ(row.at("oms").as_string(), "sim");
    EXPECT_EQ(row.at("outcome").as_string(), "ok");
    std::string t(row.at("observed_at").as_string());
    EXPECT_LE(previous_time, t);
    previous_time = t;
    if (statuses.empty() || statuses.back() != row.at("status").as_string()) {
      statuses.emplace_back(row.at("status").as_string());
    }
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"SUSPEND", "FAILED"}));

  // No secret in any log line, at trace level.
  const std::string basic = "watcher:" + std::string(kOmsPassword);
  const std::string basic_b64 =
      base64(reinterpret_cast<const unsigned char*>(basic.data()), basic.size());
  for (const char* log : {"run1.log", "run2.log", "stdout.log"}) {
    std::string text = testing::read_file(dir_.file(log));
    EXPECT_EQ(text.find(kOmsPassword), std::string::npos) << log;
    EXPECT_EQ(text.find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), std::string::npos) << log;
    EXPECT_EQ(text.find(basic_b64), std::string::npos) << log;
    EXPECT_EQ(text.find("Authorization"), std::string::npos) << log;
    EXPECT_EQ(text.find("authorization"), std::string::npos) << log;
  }
  EXPECT_NE(testing::read_file(dir_.file("run1.log")).find("project_failed"), std::string::npos);
}

TEST(CheckConfig, ExitsZeroOrSeventyEightWithPositions) {
  TempDir dir;
  {
    std::ofstream bad(dir.file("bad.toml"));
    bad << "[daemon]\ndatabse = \"x\"\n";
  }
  auto r = testing::run_command({OMSWATCH_BINARY, "check-config", "-c", dir.file("bad.toml")},
                                dir.path().string());
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_NE(r.err.find(dir.file("bad.toml") + ":2:1"), std::string::npos) << r.err;

  {
    std::ofstream good(dir.file("good.toml"));
    good << "[daemon]\ndatabase = \"" << dir.file("db.sqlite") << "\"\n"
         << "[[oms]]\nname = \"p\"\nurl = \"http://127.0.0.1:1\"\nusername = \"u\"\n"
         << "password = \"${CHECK_PW}\"\nprojects = [\"np_1\"]\n";
  }
  ::chmod(dir.file("good.toml").c_str(), 0600);
  setenv("CHECK_PW", "pw", 1);
  auto ok = testing::run_command({OMSWATCH_BINARY, "check-config", "-c", dir.file("good.toml")},
                                 dir.path().string());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// What `run` refuses, `check-config` refuses too, with the same place.
TEST(CheckConfig, RefusesWhatRunRefuses) {
  TempDir dir;
  const std::string head = "[daemon]\ndatabase = \"" + dir.file("db.sqlite") + "\"\n";
  const std::string oms =
      "[[oms]]\nname = \"p\"\nurl = \"http://127.0.0.1:1\"\nusername = \"u\"\n"
      "password = \"pw\"\nprojects = [\"np_1\"]\n";
  struct Case {
    std::string text;
    std::string place;  // line:col of the error
    std::string message;
  };
  const std::vector<Case> cases = {
      {head + "listen = \"0.0.0.0:0\"\n" + oms, ":3:10:", "is not a loopback address"},
      {head + "listen = \"0.0.0.0:0\"\napi_token = \"a b\"\n" + oms, ":4:13:",
       "printable ASCII without spaces"},
      {head + "listen = \"omswatch-e2e.invalid:0\"\n" + oms, ":3:10:", "cannot resolve"},
      {head + oms + "[[receivers]]\nname = \"r\"\ntype = \"webhook\"\nurl = \"http://h:65536/\"\n",
       ":12:7:", "is not a valid URL"},
      {head + oms + "[[receivers]]\nname = \"r\"\ntype = \"webhook\"\nurl = \"http://h/\"\n"
                    "proxy = \"http://[::1\"\n",
       ":13:9:", "is not a valid URL"},
  };
  int n = 0;
  for (const auto& c : cases) {
    const std::string file = dir.file("c" + std::to_string(++n) + ".toml");
    {
      std::ofstream out(file);
      out << c.text;
    }
    ::chmod(file.c_str(), 0600);
    for (const char* command : {"check-config", "run"}) {
      auto r = testing::run_command({OMSWATCH_BINARY, command, "-c", file}, dir.path().string());
      EXPECT_EQ(r.exit_code, 78) << command << " " << file << ": " << r.err;
      EXPECT_NE(r.err.find(file + c.place), std::string::npos) << command << ": " << r.err;
      EXPECT_NE(r.err.find(c.message), std::string::npos) << command << ": " << r.err;
    }
  }
}

// An operator in the group omswatch may read the configuration and the
// database but not the secrets: query commands need only the database.
TEST(QueryCommands, NeedTheDatabaseButNotTheSecrets) {
  TempDir dir;
  const std::string db = dir.file("db.sqlite");
  {
    auto store = storage::Store::open(db, storage::OpenMode::read_write, {});
    ASSERT_TRUE(store.has_value()) << store.error();
  }
  ::unsetenv("OMSWATCH_TEST_UNSET_SECRET");
  {
    std::ofstream c(dir.file("c.toml"));
    c << "[daemon]\ndatabase = \"" << db << "\"\nlisten = \"\"\n"
      << "[[oms]]\nname = \"p\"\nurl = \"http://127.0.0.1:1\"\nusername = \"u\"\n"
      << "password_file = \"" << dir.file("missing-password") << "\"\nprojects = [\"np_1\"]\n"
      << "[[receivers]]\nname = \"ops\"\ntype = \"slack\"\n"
      << "url = \"${OMSWATCH_TEST_UNSET_SECRET}\"\n";
  }
  ::chmod(dir.file("c.toml").c_str(), 0640);
  const std::string config = dir.file("c.toml");
  for (std::vector<std::string> query :
       {std::vector<std::string>{"status"},
        {"history", "np_1"},
        {"events"},
        {"silence", "list"},
        {"silence", "add", "--project", "np_1", "--for", "1h", "--comment", "maintenance"},
        {"silence", "expire", "1"}}) {
    query.insert(query.begin(), OMSWATCH_BINARY);
    query.insert(query.end(), {"-c", config});
    auto r = testing::run_command(query, dir.path().string());
    EXPECT_EQ(r.exit_code, 0) << query[1] << ": " << r.err;
  }
  // What needs the secrets still refuses the file, with the places of both.
  for (const char* command : {"check-config", "run"}) {
    auto r = testing::run_command({OMSWATCH_BINARY, command, "-c", config}, dir.path().string());
    EXPECT_EQ(r.exit_code, 78) << command;
    EXPECT_NE(r.err.find(config + ":8:17: oms.password_file"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(config + ":13:7: receivers.url"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("OMSWATCH_TEST_UNSET_SECRET"), std::string::npos) << r.err;
  }
}

TEST(Cli, UsageErrorsExitSixtyFour) {
  TempDir dir;
  auto r = testing::run_command({OMSWATCH_BINARY, "frobnicate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos);
  auto missing = testing::run_command(
      {OMSWATCH_BINARY, "status", "--db", dir.file("nope.db")}, dir.path().string());
  EXPECT_EQ(missing.exit_code, 66);
  EXPECT_NE(missing.err.find("nope.db"), std::string::npos);
  auto format = testing::run_command(
      {OMSWATCH_BINARY, "status", "--db", dir.file("nope.db"), "--format", "xml"}, dir.path().string());
  EXPECT_EQ(format.exit_code, 64);
}

}  // namespace
}  // namespace omswatch

namespace omswatch {
namespace {

TEST(NotifyTest, ReportsWhatThePlatformAnswered) {
  IoThread io;
  TempDir dir;
  WebhookReceiver receiver(io);
  {
    std::ofstream cfg(dir.file("c.toml"));
    cfg << "[daemon]\ndatabase = \"" << dir.file("db") << "\"\n"
        << "public_url = \"https://ops.example.com/omswatch\"\n"
        << "[[oms]]\nname = \"p\"\nurl = \"http://127.0.0.1:1\"\nusername = \"u\"\n"
        << "password = \"${NT_PW}\"\nprojects = [\"np_1\"]\n"
        << "[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"" << receiver.url() << "\"\n";
  }
  ::chmod(dir.file("c.toml").c_str(), 0600);
  setenv("NT_PW", "pw", 1);
  auto ok = testing::run_command({OMSWATCH_BINARY, "notify-test", "ops", "-c", dir.file("c.toml")},
                                 dir.path().string());
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("accepted"), std::string::npos);
  ASSERT_EQ(receiver.count("test", "notice"), 1u);
  // The test message links where alerts will: the overview of the OMS.
  EXPECT_EQ(receiver.events().at(0).at("omswatch_url").as_string(),
            "https://ops.example.com/omswatch/?oms=p");

  receiver.answer(400);
  auto refused = testing::run_command(
      {OMSWATCH_BINARY, "notify-test", "ops", "-c", dir.file("c.toml")}, dir.path().string());
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("refused"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("HTTP 400"), std::string::npos) << refused.err;

  auto unknown = testing::run_command(
      {OMSWATCH_BINARY, "notify-test", "pager", "-c", dir.file("c.toml")}, dir.path().string());
  EXPECT_EQ(unknown.exit_code, 64);
  EXPECT_NE(unknown.err.find("configured: ops"), std::string::npos) << unknown.err;
}


// The test message of an alertmanager receiver is a real alert: Alertmanager
// lists it (alertname omswatch_test, ending a few minutes later), and
// notify-test prints Alertmanager's answer.
TEST(NotifyTest, AlertmanagerListsTheTestAlert) {
  if (!std::filesystem::exists(testing::kAlertmanager)) {
    GTEST_SKIP() << testing::kAlertmanager << " is not installed";
  }
  TempDir dir;
  testing::RealAlertmanager am;
  boost::asio::io_context ioc;
  net::HttpClient http(ioc.get_executor());
  ASSERT_TRUE(testing::run_coro<bool>(ioc, [&] { return am.wait_ready(http); }, 30s)) << am.log();
  {
    std::ofstream cfg(dir.file("c.toml"));
    cfg << "[daemon]\ndatabase = \"" << dir.file("db") << "\"\n"
        << "[[oms]]\nname = \"p\"\nurl = \"http://127.0.0.1:1\"\nusername = \"u\"\n"
        << "password = \"pw\"\nprojects = [\"np_1\"]\n"
        << "[[receivers]]\nname = \"am\"\ntype = \"alertmanager\"\nurl = \"" << am.base_url()
        << "\"\n";
  }
  ::chmod(dir.file("c.toml").c_str(), 0600);
  const auto before = std::chrono::system_clock::now();
  auto sent = testing::run_command({OMSWATCH_BINARY, "notify-test", "am", "-c", dir.file("c.toml")},
                                   dir.path().string());
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_NE(sent.out.find("accepted the test message: HTTP 200"), std::string::npos) << sent.out;
  EXPECT_NE(sent.out.find("omswatch_test"), std::string::npos) << sent.out;

  const json::value* alert = nullptr;
  json::array alerts;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!alert && std::chrono::steady_clock::now() < deadline) {
    alerts = testing::run_coro<json::array>(ioc, [&] { return am.active_alerts(http); });
    alert = testing::find_alert(alerts, "omswatch_test");
  }
  ASSERT_NE(alert, nullptr) << json::serialize(alerts) << am.log();
  EXPECT_EQ(alert->at("labels").at("oms").as_string(), "p");
  EXPECT_EQ(alert->at("status").at("state").as_string(), "active");
  EXPECT_NE(std::string(alert->at("annotations").at("summary").as_string()).find("test message"),
            std::string::npos);
  // It ends by itself a few minutes from now.
  std::string ends_at(alert->at("endsAt").as_string());
  std::tm tm{};
  ASSERT_NE(::strptime(ends_at.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << ends_at;
  const auto ends = std::chrono::system_clock::from_time_t(::timegm(&tm));
  EXPECT_GE(ends, std::chrono::time_point_cast<std::chrono::seconds>(before) + 4min) << ends_at;
  EXPECT_LE(ends, std::chrono::system_clock::now() + 6min) << ends_at;
}

}  // namespace
}  // namespace omswatch
