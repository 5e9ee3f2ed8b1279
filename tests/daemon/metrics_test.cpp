// The metrics registry and its exposition: the exact text Prometheus reads,
// series that come and go with projects, and promtool's own verdict.

#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/daemon/busy_metrics.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;

// 2026-11-29T04:00:00Z
constexpr std::int64_t kT0 = 1'795'924'800'000;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

// Lines that mention `needle`, for readable failure messages.
std::string lines_with(const std::string& text, const std::string& needle) {
  std::string out;
  for (const auto& l : lines_of(text)) {
    if (l.find(needle) != std::string::npos) out += l + "\n";
  }
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  SystemTime now_ = from_unix_ms(kT0);
  Metrics metrics_{"1.2.3", [this] { return now_; }};
};

TEST_F(MetricsTest, AnEmptyRegistryShowsBuildInfoStartTimeAndWriteErrors) {
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text,
                       "# HELP omswatch_build_info The omswatch version that is running; "
                       "always 1."))
      << text;
  EXPECT_TRUE(has_line(text, "# TYPE omswatch_build_info gauge")) << text;
  EXPECT_TRUE(has_line(text, R"(omswatch_build_info{version="1.2.3"} 1)")) << text;
  EXPECT_TRUE(has_line(text, "omswatch_start_time_seconds 1795924800")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE omswatch_database_write_errors_total counter")) << text;
  EXPECT_TRUE(has_line(text, "omswatch_database_write_errors_total 0")) << text;
  // Nothing about polls, projects, events or deliveries before there is any.
  EXPECT_EQ(text.find("omswatch_polls_total"), std::string::npos) << text;
  EXPECT_EQ(text.find("omswatch_project_"), std::string::npos) << text;
  EXPECT_EQ(text.find("omswatch_events_total"), std::string::npos) << text;
  EXPECT_EQ(text.find("omswatch_outbox_pending"), std::string::npos) << text;
}

TEST_F(MetricsTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  metrics_.project_observed("prod", "np_\\a\"b\nc", "RUNNING", std::nullopt, std::nullopt,
                            std::nullopt);
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(
      text, R"(omswatch_project_status{oms="prod",project_id="np_\\a\"b\nc",status="RUNNING"} 1)"))
      << text;
}

TEST_F(MetricsTest, LabelValuesKeepUtf8AndReplaceInvalidBytes) {
  metrics_.declare_oms("生产");
  metrics_.declare_receiver("bad\xff\xc0\xafname\xe2\x82");
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(omswatch_polls_total{oms="生产",result="ok"} 0)")) << text;
  EXPECT_TRUE(has_line(text,
                       "omswatch_deliveries_total{receiver=\"bad\uFFFD\uFFFD\uFFFDname"
                       "\uFFFD\uFFFD\",result=\"delivered\"} 0"))
      << lines_with(text, "deliveries_total");
}

TEST_F(MetricsTest, PollDurationBucketsAreCumulativeWithSumAndCount) {
  const std::chrono::microseconds latencies[] = {500us, 1000us, 3000us, 3000us, 80ms, 2s};
  for (auto latency : latencies) {
    metrics_.poll_completed("prod", PollResult::ok, latency);
  }
  metrics_.poll_completed("prod", PollResult::error, 20s);  // past the last bound
  const std::string text = metrics_.render();
  const std::vector<std::pair<std::string, int>> expected = {
      {"0.001", 2}, {"0.0025", 2}, {"0.005", 4}, {"0.01", 4}, {"0.025", 4},
      {"0.05", 4},  {"0.1", 5},    {"0.25", 5},  {"0.5", 5},  {"1", 5},
      {"2.5", 6},   {"5", 6},      {"10", 6},    {"+Inf", 7}};
  for (const auto& [le, count] : expected) {
    const std::string line = "omswatch_poll_duration_seconds_bucket{oms=\"prod\",le=\"" + le +
                             "\"} " + std::to_string(count);
    EXPECT_TRUE(has_line(text, line)) << line << "\n" << lines_with(text, "_bucket");
  }
  EXPECT_TRUE(has_line(text, R"(omswatch_poll_duration_seconds_count{oms="prod"} 7)")) << text;
  const std::string sum_prefix = R"(omswatch_poll_duration_seconds_sum{oms="prod"} )";
  const std::string sum_line = lines_with(text, sum_prefix);
  ASSERT_TRUE(sum_line.starts_with(sum_prefix)) << text;
  EXPECT_NEAR(std::stod(sum_line.substr(sum_prefix.size())), 22.0875, 1e-9) << sum_line;
  EXPECT_TRUE(has_line(text, "# TYPE omswatch_poll_duration_seconds histogram")) << text;
}

