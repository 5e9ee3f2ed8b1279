// Bad configurations: every problem is reported at its line and column, and
// all of them are reported at once.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/purpose.h"
#include "tests/config/config_test_support.h"

namespace omswatch::config {
namespace {

using test::errors;
using test::load;
using test::with_oms;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// with_oms() puts six lines before the text under test, which starts on line 7.

TEST(Validation, ReportsTomlSyntaxErrorsWithTheirPosition) {
  auto r = load("[daemon]\nlisten = \n");
  EXPECT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "test.toml");
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[0].column, 10);
  EXPECT_THAT(r.errors[0].message, ::testing::HasSubstr("expected value"));
}

TEST(Validation, ReportsUnknownKeysWithAHint) {
  auto r = load(with_oms("[daemon]\ndatabse = \"x\"\nlevel = \"debug\"\n"));
  EXPECT_THAT(errors(r), ElementsAre("8:1: unknown key 'daemon.databse' (did you mean 'database'?)",
                                     "9:1: unknown key 'daemon.level'"));
}

TEST(Validation, ReportsUnknownKeysInEverySection) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = ["np_1"]
intervall = "1m"
[detect]
stall = "5m"
[routes.HIGH]
recievers = []
[[receivers]]
name = "r"
type = "console"
timout = "1s"
[extra]
a = 1
top = 2
)");
  EXPECT_THAT(errors(r),
              ElementsAre("7:1: unknown key 'oms.intervall' (did you mean 'interval'?)",
                          "9:1: unknown key 'detect.stall' (did you mean 'stall_after'?)",
                          "11:1: unknown key 'routes.HIGH.recievers' (did you mean 'receivers'?)",
                          "15:1: unknown key 'receivers.timout' (did you mean 'timeout'?)",
                          "16:2: unknown table 'extra'"));
  // `top` follows [extra], so TOML puts it in that table: no second error for it.
}

