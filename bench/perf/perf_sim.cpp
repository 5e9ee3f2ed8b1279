// perf_sim: the static scenario of omswatch-sim (N healthy incremental-sync
// projects whose checkpoints advance every second), with a control channel on
// standard input for the latency measurement of make bench-perf.
//
// A line "set PROJECT_ID STATUS" changes that project's status. The first
// DescribeProjectProgress reply that carries the new status is reported on
// standard output as "served PROJECT_ID STATUS MONOTONIC_NS", the time
// (CLOCK_MONOTONIC) when that reply was ready to be written. The change and the
// requests are handled on the server's one thread, so no reply built before
// the change is reported. The first line is "listening on http://...".

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "oms/simulator.h"

namespace {

namespace asio = boost::asio;
namespace oms = omswatch::oms;

long long monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 100;
  if (argc == 3 && std::string_view(argv[1]) == "--projects") {
    std::string_view v = argv[2];
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), count);
    if (ec != std::errc() || end != v.data() + v.size() || count == 0 || count > 100'000) {
      std::cerr << "perf_sim: --projects takes 1..100000\n";
      return 64;
    }
  } else if (argc != 1) {
    std::cerr << "usage: perf_sim [--projects N]   (user and password: omswatch)\n";
    return 64;
  }
  asio::io_context ioc(1);
  oms::Simulator sim(ioc.get_executor(), "omswatch", "omswatch");
  sim.start(0);
  for (auto& p : oms::static_projects_at(count, std::chrono::system_clock::now())) {
    sim.put_project(std::move(p));
  }
  std::map<std::string, std::string> pending;  // project id -> status not yet served
  sim.on_request([&](std::string_view action, std::string_view project_id) {
    if (action != "DescribeProjectProgress") return;
    auto it = pending.find(std::string(project_id));
    if (it == pending.end()) return;
    std::printf("served %s %s %lld\n", it->first.c_str(), it->second.c_str(), monotonic_ns());
    std::fflush(stdout);
    pending.erase(it);
  });
  std::printf("listening on %s\n", sim.base_url().c_str());
  std::fflush(stdout);

  asio::steady_timer tick(ioc);
  std::function<void()> schedule = [&] {
    tick.expires_after(std::chrono::seconds(1));
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      const std::int64_t checkpoint = std::chrono::floor<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count() -
                                      2;
      for (std::size_t i = 1; i <= count; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "np_sim_%06zu", i);
        sim.update_project(id, [checkpoint](oms::SimProject& p) {
          p.progress.incr_sync_checkpoint = {std::to_string(checkpoint), checkpoint};
        });
      }
      schedule();
    });
  };
  schedule();

  std::thread control([&] {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream in(line);
      std::string verb, id, status;
      if (!(in >> verb >> id >> status) || verb != "set") {
        std::cerr << "perf_sim: ignoring '" << line << "' (expected: set PROJECT_ID STATUS)\n";
        continue;
      }
      asio::post(ioc, [&, id, status] {
        const bool known =
            sim.update_project(id, [&](oms::SimProject& p) { p.progress.status = status; });
        if (known) pending[id] = status;
      });
    }
    // Standard input closed: the harness is done.
    asio::post(ioc, [&] {
      tick.cancel();
      sim.stop();
      ioc.stop();
    });
  });
  ioc.run();
  control.join();
  return 0;
}