TEST_F(MetricsTest, PollsCountEveryResultAndAnswersStampTheLastSuccess) {
  metrics_.declare_oms("staging");
  metrics_.poll_completed("prod", PollResult::ok, 2ms);
  now_ += 1500ms;
  metrics_.poll_completed("prod", PollResult::unavailable, 2ms);  // OMS answered
  now_ += 10s;
  metrics_.poll_completed("prod", PollResult::error, 2ms);  // it did not
  metrics_.poll_completed("prod", PollResult::error, 2ms);
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(omswatch_polls_total{oms="prod",result="ok"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(omswatch_polls_total{oms="prod",result="unavailable"} 1)"));
  EXPECT_TRUE(has_line(text, R"(omswatch_polls_total{oms="prod",result="error"} 2)"));
  // Declared but never polled: zeros, and no last success.
  EXPECT_TRUE(has_line(text, R"(omswatch_polls_total{oms="staging",result="error"} 0)"));
  EXPECT_TRUE(
      has_line(text, R"(omswatch_oms_last_success_timestamp_seconds{oms="prod"} 1795924801.5)"))
      << lines_with(text, "last_success");
  EXPECT_EQ(text.find(R"(omswatch_oms_last_success_timestamp_seconds{oms="staging"})"),
            std::string::npos);
}

TEST_F(MetricsTest, ProjectGaugesFollowTheLastObservation) {
  metrics_.project_observed("prod", "np_1", "RUNNING", 100, 57, 12);
  std::string text = metrics_.render();
  EXPECT_TRUE(has_line(
      text, R"(omswatch_project_status{oms="prod",project_id="np_1",status="RUNNING"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(omswatch_project_struct_progress_percent{oms="prod",project_id="np_1"} 100)"));
  EXPECT_TRUE(
      has_line(text, R"(omswatch_project_full_progress_percent{oms="prod",project_id="np_1"} 57)"));
  EXPECT_TRUE(
      has_line(text, R"(omswatch_project_incr_lag_seconds{oms="prod",project_id="np_1"} 12)"));

  // The status moves on: the RUNNING series goes, exactly one status remains;
  // the lag is no longer known, so its gauge goes too.
  metrics_.project_observed("prod", "np_1", "FAILED", 100, 57, std::nullopt);
  text = metrics_.render();
  EXPECT_TRUE(
      has_line(text, R"(omswatch_project_status{oms="prod",project_id="np_1",status="FAILED"} 1)"));
  EXPECT_EQ(text.find("status=\"RUNNING\""), std::string::npos) << text;
  EXPECT_EQ(text.find("omswatch_project_incr_lag_seconds"), std::string::npos) << text;
  EXPECT_TRUE(
      has_line(text, R"(omswatch_project_full_progress_percent{oms="prod",project_id="np_1"} 57)"));
}

TEST_F(MetricsTest, ForgetProjectRemovesAllItsSeriesAndNoOther) {
  metrics_.project_observed("prod", "np_1", "RUNNING", 100, 100, 3);
  metrics_.project_observed("prod", "np_2", "SUSPEND", 100, 40, std::nullopt);
  metrics_.project_observed("staging", "np_1", "RUNNING", 10, std::nullopt, std::nullopt);
  metrics_.forget_project("prod", "np_1");
  metrics_.forget_project("prod", "np_unknown");
  metrics_.forget_project("nowhere", "np_1");
  const std::string text = metrics_.render();
  EXPECT_EQ(text.find(R"(oms="prod",project_id="np_1")"), std::string::npos) << text;
  EXPECT_TRUE(has_line(
      text, R"(omswatch_project_status{oms="prod",project_id="np_2",status="SUSPEND"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(omswatch_project_status{oms="staging",project_id="np_1",status="RUNNING"} 1)"));
  // Forgetting the last project with a lag removes the family, HELP and TYPE included.
  EXPECT_EQ(text.find("omswatch_project_incr_lag_seconds"), std::string::npos) << text;
}

TEST_F(MetricsTest, AProjectHandleReportsWithoutALookup) {
  metrics_.declare_oms("prod");
  Metrics::ProjectHandle handle = metrics_.project("prod", "np_1");
  EXPECT_TRUE(handle.attached());
  metrics_.poll_completed(handle, PollResult::ok, std::chrono::milliseconds(3));
  metrics_.project_observed(handle, "RUNNING", 100, 57, 12);
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, R"(omswatch_polls_total{oms="prod",result="ok"} 1)"));
  EXPECT_TRUE(has_line(
      text, R"(omswatch_project_status{oms="prod",project_id="np_1",status="RUNNING"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(omswatch_project_incr_lag_seconds{oms="prod",project_id="np_1"} 12)"));
  // The handle and the lookup by id reach the same series.
  metrics_.project_observed("prod", "np_1", "FAILED", 100, 57, std::nullopt);
  EXPECT_TRUE(has_line(
      metrics_.render(), R"(omswatch_project_status{oms="prod",project_id="np_1",status="FAILED"} 1)"));
}