TEST(Validation, ReportsUnknownTopLevelKeysAndRouteLevels) {
  auto r = load(R"(demon = 1
[[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = ["np_1"]
[routes.high]
[routes.URGENT]
)");
  EXPECT_THAT(
      errors(r),
      ElementsAre("1:1: unknown key 'demon' (did you mean 'daemon'?)",
                  "8:9: unknown route 'routes.high': the alarm levels are HIGH, MEDIUM, LOW or "
                  "IGNORE (did you mean 'HIGH'?)",
                  "9:9: unknown route 'routes.URGENT': the alarm levels are HIGH, MEDIUM, LOW or "
                  "IGNORE"));
}

TEST(Validation, ReportsWrongTypes) {
  auto r = load(R"([daemon]
database = 5
listen = true
[[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = "np_1"
interval = 30
timeout = 1.5
max_in_flight = "8"
discover = "yes"
[detect]
unreachable_after = "3"
)");
  EXPECT_THAT(
      errors(r),
      ElementsAre("2:12: daemon.database: expected a string, not an integer",
                  "3:10: daemon.listen: expected a string, not a boolean",
                  "9:12: oms.projects: expected an array of strings like [\"a\", \"b\"], not a "
                  "string",
                  "10:12: oms.interval: expected a duration string like \"30s\", not an integer",
                  "11:11: oms.timeout: expected a duration string like \"30s\", not a float",
                  "12:17: oms.max_in_flight: expected an integer, not a string",
                  "13:12: oms.discover: expected true or false, not a string",
                  "15:21: detect.unreachable_after: expected an integer, not a string"));
}

TEST(Validation, ReportsSectionsOfTheWrongShape) {
  auto r = load(R"(daemon = "x"
detect = []
routes = 1
receivers = 2
[oms]
name = "prod"
)");
  EXPECT_THAT(errors(r),
              ElementsAre("1:10: daemon: expected a table such as [daemon], not a string",
                          "2:10: detect: expected a table such as [detect], not an array",
                          "3:10: routes: expected a table such as [routes.HIGH], not an integer",
                          "4:13: receivers: expected an array of tables: write [[receivers]], "
                          "not an integer",
                          "5:1: oms: expected an array of tables: write [[oms]], not [oms]"));
}

TEST(Validation, ReportsBadDurations) {
  auto r = load(with_oms(R"([detect]
stall_after = "5 minutes"
max_lag = "-1m"
[routes.HIGH]
repeat = "0s"
group_wait = ""
[routes.LOW]
group_wait = "0s"
)"));
  EXPECT_THAT(errors(r),
              ElementsAre("8:15: detect.stall_after: \"5 minutes\" is not a duration; write e.g. "
                          "\"500ms\", \"30s\", \"5m\", \"1h\", \"7d\" or \"1h30m\"",
                          "9:11: detect.max_lag: must not be negative",
                          "11:10: routes.HIGH.repeat: must be longer than 0s",
                          "12:14: routes.HIGH.group_wait: \"\" is not a duration; write e.g. "
                          "\"500ms\", \"30s\", \"5m\", \"1h\", \"7d\" or \"1h30m\""));
}

TEST(Validation, RefusesZeroWhereItMakesNoSense) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = ["np_1"]
interval = "0s"
timeout = "0ms"
max_in_flight = 0
[detect]
unreachable_after = 0
unavailable_after = -1
[[receivers]]
name = "r"
type = "console"
timeout = "0s"
[routes.HIGH]
max_in_flight = 2000
)");
  EXPECT_THAT(errors(r),
              ElementsAre("7:12: oms.interval: must be longer than 0s",
                          "8:11: oms.timeout: must be longer than 0s",
                          "9:17: oms.max_in_flight: must be between 1 and 1024, not 0",
                          "11:21: detect.unreachable_after: must be between 1 and 1000, not 0",
                          "12:21: detect.unavailable_after: must be between 1 and 1000, not -1",
                          "16:11: receivers.timeout: must be longer than 0s",
                          "18:1: unknown key 'routes.HIGH.max_in_flight'"));
}

TEST(Validation, BoundsEveryDuration) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = ["np_1"]
interval = "9223372036854775807ms"
timeout = "99ms"
[detect]
stall_after = "31d"
[routes.HIGH]
repeat = "999ms"
group_wait = "2h"
[delivery]
max_age = "106751991167d"
[storage]
sample_every = "1d1ms"
keep_events = "3651d"
)");
  EXPECT_THAT(errors(r),
              ElementsAre("7:12: oms.interval: \"9223372036854775807ms\" is too long: at most 1d",
                          "8:11: oms.timeout: \"99ms\" is too short: at least 100ms",
                          "10:15: detect.stall_after: \"31d\" is too long: at most 30d",
                          "12:10: routes.HIGH.repeat: \"999ms\" is too short: at least 1s",
                          "13:14: routes.HIGH.group_wait: \"2h\" is too long: at most 1h",
                          "15:11: delivery.max_age: \"106751991167d\" is too long: at most 30d",
                          "17:16: storage.sample_every: \"1d1ms\" is too long: at most 1d",
                          "18:15: storage.keep_events: \"3651d\" is too long: at most 3650d"));
  // The bounds themselves are accepted.
  EXPECT_THAT(errors(load(with_oms("interval = \"100ms\"\ntimeout = \"10m\"\n"
                                   "discover_every = \"7d\"\n[detect]\nmax_lag = \"30d\"\n"))),
              IsEmpty());
}

TEST(Validation, BoundsTheMigrationProgressKeys) {
  auto r = load(with_oms(R"([detect]
steps_every = "500ms"
slow_share = 0
slow_for = "0s"
slow_grace = "2d"
max_eta = "3651d"
behind_horizon = "31d"
cutover_max_lag = "0s"
cutover_for = "31d"
creating_grace = "1d1s"
failed_grace = "-1m"
)"));
  EXPECT_THAT(errors(r),
              ElementsAre("8:15: detect.steps_every: \"500ms\" is too short: at least 1s",
                          "9:14: detect.slow_share: must be more than 0 and at most 1, not 0",
                          "10:12: detect.slow_for: must be longer than 0s",
                          "11:14: detect.slow_grace: \"2d\" is too long: at most 1d",
                          "12:11: detect.max_eta: \"3651d\" is too long: at most 3650d",
                          "13:18: detect.behind_horizon: \"31d\" is too long: at most 30d",
                          "14:19: detect.cutover_max_lag: must be longer than 0s",
                          "15:15: detect.cutover_for: \"31d\" is too long: at most 30d",
                          "16:18: detect.creating_grace: \"1d1s\" is too long: at most 1d",
                          "17:16: detect.failed_grace: must not be negative"));
  EXPECT_THAT(errors(load(with_oms("[detect]\nslow_share = 1.5\n"))),
              ElementsAre("8:14: detect.slow_share: must be more than 0 and at most 1, not 1.5"));
  EXPECT_THAT(errors(load(with_oms("[detect]\nslow_share = \"50%\"\n"))),
              ElementsAre("8:14: detect.slow_share: expected a number such as 0.5, not a string"));
  EXPECT_THAT(errors(load(with_oms("[detect]\nslow_share = nan\n"))),
              ElementsAre("8:14: detect.slow_share: must be more than 0 and at most 1, not nan"));
  // The bounds themselves are accepted.
  EXPECT_THAT(errors(load(with_oms(R"([detect]
steps_every = "1d"
slow_share = 1.0
slow_grace = "0s"
max_eta = "3650d"
cutover_for = "0s"
creating_grace = "1d"
failed_grace = "0s"
)"))),
              IsEmpty());
}

TEST(Validation, MigrationProgressKeysAreSetInDetectOnly) {
  auto r = load(with_oms("[routes.HIGH]\nmax_lag = \"1m\"\ncutover_max_lag = \"10s\"\n"
                         "slow_for = \"5m\"\n"));
  EXPECT_THAT(errors(r),
              ElementsAre("9:19: routes.HIGH.cutover_max_lag: set it in [detect]; it applies to "
                          "every alarm level alike",
                          "10:12: routes.HIGH.slow_for: set it in [detect]; it applies to every "
                          "alarm level alike"));
}

TEST(Validation, BoundsMaxInFlightAboveToo) {
  auto r = load(with_oms("max_in_flight = 1025\n"));
  EXPECT_THAT(errors(r),
              ElementsAre("7:17: oms.max_in_flight: must be between 1 and 1024, not 1025"));
  EXPECT_THAT(errors(load(with_oms("max_in_flight = 1024\n"))), IsEmpty());
  EXPECT_THAT(
      errors(load(with_oms("max_in_flight = 99999999999999\n"))),
      ElementsAre("7:17: oms.max_in_flight: must be between 1 and 1024, not 99999999999999"));
}

TEST(Validation, ReportsBadEnumValues) {
  auto r = load(R"([daemon]
log_level = "warning"
[[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
discover = true
discover_types = ["MIGRATION", "migration", "STREAM"]
[routes.HIGH]
min_severity = "error"
[[receivers]]
name = "r"
type = "email"
url = "https://x"
)");
  EXPECT_THAT(
      errors(r),
      ElementsAre(
          "2:13: daemon.log_level: \"warning\" is not one of trace, debug, info, warn, error, "
          "critical or off (did you mean 'warn'?)",
          "9:32: oms.discover_types: \"migration\" is not one of MIGRATION or SYNC (did you mean "
          "'MIGRATION'?)",
          "9:45: oms.discover_types: \"STREAM\" is not one of MIGRATION or SYNC",
          "11:16: routes.HIGH.min_severity: \"error\" is not one of info, warning or critical",
          "14:8: receivers.type: \"email\" is not one of webhook, slack, dingtalk, feishu, wecom, "
          "teams, alertmanager or console"));
}

TEST(Validation, ReportsMissingRequiredKeysAtTheirTable) {
  auto r = load(R"([daemon]
log_level = "info"

[[oms]]
projects = ["np_1"]

[[receivers]]
name = "hook"

[[receivers]]
type = "slack"
)");
  EXPECT_THAT(
      errors(r),
      ElementsAre("4:1: missing required key 'oms.name'", "4:1: missing required key 'oms.url'",
                  "4:1: missing required key 'oms.username'",
                  "4:1: missing required key 'oms.password' (or 'oms.password_file')",
                  "7:1: missing required key 'receivers.type'",
                  "10:1: missing required key 'receivers.name'",
                  "10:1: missing required key 'receivers.url' (type \"slack\" needs one)"));
}

TEST(Validation, RequiresAtLeastOneOms) {
  auto r = load("[daemon]\nlog_level = \"info\"\n");
  EXPECT_THAT(errors(r), ElementsAre("0:0: no [[oms]] table: name at least one OMS to watch"));
  EXPECT_EQ(r.errors[0].to_string(), "test.toml: no [[oms]] table: name at least one OMS to watch");
  EXPECT_THAT(errors(load("oms = []\n")),
              ElementsAre("1:1: oms: empty; name at least one OMS to watch"));
  EXPECT_THAT(errors(load("")),
              ElementsAre("0:0: no [[oms]] table: name at least one OMS to watch"));
}

TEST(Validation, AnOmsMustWatchSomething) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
[[oms]]
name = "staging"
url = "http://staging:8089"
username = "u"
password = "${PW}"
projects = []
discover = false
)");
  EXPECT_THAT(errors(r),
              ElementsAre("1:1: oms \"prod\" watches nothing: list its projects = [...] or set "
                          "discover = true",
                          "6:1: oms \"staging\" watches nothing: list its projects = [...] or set "
                          "discover = true"));
}

TEST(Validation, ABadProjectEntryIsNotAlsoReportedAsWatchingNothing) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = [42]
)");
  EXPECT_THAT(errors(r), ElementsAre("6:13: oms.projects: expected a string, not an integer"));
}

TEST(Validation, KeepsTomlErrorMessagesPrintable) {
  auto r = load("a = \"x\x01\"\n");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message.find('\x01'), std::string::npos) << r.errors[0].message;
}

TEST(Validation, RequiresExactlyOnePasswordSource) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
password_file = "/run/credentials/omswatch.service/oms-prod"
projects = ["np_1"]
)");
  EXPECT_THAT(errors(r), ElementsAre("6:17: oms.password_file: set either password or "
                                     "password_file, not both"));
}

