#include "daemon/table.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "common/ascii.h"
#include "common/escape.h"
#include "common/time.h"
#include "daemon/rows.h"
#include "storage/store.h"

namespace omswatch::daemon {

std::optional<OutputFormat> parse_output_format(std::string_view text) {
  if (text == "table") return OutputFormat::table;
  if (text == "json") return OutputFormat::json;
  if (text == "csv") return OutputFormat::csv;
  return std::nullopt;
}

namespace {

std::string plain(const Cell& c) {
  switch (c.type) {
    case Cell::Type::text:
      return c.text;
    case Cell::Type::integer:
      return std::to_string(c.integer);
    case Cell::Type::null:
      return "";
    case Cell::Type::json:
      return c.shown;
    case Cell::Type::number:
      return c.text;
  }
  return "";
}

// Table cells stay on one line and act on no terminal, whatever a remote
// system put in a message: controls are shown as escapes ("\n", "\x1b").
std::string one_line(const std::string& s) { return escape_controls(s); }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A spreadsheet reads a cell starting with = + - @ (or a tab or CR, which
// it may skip first) as a formula: text starting so gets a leading quote
// (OWASP's advice). Numbers omswatch writes (integer cells) stay numbers.
// Controls in text are escaped as in a table (a CSV file is read in
// terminals too), so a field never spans lines.
std::string csv_cell(const Cell& c) {
  if (c.type != Cell::Type::text && c.type != Cell::Type::json) return csv_field(plain(c));
  std::string text = escape_controls(plain(c));
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string::npos) {
    text.insert(0, 1, '\'');
  }
  return csv_field(text);
}

// A cell as a table shows it: "-" for null and for an empty list.
std::string table_text(const Cell& c) {
  const std::string s = plain(c);
  if (c.type == Cell::Type::null || (c.type == Cell::Type::json && s.empty())) return "-";
  return one_line(s);
}

std::size_t display_width(const std::string& s) {
  // UTF-8: count code points, not bytes, so CJK names do not skew columns much.
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

void write_table(std::ostream& out, const Table& table, OutputFormat format) {
  switch (format) {
    case OutputFormat::json: {
      // Written directly: the bytes boost::json::serialize would write for an
      // array of objects, without building them first.
      std::string buffer = "[";
      for (std::size_t r = 0; r < table.rows.size(); ++r) {
        if (r) buffer += ',';
        append_json_row(buffer, table.columns, table.rows[r]);
      }
      buffer += "]\n";
      out << buffer;
      return;
    }
    case OutputFormat::csv: {
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        out << (i ? "," : "") << csv_field(table.columns[i]);
      }
      out << "\r\n";
      for (const auto& row : table.rows) {
        for (std::size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << csv_cell(row[i]);
        out << "\r\n";
      }
      return;
    }
    case OutputFormat::table: {
      std::vector<std::size_t> shown;  // the indexes of the columns shown
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        if (std::find(table.not_in_table.begin(), table.not_in_table.end(), i) ==
            table.not_in_table.end()) {
          shown.push_back(i);
        }
      }
      std::vector<std::vector<std::string>> text;
      std::vector<std::size_t> width(shown.size());
      for (std::size_t k = 0; k < shown.size(); ++k)
        width[k] = display_width(table.columns[shown[k]]);
      for (const auto& row : table.rows) {
        auto& line = text.emplace_back();
        for (std::size_t k = 0; k < shown.size() && shown[k] < row.size(); ++k) {
          std::string cell = table_text(row[shown[k]]);
          width[k] = std::max(width[k], display_width(cell));
          line.push_back(std::move(cell));
        }
      }
      auto emit = [&](const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i) {
          line += cells[i];
          if (i + 1 < cells.size()) line.append(width[i] - display_width(cells[i]) + 2, ' ');
        }
        out << line << '\n';
      };
      std::vector<std::string> header;
      for (std::size_t i : shown) header.push_back(ascii_upper(table.columns[i]));
      emit(header);
      for (const auto& line : text) emit(line);
      return;
    }
  }
}

namespace {

// One cell's value in JSON, as append_json_row() writes it.
void append_json_value(std::string& out, const Cell& c) {
  switch (c.type) {
    case Cell::Type::text:
      append_json_string(out, c.text);
      break;
    case Cell::Type::integer: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, c.integer);
      out.append(buf, end);
      break;
    }
    case Cell::Type::null:
      out += "null";
      break;
    case Cell::Type::json:
    case Cell::Type::number:
      out += c.text;
      break;
  }
}

}  // namespace

