// `omswatch status` and /api/v1/projects write their rows directly instead of
// building JSON values and tables first: the bytes must be exactly those the
// generic path (Boost.JSON, write_table) writes, hostile strings included.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/time.h"
#include "daemon/rows.h"
#include "daemon/table.h"
#include "storage/store.h"
#include "tests/support/expected_value.h"
#include "tests/support/temp_dir.h"

namespace omswatch::daemon {
namespace {

namespace json = boost::json;
using storage::TimeMs;

constexpr TimeMs kT0 = 1'795'924'800'123;  // 2026-11-29T04:00:00.123Z

std::string boost_string(std::string_view text) {
  return json::serialize(json::string_view(text.data(), text.size()));
}

std::string direct_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// Strings a remote system may put in an error or a project id.
std::vector<std::string> hostile_strings() {
  std::vector<std::string> texts = {
      "",
      "plain",
      "quote \" backslash \\ slash /",
      "lines\r\nand\ttabs\b\f",
      std::string("nul \0 inside", 12),
      "\x01\x1f\x7f",
      "\xe7\xbd\x91\xe5\x85\xb3 UTF-8 \xf0\x9f\x98\x80",
      "broken UTF-8 \xff\xfe\xc3",
      "</script><script>alert(1)</script>",
      "\\u0000 as text",
  };
  std::string every_byte;
  for (int c = 0; c < 256; ++c) {
    every_byte += static_cast<char>(c);
    texts.push_back(std::string(1, static_cast<char>(c)));
  }
  texts.push_back(every_byte);
  return texts;
}

TEST(StatusOutput, JsonStringsAreEscapedAsBoostJsonEscapesThem) {
  for (const auto& text : hostile_strings()) {
    EXPECT_EQ(direct_string(text), boost_string(text)) << "text of " << text.size() << " bytes";
  }
  // Appends, never replaces.
  std::string out = "[";
  append_json_string(out, "a\"b");
  EXPECT_EQ(out, "[\"a\\\"b\"");
}

TEST(StatusOutput, TimesAreWhatFormatRfc3339Writes) {
  std::vector<TimeMs> instants = {0,
                                  999,
                                  1000,
                                  kT0,
                                  951'782'400'000,    // 2000-02-29
                                  1'709'164'800'000,  // 2024-02-29
                                  946'684'799'999,    // 1999-12-31T23:59:59.999
                                  4'107'542'400'000,  // 2100-03-01
                                  9'223'372'036'853,  // the clock's last millisecond (2262)
                                  9'223'372'036'854,  // past it: format_rfc3339's own text
                                  -1,
                                  -86'400'001};
  for (TimeMs t = 0; t < 9'223'372'036'854; t += 7'777'777'777) instants.push_back(t);
  for (TimeMs t : instants) {
    std::string out;
    append_rfc3339(out, t);
    EXPECT_EQ(out, format_rfc3339(from_unix_ms(t))) << t;
  }
}

Cell text_or_null(const std::string& s) { return s.empty() ? Cell{} : Cell::of(s); }

// What write_status replaced: a Table of Cells written by write_table.
Table status_table(const std::vector<storage::ProjectStatus>& rows) {
  auto time_text = [](TimeMs ms) { return format_rfc3339(from_unix_ms(ms)); };
  Table t{{"oms", "project_id", "status", "step", "alarm_level", "struct_progress", "full_progress",
           "incr_lag_s", "open_conditions", "observed_at", "last_polled_at", "outcome", "error"},
          {},
          {}};
  for (const auto& s : rows) {
    t.rows.push_back(
        {Cell::of(s.oms), Cell::of(s.project_id), text_or_null(s.status),
         text_or_null(s.current_step), text_or_null(s.alarm_level),
         s.struct_progress ? Cell::of(static_cast<std::int64_t>(*s.struct_progress)) : Cell{},
         s.full_progress ? Cell::of(static_cast<std::int64_t>(*s.full_progress)) : Cell{},
         Cell::of(s.incr_lag_s), Cell::of(s.open_conditions), Cell::of(time_text(s.observed_at)),
         Cell::of(time_text(s.last_polled_at)), Cell::of(s.outcome),
         s.error.empty() ? Cell{} : Cell::of(s.error)});
    append_progress_cells(t.rows.back(), s);
  }
  // Then the migration progress, of which a table shows the readable columns.
  const std::size_t first = t.columns.size();
  for (std::size_t i = 0; i < progress_columns().size(); ++i) {
    t.columns.push_back(progress_columns()[i]);
    if (!progress_column_in_table(i)) t.not_in_table.push_back(first + i);
  }
  return t;
}

// What /api/v1/projects built for each project before.
json::object status_object(const storage::ProjectStatus& s) {
  auto text_or_null = [](const std::string& v) {
    return v.empty() ? json::value(nullptr) : json::value(v);
  };
  auto number = [](const auto& v) {
    return v ? json::value(static_cast<std::int64_t>(*v)) : json::value(nullptr);
  };
  json::object o;
  o["oms"] = s.oms;
  o["project_id"] = s.project_id;
  o["status"] = text_or_null(s.status);
  o["step"] = text_or_null(s.current_step);
  o["alarm_level"] = text_or_null(s.alarm_level);
  o["struct_progress"] = number(s.struct_progress);
  o["full_progress"] = number(s.full_progress);
  o["incr_lag_s"] = number(s.incr_lag_s);
  o["open_conditions"] = s.open_conditions;
  o["observed_at"] = format_rfc3339(from_unix_ms(s.observed_at));
  o["last_polled_at"] = format_rfc3339(from_unix_ms(s.last_polled_at));
  o["outcome"] = s.outcome;
  o["error"] = text_or_null(s.error);
  // These projects have no migration progress: every progress field is null.
  for (const auto& column : progress_columns()) o[column] = nullptr;
  return o;
}

class StatusOutputStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = storage::Store::open(dir_.file("omswatch.db"), storage::OpenMode::read_write);
    ASSERT_TRUE(opened.has_value()) << opened.error();
    store_ = std::move(*opened);
    int n = 0;
    for (const auto& text : hostile_strings()) {
      if (text.empty()) continue;
      storage::ObservationWrite w;
      w.oms = n % 2 ? "prod" : "\xe6\xb5\x8b\xe8\xaf\x95 \"staging\"";
      w.project_id = "np_" + std::to_string(n) + (n % 3 ? "" : text);
      w.now = kT0 + n * 1000 + 500;
      w.project_state_json = "{}";
      storage::Sample s;
      s.oms = w.oms;
      s.project_id = w.project_id;
      s.observed_at = kT0 + n * 1000;
      s.latency_us = 1000;
      if (n % 4 == 0) {
        s.outcome = "error";
        s.error = text;
      } else {
        s.outcome = "ok";
        s.status = n % 4 == 1 ? "RUNNING" : "FAILED \t" + text;
        s.alarm_level = "HIGH";
        s.current_step = n % 4 == 2 ? "" : "INCR_TRANSFER";
        if (n % 5) s.struct_progress = n % 101;
        if (n % 6) s.full_progress = 100;
        if (n % 7) s.incr_lag_s = -n;
      }
      w.sample = s;
      if (n % 9 == 0) {
        storage::EventRecord e;
        e.id = "evt_" + std::to_string(n);
        e.oms = w.oms;
        e.project_id = w.project_id;
        e.kind = "incr_lagging";
        e.state = "firing";
        e.severity = "warning";
        e.summary = text;
        e.observed_at = s.observed_at;
        w.events.push_back(e);
      }
      auto recorded = store_->record(w);
      ASSERT_TRUE(recorded.has_value()) << recorded.error();
      ++n;
    }
  }

