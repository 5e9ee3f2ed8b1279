#include "daemon/cli.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <vector>

#include "common/time.h"
#include "config/config.h"
#include "config/purpose.h"
#include "daemon/rows.h"
#include "daemon/service.h"
#include "daemon/table.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace {

constexpr const char* kDefaultConfig = "/etc/omswatch/omswatch.toml";

constexpr const char* kUsage = R"(usage: omswatch COMMAND [OPTIONS]

Commands:
  run            [-c FILE]                 run the daemon in the foreground (systemd runs this)
  check-config   [-c FILE]                 validate the configuration; exit 0, or 78 with file:line:col messages
  status         [-c FILE | --db FILE] [--format table|json|csv]
                                           the latest state of every watched project
  history ID     [-c FILE | --db FILE] [--since 24h|TIME] [--until TIME] [--limit N] [--format ...]
                                           one project's samples (each change, checkpoints once a
                                           minute), oldest first
  history ID --timeline [...]              its status intervals instead: RUNNING for 3h 12m, ...
  history ID --steps [...]                 its full transfer and verification readings instead:
                                           processed/capacity, src/dst rows/s against OMS's
                                           baseline, and the ETA then
  events         [-c FILE | --db FILE] [--project ID] [--kind K] [--severity S] [--since ...]
                 [--until ...] [--limit N] [--format ...]
                                           detected events with their deliveries, newest first
  silence add (--project ID | --oms NAME | --kind K ...) --for 2h [--starts TIME] --comment TEXT
  silence list [--all] [--format ...]     active silences (--all: expired ones too)
  silence expire ID                       end a silence now
                                           silences suppress matching deliveries (recorded as silenced)
  ack [add] PROJECT KIND [--oms NAME] [--by NAME] [--reason TEXT]
                                           acknowledge a firing condition: no reminders of it;
                                           its resolution says who acked it
  ack list [--all] [--format ...]         acks in force (--all: ended ones too)
  ack remove ID                           remove an ack in force
  notify-test RECEIVER [-c FILE]           send a test message through one receiver; exit 1 when
                                           the platform refused it
  demo                                     a simulated OMS, the daemon and a console receiver
  version                                  print the version (also: --version)

-c defaults to /etc/omswatch/omswatch.toml. Query commands read the database
read-only: they never block the running daemon. TIME is an RFC 3339 time
with its offset (2026-11-29T04:00:00Z, 2026-11-29T12:00:00+08:00) or a date
(2026-11-29, midnight UTC), from 1970-01-01 to 2199-12-31; a duration such
as 90m, 24h or 7d means that long ago. silence add --for is at most 366d.
)";

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
};

// Options that take a value; everything else starting with '-' is an error.
const std::map<std::string, std::string> kOptions = {
    {"-c", "config"},         {"--config", "config"}, {"--db", "db"},
    {"--format", "format"},   {"--since", "since"},   {"--until", "until"},
    {"--project", "project"}, {"--kind", "kind"},     {"--severity", "severity"},
    {"--limit", "limit"},     {"--oms", "oms"},       {"--for", "for"},
    {"--comment", "comment"}, {"--starts", "starts"}, {"--by", "by"},
    {"--reason", "reason"}};
// Options that take no value.
const std::map<std::string, std::string> kFlags = {
    {"--timeline", "timeline"}, {"--steps", "steps"}, {"--all", "all"}};