TEST_F(MetricsTest, MigrationGaugesFollowTheHandlesSetters) {
  Metrics::ProjectHandle handle = metrics_.project("prod", "np_1");
  Outlook outlook;
  Eta eta;
  eta.low = 1500s;
  eta.high = 1860'400ms;
  outlook.eta = eta;
  handle.set_outlook(outlook);
  storage::StepSample step;
  step.step = "FULL_TRANSFER";
  step.src_rps = 12'500;
  step.dst_rps = 12'300;
  step.dst_rps_ref = 14'000;
  handle.set_step(&step);
  storage::VerifyRecord verify;
  verify.different_number = 7;
  handle.set_verify(&verify);
  std::string text = metrics_.render();
  EXPECT_TRUE(has_line(
      text,
      R"(omswatch_full_transfer_eta_seconds{oms="prod",project_id="np_1",bound="low"} 1500)"));
  EXPECT_TRUE(has_line(
      text,
      R"(omswatch_full_transfer_eta_seconds{oms="prod",project_id="np_1",bound="high"} 1860)"));
  EXPECT_TRUE(has_line(
      text, R"(omswatch_full_transfer_rps{oms="prod",project_id="np_1",side="src"} 12500)"));
  EXPECT_TRUE(has_line(
      text, R"(omswatch_full_transfer_rps{oms="prod",project_id="np_1",side="dst"} 12300)"));
  EXPECT_TRUE(has_line(
      text, R"(omswatch_full_transfer_rps_ref{oms="prod",project_id="np_1",side="dst"} 14000)"));
  // OMS gave no source baseline: no series for it.
  EXPECT_EQ(text.find(R"(side="src"} 0)"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, R"(omswatch_verify_differences{oms="prod",project_id="np_1"} 7)"));

  // Unknown again: the series and their families go.
  handle.set_outlook(Outlook{});
  handle.set_step(nullptr);
  verify.different_number.reset();
  handle.set_verify(&verify);
  text = metrics_.render();
  for (const char* family : {"omswatch_full_transfer_eta_seconds", "omswatch_full_transfer_rps",
                             "omswatch_verify_differences"}) {
    EXPECT_EQ(text.find(family), std::string::npos) << family << "\n" << text;
  }
  // An empty handle ignores them.
  Metrics::ProjectHandle empty;
  empty.set_outlook(outlook);
  empty.set_step(&step);
  empty.set_verify(&verify);
}

TEST_F(MetricsTest, TheHandleOfAForgottenProjectIsReleased) {
  Metrics::ProjectHandle handle = metrics_.project("prod", "np_1");
  metrics_.project_observed(handle, "RUNNING", 100, 57, 12);
  metrics_.forget_project("prod", "np_1");
  EXPECT_FALSE(handle.attached());
  // What a detached handle reports goes nowhere, and the project's series
  // stay gone; the OMS's counters still count.
  metrics_.project_observed(handle, "FAILED", 100, 57, 12);
  metrics_.poll_completed(handle, PollResult::error, std::chrono::milliseconds(3));
  std::string text = metrics_.render();
  EXPECT_EQ(text.find("np_1"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, R"(omswatch_polls_total{oms="prod",result="error"} 1)"));
  // Watched again: a new handle, its own series.
  Metrics::ProjectHandle again = metrics_.project("prod", "np_1");
  EXPECT_TRUE(again.attached());
  metrics_.project_observed(again, "RUNNING", 100, 100, 1);
  text = metrics_.render();
  EXPECT_TRUE(has_line(
      text, R"(omswatch_project_status{oms="prod",project_id="np_1",status="RUNNING"} 1)"));
  EXPECT_FALSE(handle.attached());
  EXPECT_FALSE(Metrics::ProjectHandle().attached());
}