void append_json_row(std::string& out, std::span<const std::string> columns,
                     std::span<const Cell> cells) {
  out += '{';
  for (std::size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, columns[i]);
    out += ':';
    append_json_value(out, cells[i]);
  }
  out += '}';
}

void append_rfc3339(std::string& out, std::int64_t unix_ms) {
  // Days to a civil date (H. Hinnant's algorithm) from 1970 until the system
  // clock's nanoseconds overflow (2262); format_rfc3339() itself outside that,
  // so the text is always the same as its.
  constexpr std::int64_t kDayMs = 86'400'000;
  constexpr std::int64_t kClockEndMs = 9'223'372'036'854;
  if (unix_ms < 0 || unix_ms >= kClockEndMs) {
    out += format_rfc3339(from_unix_ms(unix_ms));
    return;
  }
  const std::int64_t days = unix_ms / kDayMs;
  const std::int64_t secs = unix_ms % kDayMs / 1000;
  const std::int64_t z = days + 719468;
  const std::int64_t era = z / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2);
  char buf[19];
  auto two = [](char* at, std::int64_t v) {
    at[0] = static_cast<char>('0' + v / 10);
    at[1] = static_cast<char>('0' + v % 10);
  };
  two(buf, year / 100);
  two(buf + 2, year % 100);
  buf[4] = '-';
  two(buf + 5, month);
  buf[7] = '-';
  two(buf + 8, day);
  buf[10] = 'T';
  two(buf + 11, secs / 3600);
  buf[13] = ':';
  two(buf + 14, secs / 60 % 60);
  buf[16] = ':';
  two(buf + 17, secs % 60);
  out.append(buf, sizeof buf);
  out += 'Z';
}

namespace {

// The columns of `omswatch status`: the project's latest sample, then its
// migration progress (daemon/rows.h, progress_columns()).
const std::vector<std::string>& status_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c = {"oms",           "project_id",     "status",
                                  "step",          "alarm_level",    "struct_progress",
                                  "full_progress", "incr_lag_s",     "open_conditions",
                                  "observed_at",   "last_polled_at", "outcome",
                                  "error"};
    c.insert(c.end(), progress_columns().begin(), progress_columns().end());
    return c;
  }();
  return columns;
}
constexpr std::size_t kSampleColumns = 13;

// Whether an aligned table shows the column: the progress columns other
// than the readable ones (eta, trend, verify_differences) are for scripts.
bool status_column_in_table(std::size_t i) {
  return i < kSampleColumns || progress_column_in_table(i - kSampleColumns);
}

std::string time_text(std::int64_t ms) {
  std::string text;
  append_rfc3339(text, ms);
  return text;
}

Cell text_or_null(const std::string& text) { return text.empty() ? Cell{} : Cell::of(text); }

// One row of `omswatch status`, in kStatusColumns order. Absent texts are
// null, as in /api/v1/projects.
std::vector<Cell> status_cells(const storage::ProjectStatus& s) {
  std::vector<Cell> cells = {
      Cell::of(s.oms),
      Cell::of(s.project_id),
      text_or_null(s.status),
      text_or_null(s.current_step),
      text_or_null(s.alarm_level),
      Cell::of(s.struct_progress ? std::optional<std::int64_t>(*s.struct_progress) : std::nullopt),
      Cell::of(s.full_progress ? std::optional<std::int64_t>(*s.full_progress) : std::nullopt),
      Cell::of(s.incr_lag_s),
      Cell::of(s.open_conditions),
      Cell::of(time_text(s.observed_at)),
      Cell::of(time_text(s.last_polled_at)),
      Cell::of(s.outcome),
      text_or_null(s.error)};
  cells.reserve(status_columns().size());
  append_progress_cells(cells, s);
  return cells;
}

// Output is built in a buffer written out every so often: one stream write
// per row costs more than the row.
constexpr std::size_t kFlushBytes = 64 * 1024;

void flush_if_full(std::ostream& out, std::string& buffer, bool force = false) {
  if (force || buffer.size() >= kFlushBytes) {
    out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    buffer.clear();
  }
}

}  // namespace