TEST(Validation, ChecksUrls) {
  auto r = load(R"([[oms]]
name = "prod"
url = "oms.example.internal:8089"
username = "u"
password = "${PW}"
projects = ["np_1"]
console_url = "ftp://oms"
[[oms]]
name = "b"
url = "http:///api"
username = "u"
password = "${PW}"
projects = ["np_1"]
[[receivers]]
name = "r"
type = "webhook"
url = "https://hooks.example.internal/a b"
proxy = "https://proxy:3128"
[[receivers]]
name = "s"
type = "webhook"
url = "http://hooks.example.internal:65536/a"
proxy = "http://[::1"
)");
  const std::string invalid =
      "is not a valid URL: the host must be a name or an address (IPv6 in brackets, [::1]) and "
      "the port 1 to 65535";
  EXPECT_THAT(errors(r),
              ElementsAre("3:7: oms.url: must start with http:// or https://",
                          "7:15: oms.console_url: must start with http:// or https://",
                          "10:7: oms.url: has no host",
                          "17:7: receivers.url: must not contain spaces or control characters",
                          "18:9: receivers.proxy: must start with http://",
                          "22:7: receivers.url: " + invalid, "23:9: receivers.proxy: " + invalid));
}

TEST(Validation, ChecksTheListenAddress) {
  for (const char* good : {"127.0.0.1:9187", "127.0.0.1:0", "localhost:80", "[::1]:9187"}) {
    EXPECT_THAT(errors(load(with_oms(std::string("[daemon]\nlisten = \"") + good + "\"\n"))),
                IsEmpty())
        << good;
  }
  for (const char* bad : {"9187", ":9187", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "host:port",
                          "[::1]", "a b:1"}) {
    auto r = load(with_oms(std::string("[daemon]\nlisten = \"") + bad + "\"\n"));
    EXPECT_THAT(errors(r), ElementsAre("8:10: daemon.listen: \"" + std::string(bad) +
                                       "\" is not \"host:port\" such as \"127.0.0.1:9187\" "
                                       "(\"\" turns it off)"))
        << bad;
  }
}

