// Loading valid configurations: every key, its default, and the helpers on Config.

#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/config/config_test_support.h"

namespace omswatch::config {
namespace {

using namespace std::chrono_literals;
using test::env_of;
using test::errors;
using test::load;
using test::with_oms;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Config& loaded(const LoadResult& r) {
  EXPECT_THAT(errors(r), IsEmpty());
  if (!r.config) throw std::runtime_error("no config");
  return *r.config;
}

TEST(LoadConfig, FillsEveryDefault) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms.example.internal:8089"
username = "watcher"
password = "${PW}"
projects = ["np_1"]

[[receivers]]
name = "ops"
type = "webhook"
url = "https://hooks.example.internal/omswatch"
)");
  const Config& c = loaded(r);
  EXPECT_EQ(c.source, "test.toml");
  EXPECT_THAT(r.warnings, IsEmpty());

  EXPECT_EQ(c.daemon.database, "/var/lib/omswatch/omswatch.db");
  EXPECT_EQ(c.daemon.listen, "127.0.0.1:9187");
  EXPECT_EQ(c.daemon.log_level, "info");
  EXPECT_EQ(c.daemon.public_url, "");

  ASSERT_EQ(c.oms.size(), 1u);
  const OmsDeployment& o = c.oms[0];
  EXPECT_EQ(o.name, "prod");
  EXPECT_EQ(o.url, "http://oms.example.internal:8089");
  EXPECT_EQ(o.username, "watcher");
  EXPECT_EQ(o.password.reveal(), test::kPassword);
  EXPECT_EQ(o.interval, 30s);
  EXPECT_EQ(o.timeout, 10s);
  EXPECT_EQ(o.max_in_flight, 8);
  EXPECT_THAT(o.projects, ElementsAre("np_1"));
  EXPECT_FALSE(o.discover);
  EXPECT_THAT(o.discover_types, IsEmpty());
  EXPECT_THAT(o.discover_labels, IsEmpty());
  EXPECT_EQ(o.console_url, "");

  EXPECT_EQ(c.detect, Thresholds{});
  EXPECT_EQ(c.detect.stall_after, 5min);
  EXPECT_EQ(c.detect.max_lag, 10min);
  EXPECT_EQ(c.detect.unreachable_after, 3);
  EXPECT_EQ(c.detect.unavailable_after, 3);
  EXPECT_EQ(c.detect.steps_every, 1min);
  EXPECT_EQ(c.detect.slow_share, 0.5);
  EXPECT_EQ(c.detect.slow_for, 10min);
  EXPECT_EQ(c.detect.slow_grace, 5min);
  EXPECT_EQ(c.detect.max_eta, 0s);
  EXPECT_EQ(c.detect.behind_horizon, 30min);
  EXPECT_EQ(c.detect.cutover_max_lag, 30s);
  EXPECT_EQ(c.detect.cutover_for, 5min);
  EXPECT_EQ(c.detect.creating_grace, 10min);
  EXPECT_EQ(c.detect.failed_grace, 2min);

  ASSERT_EQ(c.receivers.size(), 1u);
  const Receiver& ops = c.receivers[0];
  EXPECT_EQ(ops.name, "ops");
  EXPECT_EQ(ops.type, "webhook");
  EXPECT_EQ(ops.url.reveal(), "https://hooks.example.internal/omswatch");
  EXPECT_TRUE(ops.secret.empty());
  EXPECT_EQ(ops.proxy, "");
  EXPECT_EQ(ops.timeout, 10s);

  // Every level has a route; all but IGNORE send to every receiver.
  ASSERT_EQ(c.routes.size(), 4u);
  for (auto level : kAlarmLevels) {
    SCOPED_TRACE(level);
    const Route& route = c.routes.at(std::string(level));
    EXPECT_EQ(route.min_severity, Severity::info);
    EXPECT_EQ(route.group_wait, 10s);
    EXPECT_EQ(route.repeat, level == "HIGH" ? 1h : 4h);
    EXPECT_EQ(route.overrides, ThresholdOverrides{});
    if (level == "IGNORE") {
      EXPECT_THAT(route.receivers, IsEmpty());
    } else {
      EXPECT_THAT(route.receivers, ElementsAre("ops"));
    }
  }
}

