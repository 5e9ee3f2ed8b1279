#include "daemon/service.h"

#include <cstdio>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "daemon/dispatcher.h"
#include "net/http_client.h"
#include "storage/store.h"

namespace omswatch::daemon {
namespace asio = boost::asio;

struct Service::Impl {
  config::Config config;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<Watcher> watcher;
};

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() {
  if (impl_) stop();
}

Expected<std::unique_ptr<Service>> Service::create(asio::io_context& ioc, config::Config config,
                                                   ServiceOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  const config::Config& cfg = impl->config;
  WallClock clock = options.clock ? options.clock : [] { return std::chrono::system_clock::now(); };

  auto store = storage::Store::open(cfg.daemon.database, storage::OpenMode::read_write);
  if (!store) return make_error(store.error());
  impl->store = std::move(*store);

  net::HttpClientOptions http_options;
  http_options.extra_ca_file = options.extra_ca_file;
  http_options.user_agent = "omswatch/" OMSWATCH_VERSION;
  impl->http = std::make_unique<net::HttpClient>(ioc.get_executor(), http_options);

  notifiers::SenderContext ctx;
  ctx.http = impl->http.get();
  ctx.now = clock;
  ctx.console = options.console ? options.console : [](const std::string& line) {
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  };
  std::map<std::string, std::unique_ptr<notifiers::Sender>> senders;
  for (const auto& r : cfg.receivers) {
    auto sender = notifiers::make_sender(r, ctx);
    if (!sender) return make_error(sender.error());
    senders.emplace(r.name, std::move(*sender));
  }
  impl->dispatcher = std::make_unique<Dispatcher>(ioc.get_executor(), *impl->store,
                                                  std::move(senders), clock);
  Dispatcher* dispatcher = impl->dispatcher.get();
  impl->watcher = std::make_unique<Watcher>(ioc.get_executor(), cfg, *impl->store, *impl->http,
                                            clock, [dispatcher] { dispatcher->notify(); });
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

void Service::start() {
  impl_->dispatcher->start();
  impl_->watcher->start();
}

void Service::stop() {
  impl_->watcher->stop();
  impl_->dispatcher->stop();
  impl_->http->close_idle();
}

const config::Config& Service::config() const { return impl_->config; }

int run_daemon(config::Config config, ServiceOptions options) {
  asio::io_context ioc(1);
  auto service = Service::create(ioc, std::move(config), std::move(options));
  if (!service) {
    spdlog::critical("cannot start: {}", service.error());
    return 1;
  }
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("received {}, stopping", signo == SIGINT ? "SIGINT" : "SIGTERM");
    (*service)->stop();
  });
  (*service)->start();
  spdlog::info("omswatch {} running, database {}", OMSWATCH_VERSION,
               (*service)->config().daemon.database);
  ioc.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace omswatch::daemon
