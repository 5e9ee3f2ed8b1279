#pragma once
// A receiver of notifications: renders a group of events into its platform's
// message and sends it, reading the platform's own success signal.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "common/redact.h"
#include "config/config.h"
#include "notifiers/event.h"

namespace omswatch::net {
class HttpClient;
}

namespace omswatch::notifiers {

struct DeliveryOutcome {
  enum class Result {
    delivered,
    retry,     // a passing failure: network, timeout, 5xx, 429, throttling codes
    rejected,  // the platform refused this message for good (4xx, a bad payload): no retry helps
    deferred,  // not sent: the platform's rate limit needs a pause of retry_after first.
               // Not an attempt; events due meanwhile join the message.
  };
  Result result = Result::delivered;
  std::string detail;  // the platform's answer, bounded, with configured secrets masked
  std::optional<std::chrono::seconds> retry_after;  // Retry-After, when given
};

struct SenderContext {
  net::HttpClient* http = nullptr;  // for every HTTP receiver
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  std::function<void(const std::string&)> console;  // the console receiver's output
  // Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and their lowercase forms) are
  // read for receivers without a `proxy` of their own; tests inject their own.
  config::EnvLookup env = config::process_environment();
  // Secrets to mask in every outcome's detail (config::secrets_of() of the
  // whole configuration); make_sender() adds the receiver's own in any case.
  Redactor redact;
};

class Sender {
 public:
  virtual ~Sender() = default;
  const std::string& name() const { return name_; }
  // `delivery_id` is stable across retries of the same group. Arguments are
  // taken by value: the coroutine may outlive the caller's temporaries.
  virtual boost::asio::awaitable<DeliveryOutcome> send(std::vector<Event> events,
                                                       std::string delivery_id) = 0;

  // Receivers that forget an alert unless told again (Alertmanager) want the
  // firing conditions re-sent this often while they hold; nullopt: once is enough.
  virtual std::optional<std::chrono::seconds> resend_firing_every() const { return std::nullopt; }

 protected:
  explicit Sender(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// An error names the receiver and what is wrong with it (an unsupported type).
Expected<std::unique_ptr<Sender>> make_sender(const config::Receiver& receiver,
                                              const SenderContext& context);

// The receiver types make_sender() builds (config/receiver_types.h lists the
// ones the configuration accepts: the two agree).
std::vector<std::string_view> sender_types();

// The generic webhook body (docs/webhook.md).
std::string render_webhook_payload(const std::string& receiver, const std::vector<Event>& events);

// Each platform's message for a group of events, as its sender posts it
// (for previews and tests). Every one keeps
// within its platform's limits (docs/receivers.md): the headline always,
// then the most urgent events that fit, then "... and N more events".
std::string render_slack_payload(const std::vector<Event>& events);
std::string render_dingtalk_payload(const std::vector<Event>& events);
// Signed ("timestamp" and "sign" in the body) when `timestamp_s` is set.
std::string render_feishu_payload(const std::vector<Event>& events,
                                  std::optional<std::int64_t> timestamp_s,
                                  const std::string& secret);
std::string render_wecom_payload(const std::vector<Event>& events);
std::string render_teams_payload(const std::vector<Event>& events);
// The alerts of the group's conditions (notices are left out; one alert per
// label set, the latest); firing alerts end at `now` + 4 resend intervals.
std::string render_alertmanager_payload(const std::vector<Event>& events,
                                        std::chrono::system_clock::time_point now);

}  // namespace omswatch::notifiers
