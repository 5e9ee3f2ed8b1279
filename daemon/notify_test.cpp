// `omswatch notify-test RECEIVER`: one sample message through one receiver,
// with the platform's answer, so a configuration can be checked before an
// alert depends on it.

#include <unistd.h>

#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "common/console_page.h"
#include "daemon/cli.h"
#include "daemon/event_record.h"
#include "net/http_client.h"
#include "notifiers/sender.h"

namespace omswatch::daemon {

int run_notify_test(const config::Config& config, const std::string& receiver_name,
                    std::ostream& out, std::ostream& err) {
  const config::Receiver* receiver = config.find_receiver(receiver_name);
  if (!receiver) {
    err << "omswatch notify-test: no receiver named '" << receiver_name << "' in " << config.source;
    if (!config.receivers.empty()) {
      err << " (configured:";
      for (const auto& r : config.receivers) err << ' ' << r.name;
      err << ')';
    }
    err << '\n';
    return kExitUsage;
  }
  boost::asio::io_context ioc(1);
  net::HttpClient http(ioc.get_executor());
  notifiers::SenderContext ctx;
  ctx.http = &http;
  ctx.redact = Redactor(config::secrets_of(config));
  ctx.console = [&out](const std::string& line) { out << line << '\n'; };
  auto sender = notifiers::make_sender(*receiver, ctx);
  if (!sender) {
    err << "omswatch notify-test: " << sender.error() << '\n';
    return kExitConfig;
  }

  char host[256] = "this host";
  ::gethostname(host, sizeof host - 1);
  notifiers::Event e;
  e.id = new_event_id();
  e.kind = "test";
  e.state = "notice";
  e.severity = Severity::info;
  e.oms = config.oms.empty() ? std::string("omswatch") : config.oms.front().name;
  e.alarm_level = "MEDIUM";
  e.summary = std::string("omswatch test message from ") + host + " to receiver '" +
              receiver->name + "': if you read this, alerts will reach you here.";
  e.observed_at = std::chrono::system_clock::now();
  // The overview of that OMS: the operator sees where alerts will link to.
  e.omswatch_url = console_page_url(config.daemon.public_url, e.oms, "");

  std::optional<notifiers::DeliveryOutcome> outcome;
  boost::asio::co_spawn(
      ioc, (*sender)->send({e}, "test_" + e.id.substr(4)),
      [&](std::exception_ptr ex, notifiers::DeliveryOutcome o) {
        if (!ex) outcome = std::move(o);
      });
  ioc.run();
  if (!outcome) {
    err << "omswatch notify-test: the send did not complete\n";
    return kExitFailure;
  }
  switch (outcome->result) {
    case notifiers::DeliveryOutcome::Result::delivered:
      out << "receiver '" << receiver->name << "' (" << receiver->type
          << ") accepted the test message: " << outcome->detail << '\n';
      return kExitOk;
    case notifiers::DeliveryOutcome::Result::rejected:
      err << "receiver '" << receiver->name << "' (" << receiver->type
          << ") refused the test message: " << outcome->detail << '\n';
      return kExitFailure;
    case notifiers::DeliveryOutcome::Result::retry:
    case notifiers::DeliveryOutcome::Result::deferred:
      err << "receiver '" << receiver->name << "' (" << receiver->type
          << ") did not take the test message now (the daemon would retry): " << outcome->detail
          << '\n';
      return kExitFailure;
  }
  return kExitFailure;
}

}  // namespace omswatch::daemon