std::optional<Args> parse_args(int argc, char** argv, std::string& error) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      args.command = "help";
      return args;
    }
    if (a == "--version") {  // a flag, as most programs spell it: `omswatch version`
      args.command = "version";
      return args;
    }
    if (auto flag = kFlags.find(a); flag != kFlags.end()) {
      args.options[flag->second] = "1";
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::string value;
      if (auto eq = a.find('='); eq != std::string::npos && a.starts_with("--")) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        error = "option " + a + " needs a value";
        return std::nullopt;
      }
      auto it = kOptions.find(a);
      if (it == kOptions.end()) {
        error = "unknown option " + a;
        return std::nullopt;
      }
      args.options[it->second] = value;
    } else if (args.command.empty()) {
      args.command = a;
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

std::string option(const Args& a, const std::string& name, const std::string& fallback = "") {
  auto it = a.options.find(name);
  return it == a.options.end() ? fallback : it->second;
}

void print_diagnostics(const std::vector<config::Diagnostic>& list, const char* prefix) {
  for (const auto& d : list) std::cerr << prefix << d.to_string() << '\n';
}

std::optional<config::Config> load_config(const Args& a, int& exit_code,
                                          config::Purpose purpose = config::Purpose::daemon) {
  auto result = config::load_file(option(a, "config", kDefaultConfig),
                                  config::process_environment(), purpose);
  print_diagnostics(result.warnings, "warning: ");
  if (!result.config) {
    print_diagnostics(result.errors, "");
    exit_code = kExitConfig;
    return std::nullopt;
  }
  return std::move(result.config);
}

// The database of a query command: --db, or the one the config names. The
// secrets the config names are not read: whoever may read the history may not
// be allowed to read them.
std::optional<std::string> database_path(const Args& a, int& exit_code) {
  if (auto db = option(a, "db"); !db.empty()) return db;
  auto cfg = load_config(a, exit_code, config::Purpose::queries);
  if (!cfg) return std::nullopt;
  return cfg->daemon.database;
}

std::unique_ptr<storage::Store> open_read_only(const std::string& path, int& exit_code) {
  if (!std::filesystem::exists(path)) {
    std::cerr << "omswatch: no database at " << path
              << " (has the daemon run yet? --db names another file)\n";
    exit_code = kExitNoInput;
    return nullptr;
  }
  auto store = storage::Store::open(path, storage::OpenMode::read_only);
  if (!store) {
    std::cerr << "omswatch: " << store.error() << '\n';
    exit_code = kExitFailure;
    return nullptr;
  }
  return std::move(*store);
}

std::string time_text(std::int64_t ms) { return format_rfc3339(from_unix_ms(ms)); }

int usage_error(const std::string& message) {
  std::cerr << "omswatch: " << message << "\n\n" << kUsage;
  return kExitUsage;
}

struct QueryContext {
  OutputFormat format = OutputFormat::table;
  std::unique_ptr<storage::Store> store;
  std::optional<std::int64_t> since_ms;
  std::optional<std::int64_t> until_ms;
  int limit = 0;
};

// Parses what every query command shares; returns an exit code on error.
std::optional<int> prepare_query(const Args& a, QueryContext& q, int default_limit) {
  auto format = parse_output_format(option(a, "format", "table"));
  if (!format) return usage_error("--format must be table, json or csv");
  q.format = *format;
  const auto now = std::chrono::system_clock::now();
  for (auto [name, target] : {std::pair{"since", &q.since_ms}, std::pair{"until", &q.until_ms}}) {
    if (auto text = option(a, name); !text.empty()) {
      auto t = parse_time_text(text, now);
      if (!t) return usage_error(std::string("--") + name + " '" + text + "' " + t.error());
      *target = to_unix_ms(*t);
    }
  }
  if (q.since_ms && q.until_ms && *q.since_ms > *q.until_ms) {
    return usage_error("--since " + option(a, "since") + " is later than --until " +
                       option(a, "until"));
  }
  q.limit = default_limit;
  if (auto text = option(a, "limit"); !text.empty()) {
    try {
      std::size_t used = 0;
      q.limit = std::stoi(text, &used);
      if (used != text.size() || q.limit <= 0) throw std::invalid_argument("limit");
    } catch (const std::exception&) {
      return usage_error("--limit must be a positive whole number");
    }
  }
  int code = kExitOk;
  auto path = database_path(a, code);
  if (!path) return code;
  q.store = open_read_only(*path, code);
  if (!q.store) return code;
  return std::nullopt;
}

// A query whose database read failed: its message, as for any command that
// fails.
int read_failed(std::string_view command, const std::string& error) {
  std::cerr << "omswatch " << command << ": " << error << '\n';
  return kExitFailure;
}

int cmd_status(const Args& a) {
  if (!option(a, "since").empty() || !option(a, "until").empty()) {
    return usage_error(
        "status shows the latest state of each project; for the past, ask history "
        "ID --timeline --since ... --until ...");
  }
  QueryContext q;
  if (auto code = prepare_query(a, q, 0)) return *code;
  if (auto written = write_status(std::cout, *q.store, q.format); !written) {
    return read_failed("status", written.error());
  }
  return kExitOk;
}

// The status intervals that overlap the window, each with its real bounds.
int print_timeline(const std::string& project_id, QueryContext& q) {
  Table t{{"from", "to", "oms", "status", "duration", "duration_s", "ongoing"}, {}, {}};
  auto intervals = q.store->status_timeline(project_id, q.since_ms, q.until_ms);
  if (!intervals) return read_failed("history", intervals.error());
  for (const auto& i : *intervals) {
    // A failed poll has no status: what OMS did then is unknown.
    const std::string status = i.outcome == "ok" ? i.status : "(" + i.outcome + ")";
    const auto duration = std::chrono::milliseconds(i.to - i.from);
    t.rows.push_back({Cell::of(time_text(i.from)), Cell::of(time_text(i.to)), Cell::of(i.oms),
                      Cell::of(status), Cell::of(config::format_duration(duration)),
                      Cell::of(static_cast<std::int64_t>((i.to - i.from) / 1000)),
                      Cell::of(static_cast<std::int64_t>(i.ongoing ? 1 : 0))});
  }
  write_table(std::cout, t, q.format);
  return kExitOk;
}

int cmd_history(const Args& a) {
  if (a.positional.size() != 1) return usage_error("history takes one project id");
  const bool timeline = !option(a, "timeline").empty();
  const bool steps = !option(a, "steps").empty();
  if (timeline && steps) return usage_error("--timeline and --steps are two views: ask for one");
  if (timeline && !option(a, "limit").empty()) {
    return usage_error("--limit does not apply to --timeline");
  }
  QueryContext q;
  if (auto code = prepare_query(a, q, 10'000)) return *code;
  if (!q.since_ms) {
    q.since_ms = to_unix_ms(std::chrono::system_clock::now() - std::chrono::hours(24));
    if (q.until_ms && *q.until_ms < *q.since_ms) q.since_ms = *q.until_ms - 24 * 3'600'000;
  }
  if (timeline) return print_timeline(a.positional[0], q);
  if (steps) {
    Table t = step_table();
    auto readings = q.store->step_history(a.positional[0], q.since_ms, q.until_ms, q.limit);
    if (!readings) return read_failed("history", readings.error());
    for (const auto& r : *readings) t.rows.push_back(step_cells(r));
    write_table(std::cout, t, q.format);
    return kExitOk;
  }
  Table t = sample_table();
  auto samples = q.store->history(a.positional[0], q.since_ms, q.until_ms, q.limit);
  if (!samples) return read_failed("history", samples.error());
  for (const auto& s : *samples) {
    t.rows.push_back(sample_cells(s));
  }
  write_table(std::cout, t, q.format);
  return kExitOk;
}

int cmd_events(const Args& a) {
  QueryContext q;
  if (auto code = prepare_query(a, q, 1000)) return *code;
  storage::EventFilter f;
  f.project_id = option(a, "project");
  f.kind = option(a, "kind");
  f.min_severity = option(a, "severity");
  if (!f.min_severity.empty() && !parse_severity(f.min_severity)) {
    return usage_error("--severity must be info, warning or critical");
  }
  f.since = q.since_ms;
  f.until = q.until_ms;
  f.limit = q.limit;
  Table t = event_table();
  auto events = q.store->events(f);
  if (!events) return read_failed("events", events.error());
  for (const auto& e : *events) t.rows.push_back(event_cells(e));
  write_table(std::cout, t, q.format);
  return kExitOk;
}

int cmd_check_config(const Args& a) {
  const std::string path = option(a, "config", kDefaultConfig);
  auto result = config::load_file(path);
  print_diagnostics(result.warnings, "warning: ");
  if (!result.config) {
    print_diagnostics(result.errors, "");
    return kExitConfig;
  }
  const auto& c = *result.config;
  std::size_t projects = 0;
  for (const auto& o : c.oms) projects += o.projects.size();
  std::cout << path << ": OK (" << c.oms.size() << " OMS, " << projects << " project(s), "
            << c.receivers.size() << " receiver(s))\n";
  return kExitOk;
}

int cmd_run(const Args& a) {
  int code = kExitOk;
  auto cfg = load_config(a, code);
  if (!cfg) return code;
  setup_logging(cfg->daemon.log_level);
  return run_daemon(std::move(*cfg));
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::string error;
  auto args = parse_args(argc, argv, error);
  if (!args) return usage_error(error);
  const std::string& cmd = args->command;
  if (cmd.empty() || cmd == "help") {
    std::cout << kUsage;
    return cmd.empty() ? kExitUsage : kExitOk;
  }
  try {
    if (cmd == "run") return cmd_run(*args);
    if (cmd == "check-config") return cmd_check_config(*args);
    if (cmd == "status") return cmd_status(*args);
    if (cmd == "history") return cmd_history(*args);
    if (cmd == "events") return cmd_events(*args);
    if (cmd == "demo") return run_demo(std::cout);
    if (cmd == "silence") {
      SilenceArgs sa;
      sa.positional = args->positional;
      sa.project = option(*args, "project");
      sa.oms = option(*args, "oms");
      sa.kind = option(*args, "kind");
      sa.duration = option(*args, "for");
      sa.starts = option(*args, "starts");
      sa.comment = option(*args, "comment");
      sa.all = !option(*args, "all").empty();
      auto format = parse_output_format(option(*args, "format", "table"));
      if (!format) return usage_error("--format must be table, json or csv");
      sa.format = *format;
      int code = kExitOk;
      auto path = database_path(*args, code);
      if (!path) return code;
      return run_silence(*path, sa, std::cout, std::cerr);
    }
    if (cmd == "ack") {
      AckArgs aa;
      aa.positional = args->positional;
      aa.oms = option(*args, "oms");
      aa.by = option(*args, "by");
      aa.reason = option(*args, "reason");
      aa.all = !option(*args, "all").empty();
      auto format = parse_output_format(option(*args, "format", "table"));
      if (!format) return usage_error("--format must be table, json or csv");
      aa.format = *format;
      int code = kExitOk;
      auto path = database_path(*args, code);
      if (!path) return code;
      return run_ack(*path, aa, std::cout, std::cerr);
    }
    if (cmd == "notify-test") {
      if (args->positional.size() != 1) return usage_error("notify-test takes one receiver name");
      int code = kExitOk;
      auto cfg = load_config(*args, code);
      if (!cfg) return code;
      return run_notify_test(*cfg, args->positional[0], std::cout, std::cerr);
    }
    if (cmd == "version") {
      std::cout << "omswatch " << OMSWATCH_VERSION << '\n';
      return kExitOk;
    }
  } catch (const std::exception& e) {
    std::cerr << "omswatch " << cmd << ": " << e.what() << '\n';
    return kExitFailure;
  }
  return usage_error("unknown command '" + cmd + "'");
}

}  // namespace omswatch::daemon
