// Fills a database the way the daemon does, through Store::record with the
// thinning of [storage] sample_every, and prints how big it grew.
//
//   history_fill --db FILE [--projects 1000] [--days 7] [--interval 10s] [--sample-every 1m]
//
// Each poll writes what the watcher writes: the sample, the project's detector
// state, and now and then events with their deliveries, which a simulated
// dispatcher marks delivered. The projects behave like a real fleet: most sync
// incrementally with an advancing checkpoint and a lag that wanders; some run
// a full transfer whose progress grows until they finish; a few sit FAILED or
// SUSPEND; statuses change now and then, lag spikes raise incr_lagging, and
// once a day an OMS is unreachable for a few minutes.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_stats.h"
#include "config/duration.h"
#include "storage/store.h"

namespace {

using namespace omswatch;
using storage::TimeMs;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string db;
  int projects = 1000;
  int days = 7;
  std::chrono::milliseconds interval = std::chrono::seconds(10);
  std::chrono::milliseconds sample_every = std::chrono::minutes(1);
};

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "history_fill: %s\nusage: history_fill --db FILE [--projects N] [--days N] "
               "[--interval 10s] [--sample-every 1m]\n",
               message);
  std::exit(64);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value of " + a).c_str());
    const std::string v = argv[++i];
    auto duration = [&](const std::string& text) {
      auto d = config::parse_duration(text);
      if (!d) usage(("not a duration: " + text).c_str());
      return *d;
    };
    if (a == "--db") {
      o.db = v;
    } else if (a == "--projects") {
      o.projects = std::atoi(v.c_str());
    } else if (a == "--days") {
      o.days = std::atoi(v.c_str());
    } else if (a == "--interval") {
      o.interval = duration(v);
    } else if (a == "--sample-every") {
      o.sample_every = v == "0s" ? std::chrono::milliseconds(0) : duration(v);
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (o.db.empty()) usage("--db is required");
  if (o.projects <= 0 || o.days <= 0 || o.interval.count() <= 0) usage("bad numbers");
  return o;
}

enum class Kind { incremental, full_transfer, stuck };

struct Project {
  std::string oms;
  std::string id;
  Kind kind = Kind::incremental;
  std::string status = "RUNNING";
  std::string step = "INCR_TRANSFER";
  std::string level = "HIGH";
  int full_progress = 100;
  std::int64_t checkpoint_s = 0;
  std::int64_t lag_s = 3;
  bool reverse = false;
  bool lagging = false;  // incr_lagging fires
  TimeMs offset = 0;     // polls of one OMS are spread over the interval
};

class Fleet {
 public:
  Fleet(const Options& o, TimeMs start) : rng_(20261129) {
    for (int i = 0; i < o.projects; ++i) {
      Project p;
      p.oms = i % 10 < 7 ? "prod" : "staging";
      p.id = "np_" + std::to_string(100000 + i);
      p.level = i % 4 == 0 ? "HIGH" : i % 4 == 1 ? "LOW" : "MEDIUM";
      p.offset = static_cast<TimeMs>(rng_() % static_cast<std::uint64_t>(o.interval.count()));
      p.checkpoint_s = start / 1000 - 3;
      p.reverse = i % 5 == 0;
      const int kind = i % 20;
      if (kind < 16) {
        p.kind = Kind::incremental;
      } else if (kind < 19) {
        p.kind = Kind::full_transfer;
        p.step = "FULL_TRANSFER";
        p.full_progress = static_cast<int>(rng_() % 60);
      } else {
        p.kind = Kind::stuck;
        p.status = i % 2 ? "FAILED" : "SUSPEND";
      }
      projects_.push_back(p);
    }
  }

  std::vector<Project>& projects() { return projects_; }

  // One poll of `p` at `at`: the write the watcher would make.
  storage::ObservationWrite poll(Project& p, TimeMs at, bool oms_down) {
    storage::ObservationWrite w;
    w.oms = p.oms;
    w.project_id = p.id;
    w.now = at;
    storage::Sample s;
    s.oms = p.oms;
    s.project_id = p.id;
    s.observed_at = at;
    s.latency_us = 800 + static_cast<std::int64_t>(rng_() % 4000);
    if (oms_down) {
      s.outcome = "error";
      s.error = "connect: connection refused (" + p.oms + ".oms.example.internal:8089)";
      s.latency_us = 100;
      w.sample = s;
      w.project_state_json = state_json(p, at);
      return w;
    }
    evolve(p, at, w);
    s.outcome = "ok";
    s.status = p.status;
    s.alarm_level = p.level;
    s.current_step = p.step;
    s.struct_progress = 100;
    s.full_progress = p.full_progress;
    if (p.kind == Kind::incremental || p.step == "INCR_TRANSFER") {
      s.incr_checkpoint = std::to_string(p.checkpoint_s);
      s.incr_lag_s = at / 1000 - p.checkpoint_s;
      if (p.reverse) {
        s.reverse_checkpoint = std::to_string(p.checkpoint_s - 2);
        s.reverse_lag_s = at / 1000 - p.checkpoint_s + 2;
      }
    }
    w.sample = s;
    w.project_state_json = state_json(p, at);
    return w;
  }

