#pragma once
// Delivers the outbox: wakes when the watcher commits deliveries (or when a
// retry falls due), sends each receiver's due rows as one message, in order,
// and records the outcome: delivered, a retry with exponential backoff and
// jitter (Retry-After honoured), or failed once the row is older than max_age
// or the receiver refused it for good. One coroutine per receiver, so a slow
// receiver holds up no other.
//
// A shell: every decision (what to send, silence, give up, when to retry) is
// the delivery plan's (daemon/deliver/plan.h). The dispatcher reads and
// writes the outbox only through deliver::Outbox, sends only through
// notifiers::Sender, and pauses and sleeps by a MonotonicClock, so its tests
// run on fakes (tests/daemon/dispatcher_test.cpp).

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "daemon/deliver/outbox.h"
#include "daemon/deliver/plan.h"
#include "daemon/monotonic_clock.h"
#include "daemon/watcher.h"
#include "notifiers/sender.h"

namespace omswatch::storage {
class Store;
}

namespace omswatch::daemon {

class Metrics;
class WriteBackoff;

struct DispatcherCounters {
  std::uint64_t delivered = 0;
  std::uint64_t retried = 0;
  std::uint64_t failed = 0;
};

struct DispatcherOptions {
  RetryPolicy policy;
  // Pauses and sleeps; null: the steady clock. Must outlive the dispatcher.
  MonotonicClock* steady = nullptr;
  // The retry jitter, a number in [0, 1] (deliver::retry_delay); null: random.
  std::function<double()> jitter;
};

class Dispatcher {
 public:
  // Delivers the outbox of `store`, which must outlive the dispatcher.
  Dispatcher(boost::asio::any_io_executor executor, storage::Store& store,
             std::map<std::string, std::unique_ptr<notifiers::Sender>> senders, WallClock clock,
             RetryPolicy policy = {});
  // Delivers `outbox`, which must outlive the dispatcher.
  Dispatcher(boost::asio::any_io_executor executor, deliver::Outbox& outbox,
             std::map<std::string, std::unique_ptr<notifiers::Sender>> senders, WallClock clock,
             DispatcherOptions options);
  ~Dispatcher();

  void start();
  void stop();
  // New rows are due: look now.
  void notify();

  // A reload: adds or replaces one receiver's sender (a send in flight with
  // the old one is abandoned and its rows retried with the new one), or
  // removes it (its pending rows are then given up as unconfigured).
  void set_sender(const std::string& receiver, std::unique_ptr<notifiers::Sender> sender);
  // The configuration messages are rendered with (console links), and the
  // retry policy of its [delivery] table.
  void set_config(std::shared_ptr<const config::Config> config);
  // Counts deliveries by receiver and result when set; must outlive the dispatcher.
  void set_metrics(Metrics* metrics);
  // Shares the watcher's pause of database writes (write_backoff.h); must
  // outlive the dispatcher. Without it the dispatcher keeps its own.
  void set_write_backoff(WriteBackoff* backoff);
  void remove_sender(const std::string& receiver);

  const DispatcherCounters& counters() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

using deliver::delivery_id;

}  // namespace omswatch::daemon
