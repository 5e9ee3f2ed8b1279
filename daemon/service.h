#pragma once
// The composition root: owns the store, the HTTP client, the watcher and the
// dispatcher of one running daemon, all driven by one io_context.

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "common/expected.h"
#include "config/config.h"
#include "daemon/logging.h"  // setup_logging(), which used to be declared here
#include "daemon/watcher.h"

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

  const config::Config& config() const;

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// `omswatch run`: runs until SIGTERM or SIGINT; returns the process exit code.
int run_daemon(config::Config config, ServiceOptions options = {});

}  // namespace omswatch::daemon