 private:
  bool chance(double p) { return std::uniform_real_distribution<>(0, 1)(rng_) < p; }

  void event(storage::ObservationWrite& w, const Project& p, TimeMs at, const std::string& kind,
             const std::string& state, const std::string& severity, const std::string& details) {
    storage::EventRecord e;
    e.id = "evt_" + std::to_string(++events_);
    e.oms = p.oms;
    e.project_id = p.id;
    e.kind = kind;
    e.state = state;
    e.severity = severity;
    e.alarm_level = p.level;
    e.summary = p.id + " " + kind + " " + state;
    e.details_json = details;
    e.progress_json = R"({"status":")" + p.status + R"(","currentStep":")" + p.step + R"("})";
    e.observed_at = at;
    e.project_name = "orders-" + p.id;
    w.events.push_back(e);
    w.deliveries.push_back({e.id, p.level == "HIGH" ? "oncall" : "ops"});
  }

  void evolve(Project& p, TimeMs at, storage::ObservationWrite& w) {
    const std::int64_t now_s = at / 1000;
    if (p.kind == Kind::full_transfer && p.step == "FULL_TRANSFER") {
      if (chance(0.02)) ++p.full_progress;  // about one point every 8 minutes
      if (p.full_progress >= 100) {
        p.full_progress = 100;
        p.step = "INCR_TRANSFER";
        p.kind = Kind::incremental;
        event(w, p, at, "full_transfer_done", "notice", "info", "{}");
        event(w, p, at, "step_changed", "notice", "info",
              R"({"from":"FULL_TRANSFER","to":"INCR_TRANSFER"})");
      }
      return;
    }
    if (p.kind == Kind::stuck) return;
    // About two status changes a week per project, back after a while.
    if (p.status == "RUNNING" && chance(0.00003)) {
      p.status = "SUSPEND";
      event(w, p, at, "status_changed", "notice", "info", R"({"from":"RUNNING","to":"SUSPEND"})");
    } else if (p.status == "SUSPEND" && chance(0.005)) {
      p.status = "RUNNING";
      event(w, p, at, "status_changed", "notice", "info", R"({"from":"SUSPEND","to":"RUNNING"})");
    }
    if (p.status != "RUNNING") return;
    // The lag wanders between 1 and 15 s, with rare spikes of some minutes.
    if (chance(0.0002)) p.lag_s = 600 + static_cast<std::int64_t>(rng_() % 600);
    if (p.lag_s > 15) {
      p.lag_s = std::max<std::int64_t>(3, p.lag_s - 8);
    } else {
      p.lag_s = std::clamp<std::int64_t>(p.lag_s + static_cast<int>(rng_() % 5) - 2, 1, 15);
    }
    p.checkpoint_s = std::max(p.checkpoint_s, now_s - p.lag_s);
    const bool lagging = now_s - p.checkpoint_s > 600;
    if (lagging != p.lagging) {
      p.lagging = lagging;
      event(w, p, at, "incr_lagging", lagging ? "firing" : "resolved", "warning",
            R"({"lag_s":)" + std::to_string(now_s - p.checkpoint_s) + "}");
    }
  }

  // About the size of the detector's real state.
  static std::string state_json(const Project& p, TimeMs at) {
    return R"({"v":1,"seen":true,"status":")" + p.status + R"(","step":")" + p.step +
           R"(","alarm_level":")" + p.level + R"(","status_since":1795910400000,)" +
           R"("incr_checkpoint":")" + std::to_string(p.checkpoint_s) + R"(","incr_seen_at":)" +
           std::to_string(at) +
           R"(,"incr_advanced":true,"reverse_checkpoint":"","reverse_seen_at":0,)" +
           R"("reverse_advanced":false,"unavailable_streak":0,"struct_progress":100,)" +
           R"("full_progress":)" + std::to_string(p.full_progress) + R"(,"firing":{}})";
  }

  std::mt19937_64 rng_;
  std::vector<Project> projects_;
  std::int64_t events_ = 0;
};

