// The CLI's query commands (status, history, history --timeline, events) on
// a real database, run through run_cli as `omswatch` would be; and its version.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <iostream>
#include <sstream>

#include "daemon/cli.h"
#include "daemon/table.h"
#include "storage/store.h"
#include "tests/daemon/cli_runner.h"
#include "tests/support/expected_value.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

namespace json = boost::json;
using storage::TimeMs;
using ::testing::HasSubstr;

constexpr TimeMs kT0 = 1'795'910'400'000;  // 2026-11-29T00:00:00Z
constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMinute = 60 * kSecond;
constexpr TimeMs kHour = 60 * kMinute;

storage::Sample sample(const std::string& status, TimeMs at) {
  storage::Sample s;
  s.oms = "prod";
  s.project_id = "np_1";
  s.observed_at = at;
  s.outcome = "ok";
  s.status = status;
  s.alarm_level = "HIGH";
  s.current_step = "INCR_TRANSFER";
  s.incr_checkpoint = std::to_string(at / 1000 - 5);
  s.incr_lag_s = 5;
  s.latency_us = 1500;
  return s;
}

class CliQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::Store::open(db_, storage::OpenMode::read_write, {});
    ASSERT_TRUE(store.has_value()) << store.error();
    auto poll = [&](storage::Sample s, std::vector<storage::EventRecord> events = {}) {
      storage::ObservationWrite w;
      w.oms = s.oms;
      w.project_id = s.project_id;
      w.now = s.observed_at;
      w.project_state_json = "{}";
      for (const auto& e : events) w.deliveries.push_back({e.id, "ops"});
      w.events = std::move(events);
      w.sample = std::move(s);
      auto r = (*store)->record(w);
      ASSERT_TRUE(r.has_value()) << r.error();
    };
    // RUNNING 3h12m, SUSPEND 20m, RUNNING until the last poll at 04:00.
    TimeMs t = kT0;
    for (; t < kT0 + 3 * kHour + 12 * kMinute; t += 10 * kSecond) poll(sample("RUNNING", t));
    storage::EventRecord suspended;
    suspended.id = "evt_suspend";
    suspended.oms = "prod";
    suspended.project_id = "np_1";
    suspended.kind = "project_suspended";
    suspended.state = "firing";
    suspended.severity = "warning";
    suspended.summary = "np_1 SUSPEND";
    suspended.observed_at = t;
    poll(sample("SUSPEND", t), {suspended});
    const TimeMs resumed = t + 20 * kMinute;
    for (t += 10 * kSecond; t < resumed; t += 10 * kSecond) poll(sample("SUSPEND", t));
    for (; t <= kT0 + 4 * kHour; t += 10 * kSecond) poll(sample("RUNNING", t));
  }

  omswatch::testing::TempDir dir_;
  // Stores one poll of `sample` with a status_changed notice whose summary is
  // `summary`, through its own read-write connection.
  void write_status_notice(const storage::Sample& sample, const std::string& event_id,
                           const std::string& summary) {
    auto store = storage::Store::open(db_, storage::OpenMode::read_write, {});
    ASSERT_TRUE(store.has_value()) << store.error();
    storage::EventRecord e;
    e.id = event_id;
    e.oms = sample.oms;
    e.project_id = sample.project_id;
    e.kind = "status_changed";
    e.state = "notice";
    e.severity = "info";
    e.summary = summary;
    e.observed_at = sample.observed_at;
    storage::ObservationWrite w;
    w.oms = sample.oms;
    w.project_id = sample.project_id;
    w.now = sample.observed_at;
    w.project_state_json = "{}";
    w.sample = sample;
    w.events.push_back(e);
    auto r = (*store)->record(w);
    ASSERT_TRUE(r.has_value()) << r.error();
  }

  std::string db_ = dir_.file("omswatch.db");
};

