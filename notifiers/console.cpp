// The `console` receiver: one readable line per event on the daemon's stdout
// (the demo's receiver, and a quick look while configuring).

#include <ctime>

#include "common/ascii.h"
#include "common/escape.h"
#include "common/time.h"
#include "notifiers/platform.h"

namespace omswatch::notifiers {
namespace {

std::string local_clock(std::chrono::system_clock::time_point t) {
  return format_time(t, "%H:%M:%S", TimeZone::local);
}

std::string pad(std::string_view s, std::size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

class ConsoleSender final : public Sender {
 public:
  ConsoleSender(const config::Receiver& r, const SenderContext& ctx)
      : Sender(r.name), out_(ctx.console) {}

  boost::asio::awaitable<DeliveryOutcome> send(std::vector<Event> events, std::string) override {
    for (const auto& e : events) {
      const std::string severity = ascii_upper(to_string(e.severity));
      // The summary carries OMS's text: its controls are shown, not acted on.
      std::string line = local_clock(e.observed_at) + "  " + pad(severity, 8) + "  " +
                         pad(escape_controls(e.state), 8) + "  " +
                         pad(escape_controls(e.kind), 20) + "  " + escape_controls(e.summary);
      if (out_) out_(line);
    }
    co_return DeliveryOutcome{DeliveryOutcome::Result::delivered, "printed", std::nullopt};
  }

 private:
  std::function<void(const std::string&)> out_;
};

}  // namespace

std::unique_ptr<Sender> make_console_sender(const config::Receiver& r, const SenderContext& ctx) {
  return std::make_unique<ConsoleSender>(r, ctx);
}

}  // namespace omswatch::notifiers
