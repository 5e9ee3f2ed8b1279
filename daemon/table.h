#pragma once
// Tabular output of the CLI's query commands in the three formats users ask
// for: an aligned table for people, JSON and CSV for scripts.

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "common/json_text.h"

namespace omswatch::storage {
class Store;
struct ProjectStatus;
}  // namespace omswatch::storage

namespace omswatch::daemon {

enum class OutputFormat { table, json, csv };
std::optional<OutputFormat> parse_output_format(std::string_view text);

// One value of a row. Absent values are null: JSON null, "-" in a table, an
// empty CSV field.
struct Cell {
  // json: `text` is JSON (an object or an array) written as it is in JSON
  // output; `shown` stands for it in tables and CSV. number: `text` is a
  // JSON number (a fraction: 12300.5, -0.035), written as it is everywhere.
  enum class Type { text, integer, null, json, number };
  Type type = Type::null;
  std::string text;
  std::int64_t integer = 0;
  std::string shown;
  static Cell of(std::string s) { return {Type::text, std::move(s), 0, {}}; }
  static Cell of(std::int64_t v) { return {Type::integer, {}, v, {}}; }
  static Cell json(std::string json_text, std::string shown) {
    return {Type::json, std::move(json_text), 0, std::move(shown)};
  }
  static Cell number(std::string json_number) {
    return {Type::number, std::move(json_number), 0, {}};
  }
  template <class T>
  static Cell of(const std::optional<T>& v) {
    return v ? of(*v) : Cell{};
  }
};

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
  // Indexes of columns too wide for the aligned table (JSON and CSV have them).
  std::vector<std::size_t> not_in_table;
};

// table: aligned columns, "-" for null; json: an array of objects (nulls as
// null, integers as numbers); csv: RFC 4180 with a header row.
void write_table(std::ostream& out, const Table& table, OutputFormat format);

// Appends one row as a JSON object: {"column": value, ...} in column order,
// as write_table's JSON and the HTTP API write rows.
void append_json_row(std::string& out, std::span<const std::string> columns,
                     std::span<const Cell> cells);

// `omswatch status`: the latest state of every project, read from `store`
// (ordered by OMS and project id) and written in `format`; JSON rows are
// those of status_json_row(). Writes nothing and returns the error when the
// database cannot be read.
Expected<void> write_status(std::ostream& out, storage::Store& store, OutputFormat format);

// Appends one project's status as a JSON object (the fields of `omswatch
// status --format json` and of /api/v1/projects, in that order).
void append_status_json(std::string& out, const storage::ProjectStatus& status);

// Appends "2026-11-29T04:41:09Z": format_rfc3339() of the instant, whole
// seconds, without going through the C library's time functions.
void append_rfc3339(std::string& out, std::int64_t unix_ms);

}  // namespace omswatch::daemon
