#include "daemon/table.h"

#include <algorithm>
#include <boost/json.hpp>

#include "common/time.h"
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
  }
  return "";
}

// Table cells stay on one line, whatever a remote system put in a message.
std::string one_line(std::string s) {
  for (auto& ch : s) {
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  }
  return s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
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
      boost::json::array rows;
      for (const auto& row : table.rows) {
        boost::json::object o;
        for (std::size_t i = 0; i < table.columns.size() && i < row.size(); ++i) {
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
          }
        }
        rows.emplace_back(std::move(o));
      }
      out << boost::json::serialize(rows) << '\n';
      return;
    }
    case OutputFormat::csv: {
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        out << (i ? "," : "") << csv_field(table.columns[i]);
      }
      out << "\r\n";
      for (const auto& row : table.rows) {
        for (std::size_t i = 0; i < row.size(); ++i)
          out << (i ? "," : "") << csv_field(plain(row[i]));
        out << "\r\n";
      }
      return;
    }
    case OutputFormat::table: {
      std::vector<std::vector<std::string>> text;
      std::vector<std::size_t> width(table.columns.size());
      for (std::size_t i = 0; i < table.columns.size(); ++i)
        width[i] = display_width(table.columns[i]);
      for (const auto& row : table.rows) {
        auto& line = text.emplace_back();
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
          std::string s = row[i].type == Cell::Type::null ? "-" : one_line(plain(row[i]));
          width[i] = std::max(width[i], display_width(s));
          line.push_back(std::move(s));
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
      for (const auto& c : table.columns) {
        std::string h = c;
        std::transform(h.begin(), h.end(), h.begin(),
                       [](unsigned char ch) { return std::toupper(ch); });
        header.push_back(h);
      }
      emit(header);
      for (const auto& line : text) emit(line);
      return;
    }
  }
}

void write_status(std::ostream& out, storage::Store& store, OutputFormat format) {
  auto time_text = [](std::int64_t ms) { return format_rfc3339(from_unix_ms(ms)); };
  Table t{{"oms", "project_id", "status", "step", "alarm_level", "struct_progress", "full_progress",
           "incr_lag_s", "open_conditions", "observed_at", "last_polled_at", "outcome", "error"},
          {}};
  for (const auto& s : store.latest_status()) {
    t.rows.push_back(
        {Cell::of(s.oms), Cell::of(s.project_id), Cell::of(s.status), Cell::of(s.current_step),
         Cell::of(s.alarm_level),
         Cell::of<int>(s.struct_progress).type == Cell::Type::null
             ? Cell{}
             : Cell::of(static_cast<std::int64_t>(*s.struct_progress)),
         s.full_progress ? Cell::of(static_cast<std::int64_t>(*s.full_progress)) : Cell{},
         Cell::of(s.incr_lag_s), Cell::of(s.open_conditions), Cell::of(time_text(s.observed_at)),
         Cell::of(time_text(s.last_polled_at)), Cell::of(s.outcome),
         s.error.empty() ? Cell{} : Cell::of(s.error)});
  }
  write_table(out, t, format);
}

}  // namespace omswatch::daemon
