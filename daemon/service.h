#pragma once
// The composition root: owns the store, the HTTP client, the watcher and the
// dispatcher of one running daemon, all driven by one io_context.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "common/expected.h"
#include "config/config.h"
#include "daemon/logging.h"  // setup_logging(), which used to be declared here
#include "daemon/watcher.h"

namespace omswatch::storage {
class Store;
}

namespace omswatch::daemon {

struct ServiceOptions {
  // Where the console receiver prints; stdout when empty.
  std::function<void(const std::string&)> console;
  WallClock clock;  // system clock when empty
  std::string extra_ca_file;  // trust anchors added to the system store (tests)
};

class Service {
 public:
  // Opens the database and builds every component; an error says what failed
  // (an unopenable database, a receiver that cannot be built).
  static Expected<std::unique_ptr<Service>> create(boost::asio::io_context& ioc,
                                                   config::Config config,
                                                   ServiceOptions options = {});
  ~Service();

  void start();
  // Stops polling and delivery; the io_context's run() then returns once the
  // loops have drained.
  void stop();

  // Applies a reloaded configuration: projects, OMS deployments, receivers,
  // routes and thresholds, and the API token (the previous one is refused
  // from then on), keeping detector state and pending deliveries. A
  // configuration that cannot be applied (a receiver that cannot be built, a
  // different database or listen address, which need a restart) is refused
  // with the reason, and the running one kept: nothing of it applies.
  Expected<void> reload(config::Config next);

  const config::Config& config() const;
  const Watcher& watcher() const;
  // The port the HTTP endpoint (metrics, JSON API, web console) listens on;
  // 0 when daemon.listen is "" (no endpoint).
  std::uint16_t http_port() const;
  storage::Store& store();

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// `omswatch run`: runs until SIGTERM or SIGINT; SIGHUP re-reads `config_path`
// and applies it (a bad file is refused and logged; the old config keeps
// running). Returns the process exit code: 0 after SIGTERM or SIGINT,
// kLoopFailedExitCode (daemon/loop_end.h) when one of its loops ended by an
// unexpected exception.
int run_daemon(config::Config config, ServiceOptions options = {});

}  // namespace omswatch::daemon
