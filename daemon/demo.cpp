// `omswatch demo`: a simulated OMS whose projects move through a scripted
// lifecycle, the real daemon polling it, and the console receiver printing
// each notification as it happens. Everything lives in a temporary directory
// that is removed on exit.

#include <filesystem>
#include <ostream>
#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "common/time.h"
#include "daemon/cli.h"
#include "daemon/demo_progress.h"
#include "daemon/service.h"
#include "oms/simulator.h"

namespace omswatch::daemon {
namespace asio = boost::asio;

namespace {

std::string demo_config(const std::string& database, const std::string& oms_url,
                        const std::vector<oms::SimProject>& projects) {
  std::string ids;
  for (const auto& p : projects) {
    ids += (ids.empty() ? "\"" : ", \"") + p.progress.project_id + "\"";
  }
  return R"([daemon]
database = ")" + database + R"("
listen = "127.0.0.1:0"
log_level = "warn"

[[oms]]
name = "demo"
url = ")" + oms_url + R"("
username = "demo"
password = "${OMSWATCH_DEMO_PASSWORD}"
interval = "2s"
timeout = "1s"
projects = [)" + ids + R"(]

[detect]
stall_after = "15s"
max_lag = "1m"
steps_every = "2s"

[routes.HIGH]
group_wait = "0s"
repeat = "1m"
[routes.MEDIUM]
group_wait = "0s"
repeat = "2m"
[routes.LOW]
group_wait = "0s"

[[receivers]]
name = "console"
type = "console"
)";
}

}  // namespace

int run_demo(std::ostream& out) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("omswatch-demo-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{dir};

  setup_logging("warn");
  asio::io_context ioc(1);
  const std::string password = "demo-" + std::to_string(std::random_device{}());
  oms::Simulator sim(ioc.get_executor(), "demo", password);
  sim.start(0);
  const auto started = std::chrono::steady_clock::now();
  const auto started_wall = std::chrono::system_clock::now();
  // The scripted projects, and a migration whose full transfer shows its ETA
  // and whose verification finds differences.
  auto story_at = [&](std::chrono::milliseconds t) {
    auto projects = oms::demo_projects_at(std::chrono::duration_cast<std::chrono::seconds>(t),
                                          started_wall);
    for (auto& p : oms::migration_projects_at("full-transfer", t, started_wall)) {
      projects.push_back(std::move(p));
    }
    return projects;
  };
  auto projects = story_at(std::chrono::milliseconds(0));
  for (auto& p : projects) sim.put_project(p);

  const std::string database = (dir / "omswatch.db").string();
  auto env = [&password](std::string_view name) -> std::optional<std::string> {
    if (name == "OMSWATCH_DEMO_PASSWORD") return password;
    return std::nullopt;
  };
  auto loaded = config::load_string(demo_config(database, sim.base_url(), projects),
                                    "<demo configuration>", env);
  if (!loaded.config) {
    for (const auto& d : loaded.errors) out << d.to_string() << '\n';
    return kExitFailure;
  }
  ServiceOptions options;
  options.console = [&out](const std::string& line) { out << line << std::endl; };
  auto service = Service::create(ioc, std::move(*loaded.config), options);
  if (!service) {
    out << "omswatch demo: " << service.error() << '\n';
    return kExitFailure;
  }

  out << "omswatch demo\n"
      << "  simulated OMS   " << sim.base_url() << " with " << projects.size() << " projects:\n";
  for (const auto& p : projects) out << "                  " << p.progress.project_id << "  " << p.name << '\n';
  out << "  polling         every 2s; a checkpoint frozen for 15s is a stall; a full transfer's\n"
      << "                  steps every 2s, for its ETA (the progress lines)\n"
      << "  history         " << database << "\n"
      << "                  (try: omswatch history " << projects.front().progress.project_id
      << " --db " << database << ",\n"
      << "                   omswatch status --db " << database << ",\n"
      << "                   omswatch history np_mig_catalog --steps --db " << database << ")\n"
      << "  web console     http://127.0.0.1:" << (*service)->http_port()
      << "/  (open it in a browser on this host)\n"
      << "Notifications appear below as they happen. Ctrl-C stops the demo.\n\n"
      << std::flush;

  // The simulated projects follow their script in real time.
  bool stopping = false;
  asio::steady_timer tick(ioc);
  std::function<void()> advance = [&] {
    tick.expires_after(std::chrono::milliseconds(500));
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      for (auto& p : story_at(elapsed)) sim.put_project(std::move(p));
      advance();
    });
  };
  advance();

  // Every 4 s, the ETA of each running transfer, counting down, read from
  // the database as `omswatch status` reads it.
  asio::steady_timer progress_tick(ioc);
  std::unique_ptr<storage::Store> reader;
  std::function<void()> show_progress = [&] {
    progress_tick.expires_after(std::chrono::seconds(4));
    progress_tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      if (!reader) {
        if (auto opened = storage::Store::open(database, storage::OpenMode::read_only)) {
          reader = std::move(*opened);
        }
      }
      if (reader) {
        const auto now = std::chrono::system_clock::now();
        if (auto rows = reader->latest_status()) {
          for (const auto& row : *rows) {
            if (auto line = demo_progress_line(row, to_unix_ms(now))) {
              out << format_time(now, "%H:%M:%S", TimeZone::local) << "  progress  " << *line << std::endl;
            }
          }
        }
      }
      show_progress();
    });
  };
  show_progress();

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    stopping = true;
    tick.cancel();
    progress_tick.cancel();
    (*service)->stop();
    sim.stop();
  });
  (*service)->start();
  ioc.run();
  out << "\nomswatch demo stopped.\n";
  return kExitOk;
}

}  // namespace omswatch::daemon
