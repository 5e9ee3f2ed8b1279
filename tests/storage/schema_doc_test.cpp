// docs/schema.md is the operator's reference: its example queries must run
// against a real database, and it must document every table, view, column and
// index the schema has (and nothing it does not).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/storage_test_support.h"
#include "tests/support/temp_dir.h"

namespace omswatch::storage {
namespace {

using testing::kHour;
using testing::kMinute;
using testing::make_event;
using testing::ok_sample;
using testing::open_raw;
using testing::open_store;
using testing::poll_write;

std::string read_schema_doc() {
  // tests/storage/ -> the source root; tests/CMakeLists.txt passes absolute paths.
  const auto path =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "docs/schema.md";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct SqlBlock {
  int line = 0;             // of the opening fence
  std::string description;  // the nearest non-blank line above it
  std::string sql;
};

std::vector<SqlBlock> sql_blocks(const std::string& doc) {
  std::vector<SqlBlock> blocks;
  std::istringstream in(doc);
  std::string line;
  std::string previous_text;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("```", 0) != 0) {
      if (!line.empty()) previous_text = line;
      continue;
    }
    const bool is_sql = line == "```sql";
    SqlBlock block{number, previous_text, ""};
    while (std::getline(in, line) && line.rfind("```", 0) != 0) {
      ++number;
      block.sql += line + "\n";
    }
    ++number;
    previous_text = "```";
    if (is_sql) blocks.push_back(std::move(block));
  }
  return blocks;
}

// The table rows ("| ... |" lines) of the "### `name`" section, up to the
// next heading: where its columns are documented.
std::string section_table(const std::string& doc, const std::string& name) {
  const std::string heading = "### `" + name + "`\n";
  auto begin = doc.find(heading);
  if (begin == std::string::npos) return "";
  auto end = doc.find("\n#", begin + heading.size());
  std::istringstream in(
      doc.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
  std::string rows;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("|", 0) == 0) rows += line + "\n";
  }
  return rows;
}

// A database with a bit of everything, around the current time because the
// documented queries look at "the last 24 hours" and "last night".
void populate(const std::string& path) {
  auto store = open_store(path);
  const TimeMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const TimeMs start = now - 36 * kHour;
  int n = 0;
  for (TimeMs t = start; t <= now; t += 10 * kMinute, ++n) {
    for (const char* project : {"np_4w1", "np_other"}) {
      Sample s = ok_sample(project, t, n % 7 == 0 ? 900 : 5);
      if (n % 11 == 0) s = testing::failed_sample(project, t);
      ObservationWrite w = poll_write(s);
      if (std::string(project) == "np_4w1" && n % 12 == 0) {
        auto e =
            make_event("evt_" + std::to_string(n), project, "status_changed", "notice", "info", t);
        e.details_json = R"({"from":"RUNNING","to":"SUSPEND"})";
        w.events.push_back(e);
        w.deliveries.push_back({e.id, "ops"});
      }
      if (std::string(project) == "np_4w1" && n % 7 == 0) {
        auto e =
            make_event("lag_" + std::to_string(n), project, "incr_lagging", "firing", "warning", t);
        auto r = make_event("res_" + std::to_string(n), project, "incr_lagging", "resolved",
                            "warning", t + 1);
        r.details_json = R"({"duration_s":600})";
        w.events.push_back(e);
        w.events.push_back(r);
        w.deliveries.push_back({e.id, "oncall"});
        w.deliveries.push_back({r.id, "oncall"});
      }
      OMSWATCH_RECORD(*store, w);
    }
  }
  auto failed = make_event("evt_failed", "np_other", "project_failed", "firing", "critical", now);
  OMSWATCH_RECORD(*store, poll_write(ok_sample("np_other", now), {failed}, {"oncall", "ops"}));
  ObservationWrite oms;
  oms.oms = "prod";
  oms.now = now;
  oms.oms_state_json = R"({"unreachable":true})";
  oms.events.push_back(make_event("evt_oms", "", "oms_unreachable", "firing", "critical", now));
  oms.deliveries.push_back({"evt_oms", "oncall"});
  OMSWATCH_RECORD(*store, oms);

  // Deliveries in every status.
  auto due = testing::value_of(store->due_deliveries(now, 1000));
  ASSERT_GT(due.size(), 4u);
  ASSERT_TRUE(store->mark_delivered({due[0].id, due[1].id}, now).has_value());
  ASSERT_TRUE(store->mark_retry({due[2].id}, now + kMinute, "HTTP 503").has_value());
  ASSERT_TRUE(store->mark_final({due[3].id}, "failed", "HTTP 404", now).has_value());
  ASSERT_TRUE(store->mark_final({due[4].id}, "silenced", "silence 1", now).has_value());
}

