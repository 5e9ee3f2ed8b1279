// The load omswatch puts on an OMS: the requests per second of each Action
// while N projects are polled every INTERVAL and every one of them is in a
// full transfer or a full verification (the most extra reads there can be:
// DescribeProjectSteps at every steps_every, ListProjectFullVerifyResult for
// the verifications). The daemon's own watcher, store and detector run in
// this process against the simulated OMS, on loopback, in real time.
//
//   oms_load [--projects 1000] [--interval 10s] [--seconds 120] [--warmup 20]
//
// Prints the requests per second of each Action over the window after the
// warm-up and the share the extra reads add to the progress polls
// (docs/performance.md, "Load on OMS").

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "config/config.h"
#include "daemon/service.h"
#include "oms/simulator.h"

namespace {

using namespace omswatch;
using namespace std::chrono_literals;

struct Options {
  int projects = 1000;
  std::string interval = "10s";
  int seconds = 120;
  int warmup = 20;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "oms_load: %s\nusage: oms_load [--projects N] [--interval 10s] [--seconds S] "
               "[--warmup S]\n",
               why.c_str());
  std::exit(64);
}

int positive(const char* name, const char* text) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (!end || *end || v <= 0 || v > 1'000'000) usage(std::string(name) + ": not a positive number");
  return static_cast<int>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) usage(arg + " needs a value");
    const char* value = argv[++i];
    if (arg == "--projects") {
      o.projects = positive("--projects", value);
    } else if (arg == "--interval") {
      o.interval = value;
    } else if (arg == "--seconds") {
      o.seconds = positive("--seconds", value);
    } else if (arg == "--warmup") {
      o.warmup = positive("--warmup", value);
    } else {
      usage("unknown option " + arg);
    }
  }
  return o;
}

// Half in full transfer, half in full verification (with differences).
oms::SimProject project(int i) {
  const bool verifying = i % 2 == 1;
  char id[32];
  std::snprintf(id, sizeof id, "np_load_%06d", i);
  oms::SimProject p;
  p.name = id;
  p.progress.project_id = id;
  p.progress.status = "RUNNING";
  p.progress.alarm_level = "MEDIUM";
  p.progress.current_step = verifying ? "FULL_VERIFIER" : "FULL_TRANSFER";
  p.progress.enable_full_transfer = true;
  p.progress.enable_incr_sync = true;
  p.progress.full_transfer_progress = verifying ? 100 : 40;
  oms::ProjectStep full;
  full.order = 1;
  full.name = "FULL_TRANSFER";
  full.status = verifying ? "FINISHED" : "RUNNING";
  full.progress = verifying ? 100 : 40;
  full.transfer.processed_records = 400'000;
  full.transfer.capacity = 1'000'000;
  full.transfer.dst_rps = 5000;
  full.transfer.dst_rps_ref = 6000;
  oms::ProjectStep verify;
  verify.order = 2;
  verify.name = "FULL_VERIFIER";
  verify.status = verifying ? "RUNNING" : "INIT";
  verify.progress = verifying ? 50 : 0;
  p.steps = {full, verify};
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread thread([&] { io.run(); });

  oms::Simulator sim(io.get_executor(), "watcher", "pw");
  std::mutex mutex;
  std::map<std::string, std::uint64_t> requests;
  std::atomic<bool> counting = false;
  std::promise<void> started;
  boost::asio::post(io, [&] {
    sim.start(0);
    started.set_value();
  });
  started.get_future().wait();
  sim.on_request([&](std::string_view action, std::string_view) {
    if (!counting) return;
    std::lock_guard lock(mutex);
    ++requests[std::string(action)];
  });
  std::string ids;
  for (int i = 0; i < options.projects; ++i) {
    auto p = project(i);
    ids += (ids.empty() ? "\"" : ", \"") + p.progress.project_id + "\"";
    sim.put_project(std::move(p));
  }

  const auto dir = std::filesystem::temp_directory_path() /
                   ("oms_load." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string toml = "[daemon]\ndatabase = \"" + (dir / "load.db").string() +
                           "\"\nlisten = \"\"\nlog_level = \"warn\"\n"
                           "[[oms]]\nname = \"sim\"\nurl = \"" + sim.base_url() + "\"\n"
                           "username = \"watcher\"\npassword = \"pw\"\ninterval = \"" +
                           options.interval + "\"\nprojects = [" + ids + "]\n";
  auto loaded = config::load_string(toml, "oms_load.toml");
  if (!loaded.config) {
    std::fprintf(stderr, "oms_load: %s\n", loaded.errors.at(0).to_string().c_str());
    return 1;
  }
  std::unique_ptr<daemon::Service> service;
  std::promise<std::string> created;
  boost::asio::post(io, [&] {
    auto made = daemon::Service::create(io, std::move(*loaded.config));
    if (!made) {
      created.set_value(made.error());
      return;
    }
    service = std::move(*made);
    service->start();
    created.set_value("");
  });
  if (auto error = created.get_future().get(); !error.empty()) {
    std::fprintf(stderr, "oms_load: %s\n", error.c_str());
    return 1;
  }
  std::fprintf(stderr, "oms_load: %d projects every %s; warm-up %d s, window %d s\n",
               options.projects, options.interval.c_str(), options.warmup, options.seconds);
  std::this_thread::sleep_for(std::chrono::seconds(options.warmup));  // a bench, not a test
  counting = true;
  std::this_thread::sleep_for(std::chrono::seconds(options.seconds));
  counting = false;

  std::promise<void> stopped;
  boost::asio::post(io, [&] {
    service->stop();
    sim.stop();
    stopped.set_value();
  });
  stopped.get_future().wait();
  guard.reset();
  io.stop();
  thread.join();
  service.reset();
  std::filesystem::remove_all(dir);

  std::lock_guard lock(mutex);
  const double window = options.seconds;
  const double polls = static_cast<double>(requests["DescribeProjectProgress"]) / window;
  double extra = 0;
  std::printf("| Action | requests/s |\n|---|---:|\n");
  for (const auto& [action, n] : requests) {
    const double rate = static_cast<double>(n) / window;
    std::printf("| %s | %.2f |\n", action.c_str(), rate);
    if (action != "DescribeProjectProgress") extra += rate;
  }
  std::printf("\nextra reads add %.1f %% to the progress polls (%.2f/s over %.2f/s)\n",
              polls > 0 ? 100.0 * extra / polls : 0.0, extra, polls);
  return 0;
}