void append_status_json(std::string& out, const storage::ProjectStatus& s) {
  // The bytes of append_json_row(status_columns(), status_cells(s)), the
  // sample's columns written from the values where they are: no cell and no
  // copy of a text for each of 10,000 rows.
  auto key = [&](const char* name) {
    out += '"';
    out += name;
    out += "\":";
  };
  auto text = [&](const std::string& v, bool nullable) {
    if (nullable && v.empty()) {
      out += "null";
    } else {
      append_json_string(out, v);
    }
  };
  auto integer = [&](std::optional<std::int64_t> v) {
    if (!v) {
      out += "null";
      return;
    }
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *v);
    out.append(buf, end);
  };
  auto time = [&](std::int64_t ms) {
    out += '"';
    append_rfc3339(out, ms);
    out += '"';
  };
  auto small = [](const std::optional<int>& v) {
    return v ? std::optional<std::int64_t>(*v) : std::nullopt;
  };
  out += '{';
  key("oms");
  text(s.oms, false);
  out += ',';
  key("project_id");
  text(s.project_id, false);
  out += ',';
  key("status");
  text(s.status, true);
  out += ',';
  key("step");
  text(s.current_step, true);
  out += ',';
  key("alarm_level");
  text(s.alarm_level, true);
  out += ',';
  key("struct_progress");
  integer(small(s.struct_progress));
  out += ',';
  key("full_progress");
  integer(small(s.full_progress));
  out += ',';
  key("incr_lag_s");
  integer(s.incr_lag_s);
  out += ',';
  key("open_conditions");
  integer(s.open_conditions);
  out += ',';
  key("observed_at");
  time(s.observed_at);
  out += ',';
  key("last_polled_at");
  time(s.last_polled_at);
  out += ',';
  key("outcome");
  text(s.outcome, false);
  out += ',';
  key("error");
  text(s.error, true);
  std::vector<Cell> progress;
  append_progress_cells(progress, s);
  const std::vector<std::string>& names = progress_columns();
  for (std::size_t i = 0; i < names.size() && i < progress.size(); ++i) {
    out += ',';
    append_json_string(out, names[i]);
    out += ':';
    append_json_value(out, progress[i]);
  }
  out += '}';
}

namespace {

void write_status_rows(std::ostream& out, const std::vector<storage::ProjectStatus>& rows,
                       OutputFormat format) {
  std::string buffer;
  buffer.reserve(kFlushBytes + 4096);
  switch (format) {
    case OutputFormat::json: {
      buffer += '[';
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i > 0) buffer += ',';
        append_status_json(buffer, rows[i]);
        flush_if_full(out, buffer);
      }
      buffer += "]\n";
      flush_if_full(out, buffer, true);
      return;
    }
    case OutputFormat::csv: {
      for (std::size_t i = 0; i < status_columns().size(); ++i) {
        if (i) buffer += ',';
        buffer += status_columns()[i];
      }
      buffer += "\r\n";
      for (const auto& row : rows) {
        const auto cells = status_cells(row);
        for (std::size_t i = 0; i < cells.size(); ++i) {
          if (i) buffer += ',';
          buffer += csv_cell(cells[i]);
        }
        buffer += "\r\n";
        flush_if_full(out, buffer);
      }
      flush_if_full(out, buffer, true);
      return;
    }
    case OutputFormat::table: {
      // Widths first, then the lines: each row is formatted twice, which
      // costs less than keeping its strings.
      std::vector<std::size_t> shown;
      for (std::size_t i = 0; i < status_columns().size(); ++i) {
        if (status_column_in_table(i)) shown.push_back(i);
      }
      std::vector<std::size_t> width(shown.size());
      for (std::size_t k = 0; k < shown.size(); ++k) width[k] = status_columns()[shown[k]].size();
      for (const auto& row : rows) {
        const auto cells = status_cells(row);
        for (std::size_t k = 0; k < shown.size(); ++k) {
          width[k] = std::max(width[k], display_width(table_text(cells[shown[k]])));
        }
      }
      auto emit = [&](auto&& text_of) {
        for (std::size_t k = 0; k < shown.size(); ++k) {
          const std::string text = text_of(shown[k]);
          buffer += text;
          if (k + 1 < shown.size()) buffer.append(width[k] - display_width(text) + 2, ' ');
        }
        buffer += '\n';
        flush_if_full(out, buffer);
      };
      emit([&](std::size_t i) { return ascii_upper(status_columns()[i]); });
      for (const auto& row : rows) {
        const auto cells = status_cells(row);
        emit([&](std::size_t i) { return table_text(cells[i]); });
      }
      flush_if_full(out, buffer, true);
      return;
    }
  }
}

}  // namespace

Expected<void> write_status(std::ostream& out, storage::Store& store, OutputFormat format) {
  auto rows = store.latest_status();
  if (!rows) return make_error(rows.error());
  write_status_rows(out, *rows, format);
  return {};
}

}  // namespace omswatch::daemon