TEST_F(CliQueryTest, TimelinePrintsStatusIntervals) {
  auto o = omswatch({"history", "np_1", "--db", db_, "--timeline", "--since",
                     "2026-11-29T00:00:00Z", "--format", "json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  auto rows = json::parse(o.out).as_array();
  ASSERT_EQ(rows.size(), 3u) << o.out;
  EXPECT_EQ(rows[0].at("status"), "RUNNING");
  EXPECT_EQ(rows[0].at("from"), "2026-11-29T00:00:00Z");
  EXPECT_EQ(rows[0].at("to"), "2026-11-29T03:12:00Z");
  EXPECT_EQ(rows[0].at("duration"), "3h 12m");
  EXPECT_EQ(rows[0].at("duration_s"), 3 * 3600 + 12 * 60);
  EXPECT_EQ(rows[0].at("ongoing"), 0);
  EXPECT_EQ(rows[0].at("oms"), "prod");
  EXPECT_EQ(rows[1].at("status"), "SUSPEND");
  EXPECT_EQ(rows[1].at("duration"), "20m");
  EXPECT_EQ(rows[2].at("status"), "RUNNING");
  EXPECT_EQ(rows[2].at("to"), "2026-11-29T04:00:00Z");
  EXPECT_EQ(rows[2].at("ongoing"), 1);

  o = omswatch({"history", "np_1", "--db", db_, "--timeline", "--since", "2026-11-29T03:00:00Z",
                "--until", "2026-11-29T03:20:00Z"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("RUNNING"));
  EXPECT_THAT(o.out, HasSubstr("3h 12m"));
  EXPECT_THAT(o.out, HasSubstr("SUSPEND"));

  o = omswatch({"history", "np_1", "--db", db_, "--timeline", "--since", "2026-11-29T03:40:00Z",
                "--format", "csv"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("from,to,oms,status,duration,duration_s,ongoing\r\n"));
  EXPECT_THAT(o.out, HasSubstr(",prod,RUNNING,28m,1680,1\r\n"));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("SUSPEND")));
}

TEST_F(CliQueryTest, HistoryShowsTheStoredSamples) {
  auto o = omswatch({"history", "np_1", "--db", db_, "--since", "2026-11-29T03:11:00Z", "--until",
                     "2026-11-29T03:14:00Z", "--format", "json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  auto rows = json::parse(o.out).as_array();
  // A sample a minute while RUNNING, and the change to SUSPEND when it came.
  ASSERT_EQ(rows.size(), 3u) << o.out;
  EXPECT_EQ(rows[0].at("observed_at"), "2026-11-29T03:11:00Z");
  EXPECT_EQ(rows[1].at("observed_at"), "2026-11-29T03:12:00Z");
  EXPECT_EQ(rows[1].at("status"), "SUSPEND");
  EXPECT_EQ(rows[2].at("observed_at"), "2026-11-29T03:13:00Z");
}

TEST_F(CliQueryTest, StatusShowsTheLatestStateAndPoll) {
  auto o = omswatch({"status", "--db", db_, "--format", "json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  auto rows = json::parse(o.out).as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("status"), "RUNNING");
  EXPECT_EQ(rows[0].at("last_polled_at"), "2026-11-29T04:00:00Z");
  EXPECT_EQ(rows[0].at("open_conditions"), 1);
}

// Two step readings of np_1's full transfer, its verification and its outlook.
void write_progress(const std::string& db, TimeMs at) {
  auto store = storage::Store::open(db, storage::OpenMode::read_write, {});
  ASSERT_TRUE(store.has_value()) << store.error();
  for (int i = 0; i < 2; ++i) {
    storage::ObservationWrite w;
    w.oms = "prod";
    w.project_id = "np_1";
    w.now = at + i * kMinute;
    storage::StepSample x;
    x.observed_at = w.now;
    x.step = "FULL_TRANSFER";
    x.step_status = "RUNNING";
    x.progress = 40 + i;
    x.processed = 400'000 + i * 12'000;
    x.capacity = 1'000'000;
    x.src_rps = 12'500;
    x.dst_rps = 12'300;
    x.src_rps_ref = 15'000;
    x.dst_rps_ref = 14'000;
    x.eta_low_s = 1500 - i * 60;
    x.eta_high_s = 1860 - i * 60;
    x.eta_basis = "records";
    x.rate = 12'300.5;
    w.step_sample = x;
    if (i == 1) {
      storage::VerifyRecord v;
      v.observed_at = w.now;
      v.finished = true;
      v.different_number = 7;
      v.tables = 12;
      v.worst_tables_json =
          R"([{"table":"shop.orders","source_only":3,"dest_only":0,"mismatched":4}])";
      w.verify = v;
      w.outlook_json =
          R"({"eta":{"low_s":1500,"high_s":1860,"basis":"records","rate":12300.5,)"
          R"("remaining":600000,"at":1795924860000},"trend":{"direction":"catching_up",)"
          R"("rate":-0.035,"to_zero_s":840,"lag_s":30}})";
    }
    auto r = (*store)->record(w);
    ASSERT_TRUE(r.has_value()) << r.error();
  }
}

TEST_F(CliQueryTest, StatusShowsEtaTrendThroughputAndVerification) {
  ASSERT_NO_FATAL_FAILURE(write_progress(db_, kT0 + 4 * kHour));
  auto o = omswatch({"status", "--db", db_, "--format", "json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const auto row = json::parse(o.out).as_array().at(0).as_object();
  EXPECT_EQ(row.at("eta"), "25m-31m");
  EXPECT_EQ(row.at("eta_low_s"), 1500);
  EXPECT_EQ(row.at("eta_high_s"), 1860);
  EXPECT_EQ(row.at("eta_basis"), "records");
  EXPECT_EQ(row.at("eta_rate"), 12300.5);
  EXPECT_EQ(row.at("eta_at"), "2026-11-29T04:01:00Z");
  EXPECT_EQ(row.at("trend"), "catching up 2.1s/min, zero in 14m");
  EXPECT_EQ(row.at("trend_direction"), "catching_up");
  EXPECT_EQ(row.at("trend_rate"), -0.035);
  EXPECT_EQ(row.at("trend_to_zero_s"), 840);
  EXPECT_TRUE(row.at("trend_to_max_lag_s").is_null());
  EXPECT_EQ(row.at("processed"), 412'000);
  EXPECT_EQ(row.at("capacity"), 1'000'000);
  EXPECT_EQ(row.at("dst_rps"), 12'300);
  EXPECT_EQ(row.at("dst_rps_ref"), 14'000);
  EXPECT_EQ(row.at("verify_finished"), 1);
  EXPECT_EQ(row.at("verify_differences"), 7);

  o = omswatch({"status", "--db", db_});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr("ETA"));
  EXPECT_THAT(o.out, HasSubstr("VERIFY_DIFFERENCES"));
  EXPECT_THAT(o.out, ::testing::ContainsRegex("25m-31m +catching up 2.1s/min, zero in 14m +7\n"));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("ETA_LOW_S")));

  o = omswatch({"status", "--db", db_, "--format", "csv"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr(",eta,eta_low_s,eta_high_s,eta_basis,eta_rate,eta_at,trend,"));
  EXPECT_THAT(o.out, HasSubstr(",25m-31m,1500,1860,records,12300.5,2026-11-29T04:01:00Z,"
                               "\"catching up 2.1s/min, zero in 14m\",catching_up,-0.035,840,,"));
}

TEST_F(CliQueryTest, HistoryStepsShowsTheThroughputAndTheEtaThen) {
  ASSERT_NO_FATAL_FAILURE(write_progress(db_, kT0 + 4 * kHour));
  auto o = omswatch({"history", "np_1", "--steps", "--db", db_, "--since", "2026-11-29T03:00:00Z",
                     "--format", "json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  auto rows = json::parse(o.out).as_array();
  ASSERT_EQ(rows.size(), 2u) << o.out;
  EXPECT_EQ(rows[0].at("observed_at"), "2026-11-29T04:00:00Z");
  EXPECT_EQ(rows[0].at("step"), "FULL_TRANSFER");
  EXPECT_EQ(rows[0].at("processed"), 400'000);
  EXPECT_EQ(rows[0].at("capacity"), 1'000'000);
  EXPECT_EQ(rows[0].at("dst_rps"), 12'300);
  EXPECT_EQ(rows[0].at("dst_rps_ref"), 14'000);
  EXPECT_EQ(rows[0].at("eta"), "25m-31m");
  EXPECT_EQ(rows[1].at("eta"), "24m-30m");
  EXPECT_EQ(rows[1].at("rate"), 12300.5);
  EXPECT_TRUE(rows[1].at("src_rt").is_null());

  o = omswatch({"history", "np_1", "--steps", "--db", db_, "--since", "2026-11-29T03:00:00Z"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, ::testing::ContainsRegex("FULL_TRANSFER +RUNNING +40 +400000 +1000000 +12500 "
                                              "+12300 +15000 +14000 +25m-31m"));
  o = omswatch({"history", "np_1", "--steps", "--timeline", "--db", db_});
  EXPECT_EQ(o.code, kExitUsage);
}

TEST_F(CliQueryTest, EventsFilterByProjectKindSeverityAndTime) {
  auto o =
      omswatch({"events", "--db", db_, "--project", "np_1", "--kind", "project_suspended",
                "--severity", "warning", "--since", "2026-11-29T03:00:00Z", "--format", "json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  auto rows = json::parse(o.out).as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("id"), "evt_suspend");
  // The deliveries as the API lists them (daemon/rows.h).
  ASSERT_EQ(rows[0].at("deliveries").as_array().size(), 1u);
  EXPECT_EQ(rows[0].at("deliveries").at(0).at("receiver"), "ops");
  EXPECT_EQ(rows[0].at("deliveries").at(0).at("status"), "pending");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--project", "np_2"},
                                             {"--severity", "critical"},
                                             {"--kind", "project_failed"},
                                             {"--until", "2026-11-29T03:00:00Z"}}) {
    std::vector<std::string> full = {"events", "--db", db_, "--format", "json"};
    full.insert(full.end(), args.begin(), args.end());
    o = omswatch(full);
    ASSERT_EQ(o.code, kExitOk) << o.err;
    EXPECT_TRUE(json::parse(o.out).as_array().empty()) << args[0];
  }
}

// A project whose every poll failed has no status, step or alarm level: the
// CLI's JSON says null for them, as /api/v1/projects does (not "").
TEST_F(CliQueryTest, StatusJsonWritesNullForAbsentTextsAsTheApiDoes) {
  {
    auto store = storage::Store::open(db_, storage::OpenMode::read_write, {});
    ASSERT_TRUE(store.has_value()) << store.error();
    storage::Sample s;
    s.oms = "prod";
    s.project_id = "np_2";
    s.observed_at = kT0 + 4 * kHour;
    s.outcome = "error";
    s.error = "HTTP 502";
    storage::ObservationWrite w;
    w.oms = s.oms;
    w.project_id = s.project_id;
    w.now = s.observed_at;
    w.project_state_json = "{}";
    w.sample = s;
    auto r = (*store)->record(w);
    ASSERT_TRUE(r.has_value()) << r.error();
  }
  auto o = omswatch({"status", "--db", db_, "--format", "json"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  auto rows = json::parse(o.out).as_array();
  ASSERT_EQ(rows.size(), 2u) << o.out;
  const auto& failed = rows[1].as_object();
  EXPECT_EQ(failed.at("project_id"), "np_2");
  EXPECT_TRUE(failed.at("status").is_null()) << o.out;
  EXPECT_TRUE(failed.at("step").is_null()) << o.out;
  EXPECT_TRUE(failed.at("alarm_level").is_null()) << o.out;

  // Row for row what the API writes.
  auto store = storage::Store::open(db_, storage::OpenMode::read_only, {});
  ASSERT_TRUE(store.has_value()) << store.error();
  std::string api = "[";
  const auto latest = omswatch::testing::value_of((*store)->latest_status());
  for (std::size_t i = 0; i < latest.size(); ++i) {
    if (i) api += ',';
    append_status_json(api, latest[i]);
  }
  api += ']';
  EXPECT_EQ(json::parse(o.out), json::parse(api));

  // The table shows "-" for them, CSV an empty field.
  o = omswatch({"status", "--db", db_});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, ::testing::ContainsRegex("prod +np_2 +- +- +-"));
}

// A spreadsheet runs a cell starting with = + - @ (or a tab or CR) as a
// formula: CSV fields of text start with a quote then; numbers stay numbers.
TEST_F(CliQueryTest, CsvNeutralisesFormulas) {
  int n = 0;
  for (std::string text : {"=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3",
                           "@SUM(A1)", "\tcmd", "\rcmd"}) {
    storage::Sample s;
    s.oms = "prod";
    s.project_id = "np_f" + std::to_string(n);
    s.observed_at = kT0 + 5 * kHour + n * kSecond;
    s.outcome = "ok";
    s.status = text;
    s.incr_lag_s = -7;
    ASSERT_NO_FATAL_FAILURE(write_status_notice(s, "evt_f" + std::to_string(n), text));
    ++n;
  }
  auto o = omswatch({"events", "--db", db_, "--kind", "status_changed", "--format", "csv"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\","));
  EXPECT_THAT(o.out, HasSubstr(",'+1+2,"));
  EXPECT_THAT(o.out, HasSubstr(",'-2+3,"));
  EXPECT_THAT(o.out, HasSubstr(",'@SUM(A1),"));
  // Escaped first (a tab or CR shows as \\t, \\r), they no longer lead the field.
  EXPECT_THAT(o.out, HasSubstr(",\\tcmd,"));
  EXPECT_THAT(o.out, HasSubstr(",\\rcmd,"));
  EXPECT_THAT(o.out, ::testing::Not(::testing::ContainsRegex(",[=+@]")));

  o = omswatch({"status", "--db", db_, "--format", "csv"});
  ASSERT_EQ(o.code, kExitOk) << o.err;
  EXPECT_THAT(o.out, HasSubstr(",'-2+3,"));
  EXPECT_THAT(o.out, HasSubstr(",-7,"));  // a number omswatch wrote stays a number
  EXPECT_THAT(o.out, ::testing::Not(::testing::ContainsRegex(",[=+@]")));
}

// OMS text with newlines and terminal escapes: each row stays one line in the
// table and in CSV, the controls shown as escapes, never written raw.
TEST_F(CliQueryTest, TablesAndCsvEscapeControlCharacters) {
  const std::string hostile = "RUN\nNING\x1b]0;owned\x07\x1b[2J\r\xc2\x9b\xff";
  const std::string shown = "RUN\\nNING\\x1b]0;owned\\x07\\x1b[2J\\r\\u{9b}\\xff";
  {
    storage::Sample s;
    s.oms = "prod";
    s.project_id = "np_\x1b[31mred";
    s.observed_at = kT0 + 5 * kHour;
    s.outcome = "ok";
    s.status = hostile;
    s.current_step = "INCR\tTRANSFER";
    ASSERT_NO_FATAL_FAILURE(write_status_notice(s, "evt_hostile", hostile));
  }
  auto no_controls = [](const std::string& out) {
    for (char c : out) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\n' && c != '\r') || u == 0x7f) return false;
    }
    return out.find('\xc2') == std::string::npos && out.find('\xff') == std::string::npos;
  };
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status", "--db", db_},
        std::vector<std::string>{"status", "--db", db_, "--format", "csv"},
        std::vector<std::string>{"events", "--db", db_, "--kind", "status_changed"},
        std::vector<std::string>{"events", "--db", db_, "--kind", "status_changed", "--format",
                                 "csv"}}) {
    auto o = omswatch(args);
    ASSERT_EQ(o.code, kExitOk) << o.err;
    EXPECT_TRUE(no_controls(o.out)) << args[0] << " " << args.back() << ":\n" << o.out;
    EXPECT_THAT(o.out, HasSubstr(shown)) << o.out;
    EXPECT_THAT(o.out, HasSubstr("np_\\x1b[31mred")) << o.out;
    // Two lines (the header and the hostile row) for events, three for status.
    const auto lines = std::count(o.out.begin(), o.out.end(), '\n');
    EXPECT_EQ(lines, args[0] == "status" ? 3 : 2) << o.out;
  }
  auto o = omswatch({"status", "--db", db_});
  EXPECT_THAT(o.out, HasSubstr("INCR\\tTRANSFER"));
}

TEST_F(CliQueryTest, UsageErrorsSayWhatIsWrong) {
  auto o = omswatch({"status", "--db", db_, "--since", "1h"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("history ID --timeline"));

  o = omswatch({"history", "np_1", "--db", db_, "--since", "2026-11-29T03:00:00Z", "--until",
                "2026-11-29T02:00:00Z"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("is later than --until"));

  o = omswatch({"history", "np_1", "--db", db_, "--timeline", "--limit", "5"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--limit does not apply to --timeline"));

  o = omswatch({"events", "--db", db_, "--since", "yesterday"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--since 'yesterday' is neither a duration"));

  o = omswatch({"history", "np_1", "--db", dir_.file("missing.db"), "--timeline"});
  EXPECT_EQ(o.code, kExitNoInput);
}

TEST_F(CliQueryTest, TimesAndDurationsOutOfRangeAreUsageErrors) {
  // Before 1970 or after 2199 a time would wrap the clock: 1000-01-01 read as 2169.
  for (const char* since :
       {"1000-01-01", "1969-12-31T23:59:59Z", "200000d", "9223372036854775807ms"}) {
    auto o = omswatch({"history", "np_1", "--db", db_, "--since", since});
    EXPECT_EQ(o.code, kExitUsage) << since;
    EXPECT_THAT(o.err, HasSubstr(std::string("--since '") + since +
                                 "' is out of range: times run from 1970-01-01 to 2199-12-31"))
        << since;
  }
  auto o = omswatch({"events", "--db", db_, "--until", "2200-01-01"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--until '2200-01-01' is out of range"));
  o = omswatch({"events", "--db", db_, "--since", "1970-01-01", "--until", "2199-12-31 23:59:59Z"});
  EXPECT_EQ(o.code, kExitOk) << o.err;
  // A time without an offset is refused, as by the API, rather than read as UTC.
  o = omswatch({"events", "--db", db_, "--until", "2199-12-31 23:59:59"});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--until '2199-12-31 23:59:59' has no UTC offset: add Z"));

  // A silence that would end in 1989 (200000d from now, wrapped) is refused, and so is one
  // that would end after 2199.
  o = omswatch(
      {"silence", "add", "--project", "np_1", "--for", "200000d", "--comment", "x", "--db", db_});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--for '200000d' is longer than 366d"));
  o = omswatch({"silence", "add", "--project", "np_1", "--for", "2d", "--starts", "2199-12-31",
                "--comment", "x", "--db", db_});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("would end after the last time omswatch accepts"));
  o = omswatch({"silence", "add", "--project", "np_1", "--for", "1d", "--starts", "1000-01-01",
                "--comment", "x", "--db", db_});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_THAT(o.err, HasSubstr("--starts '1000-01-01' is out of range"));
  o = omswatch(
      {"silence", "add", "--project", "np_1", "--for", "366d", "--comment", "x", "--db", db_});
  EXPECT_EQ(o.code, kExitOk) << o.err;
}

// `omswatch --version`, as most programs spell it, is `omswatch version`.
TEST(CliVersion, VersionAndDashDashVersionPrintTheVersion) {
  for (const char* spelling : {"version", "--version"}) {
    auto o = omswatch({spelling});
    EXPECT_EQ(o.code, kExitOk) << spelling << ": " << o.err;
    EXPECT_EQ(o.out, std::string("omswatch ") + OMSWATCH_VERSION + "\n") << spelling;
    EXPECT_EQ(o.err, "") << spelling;
  }
}

}  // namespace
}  // namespace omswatch::daemon