TEST(LoadConfig, ReadsEveryKey) {
  auto r = load_string(R"(
[daemon]
database = "/srv/omswatch/state.db"
listen = "[::1]:9100"
log_level = "debug"
public_url = "https://ops.example.com/omswatch/"

[[oms]]
name = "prod-east"
url = "https://oms.example.internal:8089/"
username = "watcher"
password = "${PW}"
interval = "1m30s"
timeout = "2500ms"
max_in_flight = 32
projects = ["np_1", "np_2"]
discover = true
discover_types = ["MIGRATION", "SYNC"]
discover_labels = ["prod", "critical"]
console_url = "https://oms.example.internal:8089/console"

[detect]
stall_after = "15m"
max_lag = "1h"
unreachable_after = 5
unavailable_after = 7

[routes.HIGH]
receivers = ["oncall", "ops"]
min_severity = "warning"
repeat = "15m"
group_wait = "0s"
stall_after = "2m"
max_lag = "1m"
unreachable_after = 1
unavailable_after = 2

[routes.IGNORE]
receivers = ["ops"]
min_severity = "critical"

[routes.LOW]
receivers = []

[[receivers]]
name = "oncall"
type = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=${DT_TOKEN}"
secret = "${DT_SECRET}"
proxy = "http://proxy.example.internal:3128"
timeout = "3s"

[[receivers]]
name = "ops"
type = "console"
)",
                       "every.toml",
                       env_of({{"PW", "p"}, {"DT_TOKEN", "tok123"}, {"DT_SECRET", "SEC456"}}));
  const Config& c = loaded(r);
  EXPECT_THAT(test::warnings(r), IsEmpty());
  EXPECT_EQ(c.daemon.database, "/srv/omswatch/state.db");
  EXPECT_EQ(c.daemon.listen, "[::1]:9100");
  EXPECT_EQ(c.daemon.log_level, "debug");
  EXPECT_EQ(c.daemon.public_url, "https://ops.example.com/omswatch/");

  const OmsDeployment& o = c.oms.at(0);
  EXPECT_EQ(o.name, "prod-east");
  EXPECT_EQ(o.url, "https://oms.example.internal:8089");  // the trailing '/' is dropped
  EXPECT_EQ(o.interval, 90s);
  EXPECT_EQ(o.timeout, 2500ms);
  EXPECT_EQ(o.max_in_flight, 32);
  EXPECT_THAT(o.projects, ElementsAre("np_1", "np_2"));
  EXPECT_TRUE(o.discover);
  EXPECT_THAT(o.discover_types, ElementsAre("MIGRATION", "SYNC"));
  EXPECT_THAT(o.discover_labels, ElementsAre("prod", "critical"));
  EXPECT_EQ(o.console_url, "https://oms.example.internal:8089/console");

  EXPECT_EQ(c.detect, (Thresholds{15min, 1h, 5, 7}));

  const Route& high = c.routes.at("HIGH");
  EXPECT_THAT(high.receivers, ElementsAre("oncall", "ops"));
  EXPECT_EQ(high.min_severity, Severity::warning);
  EXPECT_EQ(high.repeat, 15min);
  EXPECT_EQ(high.group_wait, 0s);
  EXPECT_EQ(high.overrides, (ThresholdOverrides{2min, 1min, 1, 2}));
  EXPECT_THAT(c.routes.at("MEDIUM").receivers, ElementsAre("oncall", "ops"));
  EXPECT_THAT(c.routes.at("LOW").receivers, IsEmpty());  // an explicit [] sends nowhere
  EXPECT_THAT(c.routes.at("IGNORE").receivers, ElementsAre("ops"));
  EXPECT_EQ(c.routes.at("IGNORE").min_severity, Severity::critical);

  const Receiver& oncall = c.receivers.at(0);
  EXPECT_EQ(oncall.type, "dingtalk");
  EXPECT_EQ(oncall.url.reveal(), "https://oapi.dingtalk.com/robot/send?access_token=tok123");
  EXPECT_EQ(oncall.secret.reveal(), "SEC456");
  EXPECT_EQ(oncall.proxy, "http://proxy.example.internal:3128");
  EXPECT_EQ(oncall.timeout, 3s);
  const Receiver& ops = c.receivers.at(1);
  EXPECT_EQ(ops.type, "console");
  EXPECT_TRUE(ops.url.empty());
}