TEST(Validation, ChecksThePublicUrl) {
  auto public_url = [](const std::string& url) {
    return load(with_oms("[daemon]\npublic_url = \"" + url + "\"\n"));
  };
  for (const char* good : {"https://omswatch.example.com/", "https://omswatch.example.com",
                           "https://ops.example.com/omswatch/", "http://10.0.0.5:9187",
                           "http://[::1]:9187/console/", ""}) {
    auto r = public_url(good);
    EXPECT_THAT(errors(r), IsEmpty()) << good;
    if (r.config) EXPECT_EQ(r.config->daemon.public_url, good);
  }
  const std::string key = "8:14: daemon.public_url: ";
  EXPECT_THAT(errors(public_url("omswatch.example.com")),
              ElementsAre(key + "must start with http:// or https://"));
  EXPECT_THAT(errors(public_url("/omswatch/")),
              ElementsAre(key + "must start with http:// or https://"));
  EXPECT_THAT(errors(public_url("https://omswatch.example.com/a b")),
              ElementsAre(key + "must not contain spaces or control characters"));
  EXPECT_THAT(errors(public_url("https:///omswatch")), ElementsAre(key + "has no host"));
  const std::string no_query =
      "must not have a query or a fragment: it is the address the console's pages are under "
      "(\"https://omswatch.example.com/\")";
  EXPECT_THAT(errors(public_url("https://omswatch.example.com/?team=ops")),
              ElementsAre(key + no_query));
  EXPECT_THAT(errors(public_url("https://omswatch.example.com/#top")), ElementsAre(key + no_query));
  // Every link in every message would carry the credentials to the whole channel.
  auto userinfo = public_url("https://admin:hunter2@omswatch.example.com/");
  EXPECT_THAT(errors(userinfo),
              ElementsAre(key + "must not carry user info (user:password@): every message "
                                "would show it"));
  EXPECT_EQ(errors(userinfo)[0].find("hunter2"), std::string::npos);
  // Long enough for any proxy path, short enough that the links stay within the platforms' limits.
  const std::string base = "https://omswatch.example.com/";
  EXPECT_THAT(errors(public_url(base + std::string(512 - base.size(), 'a'))), IsEmpty());
  EXPECT_THAT(errors(public_url(base + std::string(513 - base.size(), 'a'))),
              ElementsAre(key + "is longer than 512 characters"));
  EXPECT_THAT(errors(load(with_oms("[daemon]\npublic_url = 8\n"))),
              ElementsAre("8:14: daemon.public_url: expected a string, not an integer"));
}

