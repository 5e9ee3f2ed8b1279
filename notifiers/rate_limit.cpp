#include "notifiers/rate_limit.h"

#include <algorithm>

namespace omswatch::notifiers {

std::optional<std::chrono::seconds> SendWindow::acquire(TimePoint now) {
  // Sends in the future of `now` are forgotten too: the clock stepped back.
  std::erase_if(sent_, [&](TimePoint t) { return t + window_ <= now || t > now; });
  if (sent_.size() < limit_) {
    sent_.push_back(now);
    return std::nullopt;
  }
  auto wait = std::chrono::ceil<std::chrono::seconds>(sent_.front() + window_ - now);
  return std::max(wait, std::chrono::seconds(1));
}

}  // namespace omswatch::notifiers