TEST(SchemaDoc, EveryExampleQueryRuns) {
  const std::string doc = read_schema_doc();
  const auto blocks = sql_blocks(doc);
  ASSERT_GE(blocks.size(), 10u) << "docs/schema.md should show the everyday queries";

  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  ASSERT_NO_FATAL_FAILURE(populate(path));
  auto db = open_raw(path);
  for (const auto& block : blocks) {
    SCOPED_TRACE("docs/schema.md:" + std::to_string(block.line));
    EXPECT_FALSE(block.description.empty() || block.description[0] == '#' ||
                 block.description[0] == '|' || block.description.rfind("```", 0) == 0)
        << "each query is preceded by a one-line description, not: " << block.description;
    auto ran = db.exec(block.sql);
    EXPECT_TRUE(ran.has_value()) << block.description << "\n" << ran.error();
  }
}

TEST(SchemaDoc, DocumentsEveryTableViewColumnAndIndex) {
  const std::string doc = read_schema_doc();
  omswatch::testing::TempDir dir;
  const std::string path = dir.file("omswatch.db");
  auto store = open_store(path);
  EXPECT_NE(doc.find("The schema described here is version " +
                     std::to_string(store->schema_version()) + "."),
            std::string::npos);

  auto db = open_raw(path, sqlite::kOpenReadOnly);
  sqlite::Statement objects(db,
                            "SELECT type, name FROM sqlite_schema "
                            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
  std::set<std::string> relations;
  while (objects.step()) {
    const std::string type = objects.column_string(0);
    const std::string name = objects.column_string(1);
    if (type == "index") {
      EXPECT_NE(doc.find("| `" + name + "` |"), std::string::npos) << "index " << name;
      continue;
    }
    if (type == "trigger") {
      EXPECT_NE(doc.find("`" + name + "`"), std::string::npos) << "trigger " << name;
      continue;
    }
    relations.insert(name);
    const std::string text = section_table(doc, name);
    ASSERT_FALSE(text.empty()) << "no section \"### `" << name << "`\" with a table for " << type;
    sqlite::Statement columns(db, "SELECT name FROM pragma_table_info(?1)");
    columns.bind(1, name);
    while (columns.step()) {
      const std::string column = columns.column_string(0);
      EXPECT_NE(text.find("`" + column + "`"), std::string::npos)
          << type << " " << name << ": column " << column << " is not documented";
    }
  }
  // And nothing documented that is not there.
  for (std::size_t at = doc.find("\n### `"); at != std::string::npos;
       at = doc.find("\n### `", at + 1)) {
    const auto begin = at + 6;
    const std::string name = doc.substr(begin, doc.find('`', begin) - begin);
    EXPECT_TRUE(relations.count(name))
        << "docs/schema.md documents " << name << ", which the schema does not have";
  }
}

TEST(SchemaDoc, FindsBlocksAndTheirDescriptions) {
  const auto blocks = sql_blocks(
      "# Title\n\nThe first:\n\n```sql\nSELECT 1;\n```\n\n```sh\nls\n```\n"
      "Second, right above:\n```sql\nSELECT 2;\nSELECT 3;\n```\n");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].description, "The first:");
  EXPECT_EQ(blocks[0].sql, "SELECT 1;\n");
  EXPECT_EQ(blocks[0].line, 5);
  EXPECT_EQ(blocks[1].description, "Second, right above:");
  EXPECT_EQ(blocks[1].sql, "SELECT 2;\nSELECT 3;\n");
}

}  // namespace
}  // namespace omswatch::storage