// check-config refuses what the daemon would refuse where it binds daemon.listen.
TEST(Validation, ChecksTheListenAddressAsTheDaemonBindsIt) {
  auto listen = [](const std::string& address, const std::string& token = "") {
    return load(with_oms("[daemon]\nlisten = \"" + address + "\"\n" +
                         (token.empty() ? "" : "api_token = \"" + token + "\"\n")));
  };
  const std::string beyond =
      " is not a loopback address and no API token is set: anyone who can reach it could read "
      "the projects' history. Set daemon.api_token (or daemon.api_token_file), or listen on "
      "127.0.0.1";
  EXPECT_THAT(errors(listen("0.0.0.0:9187")),
              ElementsAre("8:10: daemon.listen: \"0.0.0.0:9187\"" + beyond));
  EXPECT_THAT(errors(listen("[::]:0")), ElementsAre("8:10: daemon.listen: \"[::]:0\"" + beyond));
  EXPECT_THAT(errors(listen("0.0.0.0:9187", "tok-3f9a")), IsEmpty());
  // A token the endpoint could never compare: refused without being quoted.
  auto spaced = listen("0.0.0.0:9187", "has space");
  EXPECT_THAT(errors(spaced),
              ElementsAre("9:13: daemon.api_token: the token must be printable ASCII without "
                          "spaces"));
  // A name that does not resolve (.invalid never does).
  auto r = listen("omswatch-test.invalid:9187");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(errors(r)[0], ::testing::StartsWith(
                                "8:10: daemon.listen: cannot resolve \"omswatch-test.invalid\": "));
}

TEST(Validation, QueriesResolveNoListenAddress) {
  // Queries resolve nothing and need no token.
  auto queries = load_string(with_oms("[daemon]\nlisten = \"omswatch-test.invalid:1\"\n"),
                             "test.toml", test::env_of({{"PW", "x"}}), Purpose::queries);
  EXPECT_THAT(errors(queries), IsEmpty());
}

TEST(Validation, ChecksNames) {
  auto r = load(R"([[oms]]
name = "prod east"
url = "http://oms:8089"
username = ""
password = "${PW}"
projects = ["np_1", "", "np 2"]
[[receivers]]
name = ""
type = "console"
)");
  EXPECT_THAT(
      errors(r),
      ElementsAre("2:8: oms.name: \"prod east\" is not a valid name: use 1 to 64 letters, "
                  "digits, '-', '_' or '.'",
                  "4:12: oms.username: must not be empty",
                  "6:21: oms.projects: entries must not be empty",
                  "6:25: oms.projects: \"np 2\" is not a project id (no spaces, at most 256 "
                  "characters)",
                  "8:8: receivers.name: \"\" is not a valid name: use 1 to 64 letters, digits, "
                  "'-', '_' or '.'"));
}

TEST(Validation, ReportsDuplicateNamesAndProjects) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = ["np_1", "np_2", "np_1"]
[[oms]]
name = "prod"
url = "http://oms2:8089"
username = "u"
password = "${PW}"
projects = ["np_1"]
[[receivers]]
name = "ops"
type = "console"
[[receivers]]
name = "ops"
type = "console"
)");
  EXPECT_THAT(
      errors(r),
      ElementsAre("6:29: oms.projects: duplicate project \"np_1\" (first listed at line 6, "
                  "column 13)",
                  "8:8: duplicate oms name \"prod\" (first used at line 2, column 8)",
                  "17:8: duplicate receiver name \"ops\" (first used at line 14, column 8)"));
}

