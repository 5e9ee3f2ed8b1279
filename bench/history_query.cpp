// Times the queries behind `omswatch history` and `omswatch status` on a
// database filled by history_fill (median of several runs, read-only as the
// CLI opens it), then the retention calls the daemon makes: prune() batches
// and vacuum_step().
//
//   history_query --db FILE [--project np_100001] [--runs 7] [--prune-keep 3d]
//                 [--prune-rows 500] [--vacuum-pages 256]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_stats.h"
#include "config/duration.h"
#include "storage/store.h"

namespace {

using namespace omswatch;
using bench::Clock;
using bench::median;
using bench::ms_since;
using storage::TimeMs;

// The value of a read that must succeed.
template <class T>
T read_ok(Expected<T> value) {
  return bench::value_or_exit("history_query", std::move(value));
}

// Runs `query` `runs` times and prints the median time and the rows it read.
void time_query(const char* what, int runs, const std::function<std::size_t()>& query) {
  std::vector<double> times;
  std::size_t rows = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    rows = query();
    times.push_back(ms_since(t0));
  }
  std::printf("%-44s %8.2f ms median of %d (%zu rows; budget: < 50 ms)\n", what, median(times),
              runs, rows);
}

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "history_query: %s\nusage: history_query --db FILE [--project ID] [--runs N] "
               "[--prune-keep 3d] [--prune-rows 500] [--vacuum-pages 256]\n",
               message);
  std::exit(64);
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  std::string project = "np_100001";
  int runs = 7;
  std::optional<std::chrono::milliseconds> prune_keep;
  int prune_rows = 500;
  int vacuum_pages = 256;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value of " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--db") {
      db = v;
    } else if (a == "--project") {
      project = v;
    } else if (a == "--runs") {
      runs = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--prune-rows") {
      prune_rows = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--vacuum-pages") {
      vacuum_pages = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--prune-keep") {
      prune_keep = config::parse_duration(v);
      if (!prune_keep) usage("--prune-keep takes a duration");
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (db.empty()) usage("--db is required");

  {
    auto opened = storage::Store::open(db, storage::OpenMode::read_only);
    if (!opened) {
      std::fprintf(stderr, "history_query: %s\n", opened.error().c_str());
      return 1;
    }
    auto& store = **opened;
    const auto latest = read_ok(store.latest_status());
    TimeMs end = 0;
    for (const auto& s : latest) end = std::max(end, s.last_polled_at);
    const TimeMs since = end - 7LL * 24 * 3600 * 1000;
    std::printf("%s: %zu projects; querying %s over the 7 days before its latest poll\n",
                db.c_str(), latest.size(), project.c_str());

    time_query("history ID --since 7d (every stored sample)", runs,
               [&] { return read_ok(store.history(project, since, std::nullopt, 0)).size(); });
    time_query("history ID --since 7d --limit 10000 (the CLI)", runs,
               [&] { return read_ok(store.history(project, since, std::nullopt, 10000)).size(); });
    time_query("history ID --since 7d --timeline", runs,
               [&] { return read_ok(store.status_timeline(project, since, std::nullopt)).size(); });
    time_query("status (every project)", runs,
               [&] { return read_ok(store.latest_status()).size(); });
    time_query("events --since 7d (at most 1000)", runs, [&] {
      storage::EventFilter f;
      f.since = since;
      return read_ok(store.events(f)).size();
    });
  }

  if (prune_keep) {
    // What the daemon's retention timer does: batches of 500 rows, then a
    // few vacuum steps. The database loses all but the last prune_keep.
    storage::StoreOptions options;
    options.keep_samples = *prune_keep;
    options.keep_events = *prune_keep;
    auto opened = storage::Store::open(db, storage::OpenMode::read_write, options);
    if (!opened) {
      std::fprintf(stderr, "history_query: %s\n", opened.error().c_str());
      return 1;
    }
    auto& store = **opened;
    TimeMs now = 0;
    for (const auto& s : read_ok(store.latest_status())) now = std::max(now, s.last_polled_at);
    std::vector<double> times;
    std::int64_t removed = 0;
    const auto t0 = Clock::now();
    for (;;) {
      const auto t = Clock::now();
      auto r = store.prune(now, prune_rows);
      times.push_back(ms_since(t));
      if (!r) {
        std::fprintf(stderr, "history_query: %s\n", r.error().c_str());
        return 1;
      }
      removed += r->removed;
      if (!r->more) break;
    }
    const double total = ms_since(t0);
    std::sort(times.begin(), times.end());
    std::printf(
        "prune(now, %d) down to %lld ms: %zu calls removed %lld rows in %.0f ms; "
        "per call median %.2f ms, p99 %.2f ms, max %.2f ms\n",
        prune_rows, static_cast<long long>(prune_keep->count()), times.size(),
        static_cast<long long>(removed), total, times[times.size() / 2],
        times[times.size() * 99 / 100], times.back());
    times.clear();
    std::int64_t released = 0;
    storage::VacuumResult last;
    for (int i = 0; i < 100'000; ++i) {
      const auto t = Clock::now();
      auto v = store.vacuum_step(vacuum_pages);
      times.push_back(ms_since(t));
      if (!v) {
        std::fprintf(stderr, "history_query: %s\n", v.error().c_str());
        return 1;
      }
      released += v->released;
      last = *v;
      if (v->free_pages == 0 || v->released == 0) break;
    }
    std::sort(times.begin(), times.end());
    std::printf(
        "vacuum_step(%d): %zu calls released %lld pages (%.1f MiB); per call median "
        "%.2f ms, max %.2f ms; file now %lld pages\n",
        vacuum_pages, times.size(), static_cast<long long>(released),
        static_cast<double>(released) * 4096 / 1048576.0, times[times.size() / 2], times.back(),
        static_cast<long long>(last.page_count));
  }
  return 0;
}
