// Times what `omswatch status` and the HTTP API's /api/v1/projects do for a
// fleet of N projects: the query (Store::latest_status), then the query with
// its output in each format of the CLI, and the API's answer (its handler,
// without the socket). Each figure is the median of several runs, read-only
// as the CLI opens the file. With --omswatch, also the whole command as a
// user runs it (process start included), its output sent to /dev/null.
//
//   status_query --projects 10000 [--db FILE] [--polls 30] [--runs 9] [--omswatch PATH]
//
// Without --db the fleet is written to a temporary file (through
// Store::record, as the daemon writes it) and removed afterwards; with --db an
// existing file is reused, or a new one is kept there.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_stats.h"
#include "daemon/http_api.h"
#include "daemon/metrics.h"
#include "daemon/table.h"
#include "storage/store.h"

extern char** environ;

namespace {

using namespace omswatch;
using bench::Clock;
using bench::median;
using bench::ms_since;
using storage::TimeMs;

// The value of a read that must succeed.
template <class T>
T read_ok(Expected<T> value) {
  return bench::value_or_exit("status_query", std::move(value));
}

constexpr TimeMs kStart = 1'795'924'800'000;  // 2026-11-29T04:00:00Z
constexpr TimeMs kInterval = 10'000;

double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// Wall time and this process's CPU time (which a busy machine inflates less;
// a command run with --omswatch shows no CPU time here).
void time_it(const std::string& what, int runs, const std::function<std::size_t()>& run,
             const char* unit = "bytes") {
  std::vector<double> times;
  std::vector<double> cpu;
  std::size_t size = 0;
  run();  // warm: the first run reads the file into the page cache
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    const double c0 = cpu_ms();
    size = run();
    cpu.push_back(cpu_ms() - c0);
    times.push_back(ms_since(t0));
  }
  std::sort(times.begin(), times.end());
  std::printf("%-46s %7.2f ms median, %7.2f ms max, CPU %7.2f ms median of %d (%zu %s)\n",
              what.c_str(), median(times), times.back(), median(cpu), runs, size, unit);
}

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "status_query: %s\nusage: status_query --projects N [--db FILE] [--polls 30] "
               "[--runs 9] [--omswatch PATH]\n",
               message);
  std::exit(64);
}

// A fleet like the daemon's: most projects sync incrementally (a sample a
// minute, the polls between them store none), some fail with an error text
// that needs escaping, some have conditions firing (with repeats) and some had
// them resolved; one in 20 runs a full transfer (a step reading per poll and
// an ETA), the lagging ones have a trend, one in 25 a verification.
bool fill(const std::string& path, int projects, int polls) {
  storage::StoreOptions options;
  options.commit_delay = std::chrono::seconds(10);  // one transaction per group, as the daemon
  auto opened = storage::Store::open(path, storage::OpenMode::read_write, options);
  if (!opened) {
    std::fprintf(stderr, "status_query: %s\n", opened.error().c_str());
    return false;
  }
  auto& store = **opened;
  const std::string state(300, 'x');
  const auto t0 = Clock::now();
  for (int poll = 0; poll < polls; ++poll) {
    for (int i = 0; i < projects; ++i) {
      const TimeMs at = kStart + poll * kInterval + i % 1000;
      storage::ObservationWrite w;
      w.oms = i % 10 < 7 ? "prod" : "staging";
      w.project_id = "np_" + std::to_string(100000 + i);
      w.now = at;
      w.project_state_json = "{\"pad\":\"" + state + "\"}";
      storage::Sample s;
      s.oms = w.oms;
      s.project_id = w.project_id;
      s.observed_at = at;
      s.latency_us = 900 + i % 500;
      if (i % 20 == 7) {
        s.outcome = "error";
        s.error = "HTTP 502 from \"gateway\"\n\t<html>\xe7\xbd\x91\xe5\x85\xb3\x01</html>";
      } else {
        s.outcome = "ok";
        s.status = i % 50 == 3 ? "FAILED" : "RUNNING";
        s.alarm_level = i % 4 == 0 ? "HIGH" : "MEDIUM";
        s.current_step = i % 20 == 5 ? "FULL_TRANSFER" : "INCR_TRANSFER";
        s.struct_progress = 100;
        s.full_progress = i % 20 == 5 ? std::min(99, poll * 3) : 100;
        const std::int64_t lag = i % 10 == 1 ? 700 + poll : 3 + poll % 4;
        s.incr_checkpoint = std::to_string(at / 1000 - lag);
        s.incr_lag_s = lag;
      }
      w.sample = s;
      // Migration progress: a full transfer's step reading at every poll and
      // its ETA; a trend for the lagging ones; a verification here and there.
      if (i % 20 == 5) {
        storage::StepSample x;
        x.observed_at = at;
        x.step = "FULL_TRANSFER";
        x.step_status = "RUNNING";
        x.progress = std::min(99, poll * 3);
        x.processed = 100'000 * (poll + 1);
        x.capacity = 10'000'000;
        x.src_rps = x.dst_rps = 12'000 + i % 500;
        x.src_rps_ref = x.dst_rps_ref = 15'000;
        x.eta_low_s = 1500 - poll;
        x.eta_high_s = 1860 - poll;
        x.eta_basis = "records";
        x.rate = 12'300.5;
        w.step_sample = x;
        w.outlook_json = "{\"eta\":{\"low_s\":" + std::to_string(*x.eta_low_s) +
                         ",\"high_s\":" + std::to_string(*x.eta_high_s) +
                         ",\"basis\":\"records\",\"rate\":12300.5,\"remaining\":9000000,\"at\":" +
                         std::to_string(at) + "}}";
      } else if (i % 10 == 1) {
        w.outlook_json =
            "{\"trend\":{\"direction\":\"falling_behind\",\"rate\":0.05,\"to_max_lag_s\":540,"
            "\"lag_s\":" +
            std::to_string(700 + poll) + "}}";
      }
      if (i % 25 == 0 && poll == polls - 1) {
        storage::VerifyRecord v;
        v.observed_at = at;
        v.finished = true;
        v.different_number = i % 50 == 0 ? 7 : 0;
        v.tables = 12;
        w.verify = v;
      }
      auto event = [&](const std::string& state_text, const std::string& severity) {
        storage::EventRecord e;
        e.id = "evt_" + std::to_string(i) + "_" + std::to_string(poll);
        e.oms = w.oms;
        e.project_id = w.project_id;
        e.kind = "incr_lagging";
        e.state = state_text;
        e.severity = severity;
        e.summary = "incremental lag " + std::to_string(*s.incr_lag_s) + " s";
        e.observed_at = at;
        w.events.push_back(e);
        w.deliveries.push_back({e.id, "oncall", at});
      };
      if (i % 10 == 1 && poll % 10 == 2) event("firing", "warning");  // and its repeats
      if (i % 30 == 1 && poll == polls - 3) event("resolved", "warning");
      auto recorded = store.record(w);
      if (!recorded) {
        std::fprintf(stderr, "status_query: %s\n", recorded.error().c_str());
        return false;
      }
    }
  }
  if (auto flushed = store.flush(); !flushed) {
    std::fprintf(stderr, "status_query: %s\n", flushed.error().c_str());
    return false;
  }
  std::printf("wrote %d projects x %d polls in %.1f s\n", projects, polls, ms_since(t0) / 1000);
  return true;
}