TEST(Validation, ReportsDanglingAndRepeatedRouteReceivers) {
  auto r = load(with_oms(R"([routes.HIGH]
receivers = ["oncall", "opps", "oncall"]
[routes.LOW]
receivers = ["nobody", 7]
[[receivers]]
name = "oncall"
type = "console"
[[receivers]]
name = "ops"
type = "console"
)"));
  EXPECT_THAT(
      errors(r),
      ElementsAre("8:24: routes.HIGH.receivers: no receiver named \"opps\" in [[receivers]] (did "
                  "you mean 'ops'?)",
                  "8:32: routes.HIGH.receivers: receiver \"oncall\" is listed twice",
                  "10:14: routes.LOW.receivers: no receiver named \"nobody\" in [[receivers]]",
                  "10:24: routes.LOW.receivers: expected a string, not an integer"));
}

TEST(Validation, ARouteMayNameAReceiverDefinedWithOtherErrors) {
  // The receiver's own problem is reported; the route's reference to it is not another one.
  auto r = load(with_oms(R"([routes.HIGH]
receivers = ["oncall"]
[[receivers]]
name = "oncall"
type = "pager"
)"));
  EXPECT_THAT(errors(r), ElementsAre("11:8: receivers.type: \"pager\" is not one of webhook, "
                                     "slack, dingtalk, feishu, wecom, teams, alertmanager or "
                                     "console"));
}

TEST(Validation, CollectsEveryErrorInDocumentOrder) {
  auto r = load(R"([receivers]
name = "x"
[daemon]
log_level = "loud"
databse = "/tmp/x.db"
[detect]
max_lag = 10
[routes.MEDIUM]
receivers = ["ghost"]
)");
  EXPECT_FALSE(r.config);
  EXPECT_THAT(errors(r),
              ElementsAre("1:1: receivers: expected an array of tables: write [[receivers]], not "
                          "[receivers]",
                          "4:13: daemon.log_level: \"loud\" is not one of trace, debug, info, "
                          "warn, error, critical or off",
                          "5:1: unknown key 'daemon.databse' (did you mean 'database'?)",
                          "7:11: detect.max_lag: expected a duration string like \"30s\", not an "
                          "integer",
                          "9:14: routes.MEDIUM.receivers: no receiver named \"ghost\" in "
                          "[[receivers]]",
                          "0:0: no [[oms]] table: name at least one OMS to watch"));
}

TEST(Validation, NamesTheFileInEveryDiagnostic) {
  auto r = load_string("[daemon]\ndatabse = 1\n", "/etc/omswatch/omswatch.toml", test::env_of({}));
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].to_string(),
            "/etc/omswatch/omswatch.toml:2:1: unknown key 'daemon.databse' (did you mean "
            "'database'?)");
  for (const auto& d : r.errors) EXPECT_EQ(d.file, "/etc/omswatch/omswatch.toml");
}

TEST(Validation, WarnsAboutSettingsThatHaveNoEffect) {
  auto r = load(R"([[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = ["np_1"]
discover_labels = ["prod"]
[[receivers]]
name = "chat"
type = "slack"
url = "https://hooks.slack.com/services/T/B/X"
secret = "abc"
)");
  EXPECT_TRUE(r.config);
  EXPECT_THAT(test::warnings(r),
              ElementsAre("7:19: oms.discover_types, oms.discover_labels and oms.discover_every "
                          "have no effect unless discover = true",
                          "12:10: receivers.secret is not used by type \"slack\" (only webhook, "
                          "dingtalk, feishu or alertmanager use it: to sign requests, or as "
                          "alertmanager's bearer token)"));
}

TEST(Validation, QuotesHostileValuesHarmlessly) {
  auto r = load(
      with_oms("[daemon]\nlog_level = \"\\u001b[31mred\\nline" + std::string(100, 'x') + "\"\n"));
  ASSERT_EQ(r.errors.size(), 1u);
  const std::string& m = r.errors[0].message;
  EXPECT_EQ(m.find('\x1b'), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_LT(m.size(), 200u) << m;
}

}  // namespace
}  // namespace omswatch::config
