// omswatch-sim: a simulated OMS on 127.0.0.1, for trying omswatch out, for
// end-to-end tests and for benchmarks. Prints "listening on http://..." as
// its first line and serves until SIGINT or SIGTERM.

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/simulator.h"

namespace {

namespace asio = boost::asio;
namespace oms = omswatch::oms;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;  // EX_USAGE
constexpr std::size_t kMaxProjects = 100'000;

constexpr std::string_view kUsage = R"(usage: omswatch-sim [options]

A simulated OMS (OceanBase Migration Service) OpenAPI on 127.0.0.1.

options:
  --listen [127.0.0.1:]PORT   where to listen (default 127.0.0.1:0: any free port)
  --user NAME                 HTTP Basic user name (default omswatch)
  --password PASSWORD         HTTP Basic password (default: $OMSWATCH_SIM_PASSWORD,
                              else omswatch)
  --scenario NAME[,NAME...]   demo: three projects that complete, stall and fail over
                              about 90 s; static: N healthy incremental-sync projects;
                              full-transfer, slow-transfer, transfer-retry, creating:
                              a full transfer with verification differences, a slow
                              one, one that fails and is retried, one being created;
                              migration: those four (default demo). Several names
                              serve all their projects.
  --time-scale F              simulated seconds per real second of the storylines
                              (0.01..1000, default 1); other than 1, the Date header
                              follows the simulated clock
  --projects N                the number of projects of the static scenario
                              (1..100000, default 100)
  -h, --help                  this text

The first line written to standard output is "listening on http://127.0.0.1:PORT".
)";

struct Options {
  std::uint16_t port = 0;
  std::string user = "omswatch";
  std::string password;
  std::string scenario = "demo";
  std::optional<std::size_t> projects;
  double time_scale = 1;
  bool has(std::string_view name) const {
    std::string_view rest = scenario;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      if (rest.substr(0, comma) == name) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return false;
  }
};

struct UsageError {
  std::string message;
};

template <class T>
std::optional<T> to_number(std::string_view s) {
  T n{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// Parses argv; nullopt after --help.
std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("OMSWATCH_SIM_PASSWORD")) o.password = env;
  if (o.password.empty()) o.password = "omswatch";
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") return std::nullopt;
    std::string_view value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg == "--listen" || arg == "--user" || arg == "--password" || arg == "--scenario" ||
               arg == "--projects" || arg == "--time-scale") {
      if (i + 1 >= args.size()) throw UsageError{std::string(arg) + " needs a value"};
      value = args[++i];
    } else {
      throw UsageError{"unknown argument '" + std::string(arg) + "'"};
    }

    if (arg == "--listen") {
      std::string_view port = value;
      if (auto colon = value.rfind(':'); colon != std::string_view::npos) {
        std::string_view host = value.substr(0, colon);
        if (host != "127.0.0.1" && host != "localhost") {
          throw UsageError{"--listen: the simulator listens on 127.0.0.1 only, not '" +
                           std::string(host) + "'"};
        }
        port = value.substr(colon + 1);
      }
      auto n = to_number<std::uint16_t>(port);
      if (!n) {
        throw UsageError{"--listen: '" + std::string(port) + "' is not a port (0..65535)"};
      }
      o.port = *n;
    } else if (arg == "--user") {
      if (value.empty() || value.find(':') != std::string_view::npos) {
        throw UsageError{"--user: a non-empty name without ':'"};
      }
      o.user = value;
    } else if (arg == "--password") {
      if (value.empty()) throw UsageError{"--password: must not be empty"};
      o.password = value;
    } else if (arg == "--scenario") {
      std::string_view rest = value;
      do {
        auto comma = rest.find(',');
        std::string_view name = rest.substr(0, comma);
        const auto& more = oms::migration_scenarios();
        if (name != "demo" && name != "static" &&
            std::find(more.begin(), more.end(), name) == more.end()) {
          throw UsageError{"--scenario: '" + std::string(name) +
                           "' is not demo, static, migration, full-transfer, slow-transfer, "
                           "transfer-retry or creating"};
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      } while (!rest.empty());
      o.scenario = value;
    } else if (arg == "--time-scale") {
      double f = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), f);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
          !(f >= 0.01) || !(f <= 1000)) {
        throw UsageError{"--time-scale: '" + std::string(value) +
                         "' is not a number in 0.01..1000"};
      }
      o.time_scale = f;
    } else if (arg == "--projects") {
      auto n = to_number<std::size_t>(value);
      if (!n || *n < 1 || *n > kMaxProjects) {
        throw UsageError{"--projects: '" + std::string(value) + "' is not a number in 1.." +
                         std::to_string(kMaxProjects)};
      }
      o.projects = *n;
    } else {
      throw UsageError{"unknown argument '" + std::string(arg) + "'"};
    }
  }
  if (o.projects && !o.has("static")) {
    throw UsageError{"--projects applies to --scenario static only"};
  }
  return o;
}