TEST_F(MetricsTest, EventsDeliveriesAndWriteErrorsAreCounted) {
  metrics_.event_recorded("project_failed", "firing");
  metrics_.event_recorded("project_failed", "firing");
  metrics_.event_recorded("project_failed", "resolved");
  metrics_.event_recorded("status_changed", "notice");
  metrics_.declare_receiver("ops");
  metrics_.delivery_finished("oncall", DeliveryResult::delivered, 3);
  metrics_.delivery_finished("oncall", DeliveryResult::retry);
  metrics_.delivery_finished("oncall", DeliveryResult::silenced, 2);
  metrics_.database_write_failed();
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, "# TYPE omswatch_events_total counter"));
  EXPECT_TRUE(has_line(text, R"(omswatch_events_total{kind="project_failed",state="firing"} 2)"));
  EXPECT_TRUE(has_line(text, R"(omswatch_events_total{kind="project_failed",state="resolved"} 1)"));
  EXPECT_TRUE(has_line(text, R"(omswatch_events_total{kind="status_changed",state="notice"} 1)"));
  EXPECT_TRUE(
      has_line(text, R"(omswatch_deliveries_total{receiver="oncall",result="delivered"} 3)"));
  EXPECT_TRUE(has_line(text, R"(omswatch_deliveries_total{receiver="oncall",result="retry"} 1)"));
  EXPECT_TRUE(has_line(text, R"(omswatch_deliveries_total{receiver="oncall",result="failed"} 0)"));
  EXPECT_TRUE(
      has_line(text, R"(omswatch_deliveries_total{receiver="oncall",result="silenced"} 2)"));
  EXPECT_TRUE(has_line(text, R"(omswatch_deliveries_total{receiver="ops",result="delivered"} 0)"));
  EXPECT_TRUE(has_line(text, "omswatch_database_write_errors_total 1"));
}

TEST_F(MetricsTest, ScrapeGaugesAreReadAtEveryRender) {
  std::int64_t pending = 4;
  ScrapeGauges gauges;
  gauges.outbox_pending = [&] { return pending; };
  gauges.database_size_bytes = []() -> std::int64_t {
    throw std::runtime_error("database is locked");
  };
  gauges.watched_projects = [] { return std::int64_t{12}; };
  // conditions_firing left empty
  metrics_.set_scrape_gauges(gauges);
  std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, "omswatch_outbox_pending 4")) << text;
  EXPECT_TRUE(has_line(text, "omswatch_watched_projects 12")) << text;
  EXPECT_EQ(text.find("omswatch_database_size_bytes"), std::string::npos) << text;
  EXPECT_EQ(text.find("omswatch_conditions_firing"), std::string::npos) << text;
  pending = 0;
  text = metrics_.render();
  EXPECT_TRUE(has_line(text, "omswatch_outbox_pending 0")) << text;
}

TEST_F(MetricsTest, AGaugeThatCannotBeReadIsLeftOutOfThatScrapeOnly) {
  std::optional<std::int64_t> pending;  // the outbox cannot be read
  ScrapeGauges gauges;
  gauges.outbox_pending = [&] { return pending; };
  metrics_.set_scrape_gauges(gauges);
  std::string text = metrics_.render();
  EXPECT_EQ(text.find("omswatch_outbox_pending"), std::string::npos) << text;
  pending = 7;
  text = metrics_.render();
  EXPECT_TRUE(has_line(text, "omswatch_outbox_pending 7")) << text;
}

TEST_F(MetricsTest, EverySampleFollowsTheHelpAndTypeOfItsFamily) {
  test::populate(metrics_);
  const std::string text = metrics_.render();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::string family, type;
  std::set<std::string> seen_families;
  for (const auto& line : lines_of(text)) {
    if (line.starts_with("# HELP ")) {
      family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(seen_families.insert(family).second) << "family twice: " << family;
      type.clear();
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      ASSERT_TRUE(line.starts_with("# TYPE " + family + " ")) << line;
      type = line.substr(8 + family.size());
      if (type == "counter") {
        EXPECT_TRUE(family.ends_with("_total")) << family;
      }
      continue;
    }
    ASSERT_FALSE(type.empty()) << "sample before its TYPE: " << line;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    if (type == "histogram") {
      EXPECT_TRUE(name == family + "_bucket" || name == family + "_sum" ||
                  name == family + "_count")
          << line;
    } else {
      EXPECT_EQ(name, family) << line;
    }
  }
}