double mib(std::uintmax_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

std::uintmax_t size_on_disk(const std::string& db) {
  std::uintmax_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    auto n = std::filesystem::file_size(db + suffix, ec);
    if (!ec) total += n;
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::filesystem::remove(o.db);
  std::filesystem::remove(o.db + "-wal");
  std::filesystem::remove(o.db + "-shm");
  storage::StoreOptions store_options;
  store_options.sample_every = o.sample_every;
  auto opened = storage::Store::open(o.db, storage::OpenMode::read_write, store_options);
  if (!opened) {
    std::fprintf(stderr, "history_fill: %s\n", opened.error().c_str());
    return 1;
  }
  auto& store = *opened;

  const TimeMs day = 24LL * 3600 * 1000;
  // The history ends now, so that "the last 7 days" finds it.
  const TimeMs end = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() /
                     60000 * 60000;
  const TimeMs start = end - o.days * day;
  Fleet fleet(o, start);
  std::printf("filling %s: %d projects, %d days, a poll every %lld ms, sample_every %lld ms\n",
              o.db.c_str(), o.projects, o.days, static_cast<long long>(o.interval.count()),
              static_cast<long long>(o.sample_every.count()));

  const auto began = Clock::now();
  std::chrono::nanoseconds recording{0};
  std::int64_t polls = 0;
  TimeMs next_report = start + day / 4;
  TimeMs next_dispatch = start + 60000;
  for (TimeMs round = start; round < end; round += o.interval.count()) {
    // Once a day each OMS is unreachable for about five minutes.
    const TimeMs into_day = (round - start) % day;
    const bool prod_down = into_day >= 3 * 3600000 && into_day < 3 * 3600000 + 300000;
    const bool staging_down = into_day >= 15 * 3600000 && into_day < 15 * 3600000 + 240000;
    for (auto& p : fleet.projects()) {
      const TimeMs at = round + p.offset;
      auto write = fleet.poll(p, at, p.oms == "prod" ? prod_down : staging_down);
      const auto t0 = Clock::now();
      auto recorded = store->record(write);
      recording += Clock::now() - t0;
      if (!recorded) {
        std::fprintf(stderr, "history_fill: %s\n", recorded.error().c_str());
        return 1;
      }
      ++polls;
    }
    if (round >= next_dispatch) {  // the dispatcher delivers what is due
      next_dispatch += 60000;
      std::vector<std::int64_t> ids;
      for (const auto& d :
           bench::value_or_exit("history_fill", store->due_deliveries(round, 1000))) {
        ids.push_back(d.id);
      }
      if (auto marked = store->mark_delivered(ids, round); !marked) {
        std::fprintf(stderr, "history_fill: %s\n", marked.error().c_str());
        return 1;
      }
    }
    if (round >= next_report) {
      next_report += day / 4;
      const double days_done = static_cast<double>(round - start) / static_cast<double>(day);
      const auto counts = store->sample_counts();
      std::printf("  day %.2f: %lld polls, %lld samples stored, %.1f MiB, %.0f s so far\n",
                  days_done, static_cast<long long>(polls), static_cast<long long>(counts.stored),
                  mib(size_on_disk(o.db)),
                  std::chrono::duration<double>(Clock::now() - began).count());
      std::fflush(stdout);
    }
  }
  const auto counts = store->sample_counts();
  store.reset();  // closes: the WAL is checkpointed into the file
  const auto bytes = size_on_disk(o.db);
  const double per_day = mib(bytes) * 1.048576 / o.days;  // MB (10^6 bytes) per day
  std::printf("done: %lld polls, %lld samples stored (%.1f%%), %lld thinned\n",
              static_cast<long long>(polls), static_cast<long long>(counts.stored),
              100.0 * static_cast<double>(counts.stored) / static_cast<double>(polls),
              static_cast<long long>(counts.skipped));
  std::printf("file: %.1f MiB, %.1f bytes per stored sample (events and state included)\n",
              mib(bytes), static_cast<double>(bytes) / static_cast<double>(counts.stored));
  std::printf("projected: %.1f MB per day for %d projects at a %lld ms interval (budget: < 100)\n",
              per_day, o.projects, static_cast<long long>(o.interval.count()));
  std::printf(
      "record(): %.1f us per poll on average (wall time, commit included)\n",
      std::chrono::duration<double, std::micro>(recording).count() / static_cast<double>(polls));
  std::printf("took %.0f s\n", std::chrono::duration<double>(Clock::now() - began).count());
  return 0;
}