TEST(LoadConfig, ReadsTheMigrationProgressKeys) {
  auto r = load(with_oms(R"([detect]
steps_every = "2m"
slow_share = 0.25
slow_for = "20m"
slow_grace = "0s"
max_eta = "12h"
behind_horizon = "1h"
cutover_max_lag = "5s"
cutover_for = "15m"
creating_grace = "20m"
failed_grace = "3m"
)"));
  const Config& c = loaded(r);
  Thresholds want;
  want.steps_every = 2min;
  want.slow_share = 0.25;
  want.slow_for = 20min;
  want.slow_grace = 0s;
  want.max_eta = 12h;
  want.behind_horizon = 1h;
  want.cutover_max_lag = 5s;
  want.cutover_for = 15min;
  want.creating_grace = 20min;
  want.failed_grace = 3min;
  EXPECT_EQ(c.detect, want);
  // They apply to every alarm level alike.
  for (auto level : kAlarmLevels) EXPECT_EQ(c.thresholds_for(level), want) << level;

  // A share of 1 may be written as an integer; max_eta "0" is "0s": no bound.
  auto whole_result = load(with_oms("[detect]\nslow_share = 1\nmax_eta = \"0\"\n"));
  const Config& whole = loaded(whole_result);  // a reference into whole_result
  EXPECT_EQ(whole.detect.slow_share, 1.0);
  EXPECT_EQ(whole.detect.max_eta, 0s);
}

TEST(LoadConfig, DiscoveryAloneNeedsNoProjects) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
discover = true
)");
  EXPECT_TRUE(loaded(r).oms.at(0).projects.empty());
}

TEST(LoadConfig, AcceptsInlineTablesForArraysOfTables) {
  auto r = load(
      R"(oms = [{name = "a", url = "http://a:1", username = "u", password = "${PW}", projects = ["p"]},
       {name = "b", url = "http://b:1", username = "u", password = "${PW}", projects = ["p"]}]
)");
  const Config& c = loaded(r);
  ASSERT_EQ(c.oms.size(), 2u);
  EXPECT_EQ(c.oms[1].name, "b");
}

TEST(LoadConfig, AllowsTheSameProjectIdOnTwoDeployments) {
  auto r = load(with_oms(R"([[oms]]
name = "staging"
url = "http://staging:8089"
username = "u"
password = "${PW}"
projects = ["np_1"]
)"));
  EXPECT_EQ(loaded(r).oms.size(), 2u);
}

TEST(LoadConfig, ResolvesRelativePathsAgainstTheWorkingDirectoryForStrings) {
  auto r = load(with_oms("[daemon]\ndatabase = \"state/omswatch.db\"\n"));
  const std::string db = loaded(r).daemon.database;
  EXPECT_EQ(db, (std::filesystem::current_path() / "state/omswatch.db").string());
}

TEST(LoadConfig, AnEmptyListenTurnsTheEndpointOff) {
  auto r = load(with_oms("[daemon]\nlisten = \"\"\n"));
  EXPECT_EQ(loaded(r).daemon.listen, "");
}

TEST(LoadConfig, LoadsTheDesignExample) {
  // The configuration shown in the design, as written there.
  auto r = load_string(R"(
[daemon]
database = "/var/lib/omswatch/omswatch.db"   # SQLite file; the directory is created if missing
listen = "127.0.0.1:9187"                    # metrics, health, JSON API; "" turns it off
log_level = "info"

[[oms]]                                      # one table per OMS deployment
name = "prod"
url = "http://oms.example.internal:8089"
username = "watcher"
password = "${OMS_PROD_PASSWORD}"            # ${VAR} is expanded; or password_file = "/run/credentials/omswatch.service/oms-prod"
interval = "30s"
timeout = "10s"
max_in_flight = 8
projects = ["np_4w1", "np_4w2"]
discover = false                             # true: also watch what ListProjects returns (filters: discover_types, discover_labels)

[detect]
stall_after = "5m"
max_lag = "10m"
unreachable_after = 3
unavailable_after = 3

[routes.HIGH]
receivers = ["oncall"]
repeat = "15m"
max_lag = "1m"

[routes.LOW]
receivers = ["ops"]
min_severity = "critical"

[[receivers]]
name = "oncall"
type = "slack"                               # webhook | slack | dingtalk | feishu | wecom | teams | alertmanager
url = "${SLACK_ONCALL_URL}"

[[receivers]]
name = "ops"
type = "webhook"
url = "https://hooks.example.internal/omswatch"
secret = "whsec_..."                          # Standard Webhooks signing (CHANNELS.md)
)",
                       "design.toml",
                       env_of({{"OMS_PROD_PASSWORD", "s3cret"},
                               {"SLACK_ONCALL_URL", "https://hooks.slack.com/services/T/B/X"}}));
  const Config& c = loaded(r);
  EXPECT_EQ(c.oms.at(0).password.reveal(), "s3cret");
  EXPECT_THAT(c.oms.at(0).projects, ElementsAre("np_4w1", "np_4w2"));
  EXPECT_EQ(c.receivers.at(0).url.reveal(), "https://hooks.slack.com/services/T/B/X");
  EXPECT_EQ(c.receivers.at(1).secret.reveal(), "whsec_...");
  EXPECT_THAT(c.routes.at("HIGH").receivers, ElementsAre("oncall"));
  EXPECT_THAT(c.routes.at("MEDIUM").receivers, ElementsAre("oncall", "ops"));
  EXPECT_THAT(c.routes.at("LOW").receivers, ElementsAre("ops"));
  EXPECT_THAT(c.routes.at("IGNORE").receivers, IsEmpty());
  EXPECT_EQ(c.thresholds_for("HIGH"), (Thresholds{5min, 1min, 3, 3}));
  EXPECT_EQ(c.thresholds_for("LOW"), (Thresholds{5min, 10min, 3, 3}));
}

