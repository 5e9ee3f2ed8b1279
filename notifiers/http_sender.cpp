// The one sender of every HTTP receiver type, driven by its Platform.

#include "net/http_client.h"
#include "notifiers/http_outcome.h"
#include "notifiers/platform.h"
#include "notifiers/rate_limit.h"

namespace omswatch::notifiers {
namespace {

class HttpSender final : public Sender {
 public:
  HttpSender(const Platform& platform, const config::Receiver& r, const SenderContext& ctx)
      : Sender(r.name), platform_(platform), receiver_(r), ctx_(ctx) {
    for (const auto& limit : platform_.limits) windows_.emplace_back(limit.messages, limit.per);
  }

  std::optional<std::chrono::seconds> resend_firing_every() const override {
    return platform_.resend_firing_every;
  }

  boost::asio::awaitable<DeliveryOutcome> send(std::vector<Event> events,
                                               std::string delivery_id) override {
    if (platform_.without_request) {
      if (auto outcome = platform_.without_request(events)) co_return *outcome;
    }
    const Delivery d{receiver_, events, delivery_id, ctx_.now()};
    if (auto wait = pace(d.now)) {
      co_return DeliveryOutcome{DeliveryOutcome::Result::deferred, platform_.held_back, *wait};
    }
    Message m{receiver_.url.reveal(), platform_.render(d), {}};
    if (platform_.sign) platform_.sign(m, d);
    net::HttpRequest req = json_post(std::move(m.url), std::move(m.body), receiver_, ctx_.env);
    for (auto& header : m.headers) req.headers.push_back(std::move(header));
    auto reply = scrubbed(co_await ctx_.http->send(std::move(req)), ctx_.redact);
    DeliveryOutcome outcome = platform_.judge(reply);
    if (platform_.annotate) platform_.annotate(outcome, events);
    co_return outcome;
  }

 private:
  // nullopt, and the send counted in every window, when it may go at `now`.
  std::optional<std::chrono::seconds> pace(std::chrono::system_clock::time_point now) {
    for (auto& w : windows_) {
      if (auto wait = w.wait_at(now)) return wait;
    }
    for (auto& w : windows_) w.record(now);
    return std::nullopt;
  }

  const Platform& platform_;
  config::Receiver receiver_;
  SenderContext ctx_;
  std::vector<SendWindow> windows_;
};

}  // namespace

std::unique_ptr<Sender> make_http_sender(const Platform& platform, const config::Receiver& receiver,
                                         const SenderContext& context) {
  return std::make_unique<HttpSender>(platform, receiver, context);
}

}  // namespace omswatch::notifiers
