#pragma once
// What an HTTP receiver type is, as one description that the generic sender
// runs: each platform's file (slack.cpp, dingtalk.cpp, ...) describes how its
// body is rendered, how the request is signed, how the reply is judged and
// which limits it keeps; make_http_sender() does the rest the same way for
// every one of them. Private to notifiers/.

#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "net/http.h"
#include "notifiers/sender.h"

namespace omswatch::notifiers {

// One send of one group, as the platform's functions see it.
struct Delivery {
  const config::Receiver& receiver;
  const std::vector<Event>& events;
  std::string_view delivery_id;  // stable across retries of the group
  std::chrono::system_clock::time_point now;
};

// The request before it goes out: posted as JSON to `url`, with `headers`
// after Content-Type.
struct Message {
  std::string url;
  std::string body;
  net::Headers headers;
};

// At most `messages` sends within any `per`: the sender holds a message back
// (`deferred`) rather than go over.
struct SendLimit {
  std::size_t messages;
  std::chrono::milliseconds per;
};

struct Platform {
  std::string_view type;  // the receivers' `type` in the configuration

  // The body of the message for `d.events` (the receiver's URL is the
  // message's `url` until sign() changes it).
  std::string (*render)(const Delivery& d) = nullptr;

  // Adds the platform's signature or credentials (a query, headers, a new
  // URL); nullptr when the request goes as rendered.
  void (*sign)(Message& m, const Delivery& d) = nullptr;

  // The outcome of the reply (scrubbed of the receiver's secrets). Pure.
  DeliveryOutcome (*judge)(const boost::system::result<net::HttpResponse>& reply) = nullptr;

  // The platform's own pace; a send goes only when every limit lets it, and
  // is then counted in each. `held_back` is the detail of a deferred send.
  std::vector<SendLimit> limits = {};
  std::string held_back = {};

  // Optional: the outcome of a group that needs no request (Alertmanager:
  // notices only), checked before anything else.
  std::optional<DeliveryOutcome> (*without_request)(const std::vector<Event>& events) = nullptr;
  // Optional: adds to the judged outcome what the group itself tells.
  void (*annotate)(DeliveryOutcome& outcome, const std::vector<Event>& events) = nullptr;

  // Sender::resend_firing_every() of its senders.
  std::optional<std::chrono::seconds> resend_firing_every = std::nullopt;
};

// A Platform::render for a body made from the group alone.
template <std::string (*render_events)(const std::vector<Event>&)>
std::string from_events(const Delivery& d) {
  return render_events(d.events);
}

// The sender of `platform` for `receiver`: render, sign, POST through the
// proxy-aware client with the receiver's timeout and the reply bounded
// (json_post()), the reply scrubbed of the context's secrets, then judged.
std::unique_ptr<Sender> make_http_sender(const Platform& platform, const config::Receiver& receiver,
                                         const SenderContext& context);

// The platforms, one function each, defined in the platform's own file.
const Platform& webhook_platform();
const Platform& slack_platform();
const Platform& dingtalk_platform();
const Platform& feishu_platform();
const Platform& wecom_platform();
const Platform& teams_platform();
const Platform& alertmanager_platform();

// The receiver that prints (console.cpp): no HTTP.
std::unique_ptr<Sender> make_console_sender(const config::Receiver&, const SenderContext&);

}  // namespace omswatch::notifiers
