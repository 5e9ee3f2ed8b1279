#pragma once
// A sender's own pace for platforms that punish bursts (a DingTalk robot that
// gets more than 20 messages a minute is blocked for 10 minutes): holding a
// message back costs a retry, going over costs the next ten minutes. Private
// to notifiers/.

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>

namespace omswatch::notifiers {

// At most `limit` sends within any `window`. Not thread-safe: one sender
// sends one message at a time.
class SendWindow {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  SendWindow(std::size_t limit, std::chrono::milliseconds window)
      : limit_(limit), window_(window) {}

  // nullopt, and the send is counted, when one may go at `now`; otherwise
  // how long until one may (rounded up to whole seconds, at least 1 s).
  std::optional<std::chrono::seconds> acquire(TimePoint now);

  // The same in two steps, for a platform with several windows: a send is
  // counted in each only when all of them let it go.
  std::optional<std::chrono::seconds> wait_at(TimePoint now);
  void record(TimePoint now) { sent_.push_back(now); }

 private:
  std::size_t limit_;
  std::chrono::milliseconds window_;
  std::deque<TimePoint> sent_;  // oldest first
};

}  // namespace omswatch::notifiers