// Runs the command with its output sent to /dev/null; false when it fails.
bool run_command(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  std::string omswatch_binary;
  int projects = 10'000;
  int polls = 30;
  int runs = 9;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value of " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--db") {
      db = v;
    } else if (a == "--projects") {
      projects = std::atoi(v.c_str());
    } else if (a == "--polls") {
      polls = std::atoi(v.c_str());
    } else if (a == "--runs") {
      runs = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--omswatch") {
      omswatch_binary = v;
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (projects <= 0 || polls <= 0) usage("--projects and --polls must be positive");

  std::filesystem::path temp;
  if (db.empty()) {
    temp = std::filesystem::temp_directory_path() /
           ("omswatch-status-query-" + std::to_string(::getpid()));
    std::filesystem::create_directories(temp);
    db = (temp / "omswatch.db").string();
  }
  if (!std::filesystem::exists(db) && !fill(db, projects, polls)) return 1;
  {
    // A file written by an older omswatch is migrated, as the daemon's start would.
    auto migrated = storage::Store::open(db, storage::OpenMode::read_write);
    if (!migrated) {
      std::fprintf(stderr, "status_query: %s\n", migrated.error().c_str());
      return 1;
    }
  }

  int code = 0;
  {
    auto opened = storage::Store::open(db, storage::OpenMode::read_only);
    if (!opened) {
      std::fprintf(stderr, "status_query: %s\n", opened.error().c_str());
      return 1;
    }
    auto& store = **opened;
    std::printf("%s: %zu projects (budget: query and output within 50 ms)\n", db.c_str(),
                read_ok(store.latest_status()).size());

    time_it(
        "query (Store::latest_status)", runs, [&] { return read_ok(store.latest_status()).size(); },
        "rows");
    for (auto [name, format] : {std::pair{"table", daemon::OutputFormat::table},
                                std::pair{"json", daemon::OutputFormat::json},
                                std::pair{"csv", daemon::OutputFormat::csv}}) {
      time_it(std::string("status --format ") + name + " (query and output)", runs, [&] {
        std::ostringstream out;
        if (auto written = daemon::write_status(out, store, format); !written) {
          std::fprintf(stderr, "status_query: %s\n", written.error().c_str());
          std::exit(1);
        }
        return out.str().size();
      });
    }

    boost::asio::io_context io;
    daemon::Metrics metrics("bench");
    daemon::HttpApi api(io.get_executor(), metrics, {}, store, daemon::HttpApiOptions{});
    net::ServerRequest request;
    request.method = "GET";
    request.target = "/api/v1/projects";
    time_it("GET /api/v1/projects (handler, no socket)", runs, [&] {
      auto response = api.respond(request);
      if (response.status != 200) std::fprintf(stderr, "status_query: HTTP %u\n", response.status);
      return response.body.size();
    });

    if (!omswatch_binary.empty()) {
      for (const char* format : {"table", "json", "csv"}) {
        time_it(std::string("omswatch status --format ") + format + " (process)", runs, [&] {
          if (!run_command({omswatch_binary, "status", "--db", db, "--format", format})) {
            std::fprintf(stderr, "status_query: omswatch status --format %s failed\n", format);
            code = 1;
          }
          return std::size_t{0};
        });
      }
    }
  }
  if (!temp.empty()) std::filesystem::remove_all(temp);
  return code;
}