TEST_F(MetricsTest, PromtoolFindsNothingToComplainAbout) {
  test::populate(metrics_);
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("metrics.txt");
  {
    std::ofstream out(path, std::ios::binary);
    out << metrics_.render();
  }
  // promtool reads the exposition from standard input only.
  auto result = omswatch::testing::run_command(
      {"/bin/sh", "-c",
       "command -v promtool >/dev/null || { echo 'promtool is missing: run "
       "scripts/install-deps.sh' >&2; exit 127; }; promtool check metrics < \"$0\"",
       path},
      dir.path().string());
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
}

// docs/http-api.md is what operators build dashboards from: every family the
// daemon can show has a row there, and every row names a family it shows.
TEST_F(MetricsTest, EveryFamilyIsDocumentedAndEveryDocumentedOneExists) {
  test::populate(metrics_);
  const auto doc_path = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                        "docs/http-api.md";
  const std::string doc = omswatch::testing::read_file(doc_path.string());
  ASSERT_FALSE(doc.empty()) << doc_path;
  std::set<std::string> rendered;
  for (const auto& line : lines_of(metrics_.render())) {
    if (line.starts_with("# TYPE ")) rendered.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  std::set<std::string> documented;
  for (const auto& line : lines_of(doc)) {
    if (line.starts_with("| `omswatch_")) {
      documented.insert(line.substr(3, line.find('`', 3) - 3));
    }
  }
  EXPECT_EQ(rendered, documented);
}

TEST_F(MetricsTest, TheDatabaseFileSystemSpaceIsShownBesideTheDatabaseSize) {
  ScrapeGauges gauges;
  gauges.database_size_bytes = [] { return std::int64_t{1'048'576}; };
  gauges.database_filesystem_avail_bytes = [] { return std::int64_t{8'000'000'000}; };
  gauges.database_filesystem_size_bytes = [] { return std::int64_t{20'000'000'000}; };
  metrics_.set_scrape_gauges(gauges);
  const std::string text = metrics_.render();
  EXPECT_TRUE(has_line(text, "omswatch_database_size_bytes 1048576")) << text;
  EXPECT_TRUE(has_line(text, "omswatch_database_filesystem_avail_bytes 8000000000")) << text;
  EXPECT_TRUE(has_line(text, "omswatch_database_filesystem_size_bytes 20000000000")) << text;
}

TEST(DatabaseFilesystem, MeasuresTheFileSystemThatHoldsTheDatabase) {
  omswatch::testing::TempDir dir;
  const std::string db = dir.file("omswatch.db");
  std::ofstream(db, std::ios::binary) << std::string(4096, 'x');
  const auto space = database_filesystem(db);
  ASSERT_TRUE(space.has_value());
  const auto expected = std::filesystem::space(dir.path());
  EXPECT_EQ(space->size_bytes, static_cast<std::int64_t>(expected.capacity));
  EXPECT_GT(space->size_bytes, 0);
  EXPECT_GE(space->avail_bytes, 0);
  EXPECT_LE(space->avail_bytes, space->size_bytes);
  // Before the first start the file does not exist yet: its directory counts.
  EXPECT_EQ(database_filesystem(dir.file("not-yet.db"))->size_bytes, space->size_bytes);
}

TEST(DatabaseFilesystem, IsUnknownWhenTheDirectoryIsMissing) {
  omswatch::testing::TempDir dir;
  EXPECT_FALSE(database_filesystem(dir.file("gone/omswatch.db")).has_value());
}

TEST(DatabaseDiskBytes, CountsTheFileAndItsWriteAheadLog) {
  omswatch::testing::TempDir dir;
  const std::string db = dir.file("omswatch.db");
  EXPECT_EQ(database_disk_bytes(db), 0);
  std::ofstream(db, std::ios::binary) << std::string(4096, 'x');
  EXPECT_EQ(database_disk_bytes(db), 4096);
  std::ofstream(db + "-wal", std::ios::binary) << std::string(1000, 'w');
  std::ofstream(db + "-shm", std::ios::binary) << std::string(32768, 's');
  EXPECT_EQ(database_disk_bytes(db), 5096);
}

}  // namespace
}  // namespace omswatch::daemon