int run(const Options& options) {
  asio::io_context ioc(1);
  oms::Simulator sim(ioc.get_executor(), options.user, options.password);
  try {
    sim.start(options.port);
  } catch (const std::exception& e) {
    std::cerr << "omswatch-sim: cannot listen on 127.0.0.1:" << options.port << ": " << e.what()
              << '\n';
    return kExitFailure;
  }

  const bool demo = options.has("demo");
  const bool is_static = options.has("static");
  std::vector<std::string_view> migrations;
  for (std::string_view name : oms::migration_scenarios()) {
    if (options.has(name)) migrations.push_back(name);
  }
  const std::size_t count = is_static ? options.projects.value_or(100) : 0;
  const auto started = std::chrono::steady_clock::now();
  const auto started_at = std::chrono::system_clock::now();
  std::size_t storyline_projects = 0;
  auto refresh = [&] {
    // The storylines' clock: real time since the start, scaled.
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        (std::chrono::steady_clock::now() - started) * options.time_scale);
    if (options.time_scale != 1) {
      sim.set_server_time(started_at +
                          std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed));
    }
    std::size_t n = 0;
    if (demo) {
      for (auto& p :
           oms::demo_projects_at(std::chrono::floor<std::chrono::seconds>(elapsed), started_at)) {
        sim.put_project(std::move(p));
        ++n;
      }
    }
    for (std::string_view name : migrations) {
      for (auto& p : oms::migration_projects_at(name, elapsed, started_at)) {
        sim.put_project(std::move(p));
        ++n;
      }
    }
    storyline_projects = n;
    if (is_static) {
      const auto now = std::chrono::system_clock::now();
      const std::int64_t checkpoint =
          std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count() - 2;
      for (std::size_t i = 1; i <= count; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "np_sim_%06zu", i);
        sim.update_project(id, [checkpoint](oms::SimProject& p) {
          p.progress.incr_sync_checkpoint = {std::to_string(checkpoint), checkpoint};
        });
      }
    }
  };
  if (is_static) {
    for (auto& p : oms::static_projects_at(count, started_at)) sim.put_project(std::move(p));
  }
  refresh();

  std::cout << "listening on " << sim.base_url() << std::endl;
  std::cout << "scenario " << options.scenario << ": " << storyline_projects + count
            << " projects; user " << options.user << std::endl;

  asio::steady_timer tick(ioc);
  std::function<void()> schedule = [&] {
    tick.expires_after(
        std::chrono::milliseconds(is_static && !demo && migrations.empty() ? 1000 : 500));
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      refresh();
      schedule();
    });
  };
  schedule();

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    tick.cancel();
    sim.stop();
    ioc.stop();
  });
  ioc.run();
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options;
  try {
    options = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "omswatch-sim: " << e.message << " (see omswatch-sim --help)\n";
    return kExitUsage;
  }
  if (!options) {
    std::cout << kUsage;
    return kExitOk;
  }
  try {
    return run(*options);
  } catch (const std::exception& e) {
    std::cerr << "omswatch-sim: " << e.what() << '\n';
    return kExitFailure;
  }
}