  omswatch::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(StatusOutputStore, EveryFormatWritesWhatWriteTableWrites) {
  const auto rows = omswatch::testing::value_of(store_->latest_status());
  ASSERT_GT(rows.size(), 200u);
  ASSERT_TRUE(
      std::any_of(rows.begin(), rows.end(), [](const auto& r) { return r.open_conditions > 0; }));
  for (auto format : {OutputFormat::table, OutputFormat::json, OutputFormat::csv}) {
    std::ostringstream direct;
    ASSERT_TRUE(write_status(direct, *store_, format));
    std::ostringstream generic;
    write_table(generic, status_table(rows), format);
    EXPECT_EQ(direct.str(), generic.str()) << "format " << static_cast<int>(format);
  }
  // And the generic JSON is what Boost.JSON makes of the same cells.
  const Table table = status_table(rows);
  json::array expected;
  for (const auto& row : table.rows) {
    json::object o;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const Cell& c = row[i];
      switch (c.type) {
        case Cell::Type::text:
          o[table.columns[i]] = c.text;
          break;
        case Cell::Type::integer:
          o[table.columns[i]] = c.integer;
          break;
        case Cell::Type::null:
          o[table.columns[i]] = nullptr;
          break;
        case Cell::Type::json:
        case Cell::Type::number:
          o[table.columns[i]] = json::parse(c.text);
          break;
      }
    }
    expected.emplace_back(std::move(o));
  }
  std::ostringstream generic;
  write_table(generic, table, OutputFormat::json);
  EXPECT_EQ(generic.str(), json::serialize(expected) + "\n");
}

TEST_F(StatusOutputStore, ApiRowsAreWhatBoostJsonWrites) {
  for (const auto& row : omswatch::testing::value_of(store_->latest_status())) {
    std::string direct;
    append_status_json(direct, row);
    EXPECT_EQ(direct, json::serialize(status_object(row))) << row.project_id;
  }
}

TEST(StatusOutput, NoProjectsIsAnEmptyArrayAndAHeader) {
  omswatch::testing::TempDir dir;
  auto opened = storage::Store::open(dir.file("omswatch.db"), storage::OpenMode::read_write);
  ASSERT_TRUE(opened.has_value()) << opened.error();
  for (auto format : {OutputFormat::table, OutputFormat::json, OutputFormat::csv}) {
    std::ostringstream direct;
    ASSERT_TRUE(write_status(direct, **opened, format));
    std::ostringstream generic;
    write_table(generic, status_table({}), format);
    EXPECT_EQ(direct.str(), generic.str());
  }
}

}  // namespace
}  // namespace omswatch::daemon
