#include "notifiers/rate_limit.h"

#include <algorithm>

namespace omswatch::notifiers {

std::optional<std::chrono::seconds> SendWindow::wait_at(TimePoint now) {
  // Sends in the future of `now` are forgotten too: the clock stepped back.
  std::erase_if(sent_, [&](TimePoint t) { return t + window_ <= now || t > now; });
  if (sent_.size() < limit_) return std::nullopt;
  auto wait = std::chrono::ceil<std::chrono::seconds>(sent_.front() + window_ - now);
  return std::max(wait, std::chrono::seconds(1));
}

std::optional<std::chrono::seconds> SendWindow::acquire(TimePoint now) {
  auto wait = wait_at(now);
  if (!wait) record(now);
  return wait;
}

}  // namespace omswatch::notifiers