TEST(ConfigHelpers, RouteForFallsBackToMedium) {
  auto r = load(with_oms(R"(
[routes.MEDIUM]
repeat = "2h"
[routes.LOW]
repeat = "8h"
)"));
  const Config& c = loaded(r);
  EXPECT_EQ(c.route_for("LOW").repeat, 8h);
  EXPECT_EQ(c.route_for("HIGH").repeat, 1h);
  EXPECT_EQ(c.route_for("MEDIUM").repeat, 2h);
  EXPECT_EQ(c.route_for("").repeat, 2h);
  EXPECT_EQ(c.route_for("CRITICAL").repeat, 2h);
  EXPECT_EQ(c.route_for("low").repeat, 2h);  // levels are OMS's upper-case words
}

TEST(ConfigHelpers, RouteForWorksOnAConfigBuiltByHand) {
  Config c;
  EXPECT_EQ(c.route_for("HIGH"), Route{});
  c.routes["MEDIUM"].repeat = 3h;
  EXPECT_EQ(c.route_for("HIGH").repeat, 3h);
}

TEST(ConfigHelpers, ThresholdsForAppliesOnlyTheLevelsOverrides) {
  auto r = load(with_oms(R"(
[detect]
stall_after = "20m"
unreachable_after = 4
[routes.HIGH]
stall_after = "1m"
unavailable_after = 1
[routes.MEDIUM]
max_lag = "30m"
)"));
  const Config& c = loaded(r);
  EXPECT_EQ(c.thresholds_for("HIGH"), (Thresholds{1min, 10min, 4, 1}));
  EXPECT_EQ(c.thresholds_for("MEDIUM"), (Thresholds{20min, 30min, 4, 3}));
  EXPECT_EQ(c.thresholds_for("LOW"), (Thresholds{20min, 10min, 4, 3}));
  EXPECT_EQ(c.thresholds_for("unknown"), c.thresholds_for("MEDIUM"));
}

TEST(ConfigHelpers, FindsReceiversAndDeploymentsByName) {
  auto r = load(with_oms(R"(
[[receivers]]
name = "a"
type = "console"
[[receivers]]
name = "b"
type = "console"
)"));
  const Config& c = loaded(r);
  ASSERT_NE(c.find_receiver("b"), nullptr);
  EXPECT_EQ(c.find_receiver("b"), &c.receivers[1]);
  EXPECT_EQ(c.find_receiver("c"), nullptr);
  EXPECT_EQ(c.find_receiver(""), nullptr);
  ASSERT_NE(c.find_oms("prod"), nullptr);
  EXPECT_EQ(c.find_oms("prod")->url, "http://oms.example.internal:8089");
  EXPECT_EQ(c.find_oms("staging"), nullptr);
}

TEST(Diagnostic, RendersWithOrWithoutAPlace) {
  EXPECT_EQ((Diagnostic{"/etc/omswatch/omswatch.toml", 3, 7, "oops"}.to_string()),
            "/etc/omswatch/omswatch.toml:3:7: oops");
  EXPECT_EQ((Diagnostic{"a.toml", 0, 0, "no [[oms]]"}.to_string()), "a.toml: no [[oms]]");
}

TEST(ProcessEnvironment, ReadsTheRealEnvironment) {
  ::setenv("OMSWATCH_CONFIG_TEST_VAR", "value", 1);
  auto env = process_environment();
  EXPECT_EQ(env("OMSWATCH_CONFIG_TEST_VAR"), "value");
  ::unsetenv("OMSWATCH_CONFIG_TEST_VAR");
  EXPECT_EQ(env("OMSWATCH_CONFIG_TEST_VAR"), std::nullopt);
}

}  // namespace
}  // namespace omswatch::config
